"""The speech recogniser behind a small Protocol, and its faster-whisper implementation.

The streaming policy only needs `Transcriber.transcribe`: audio in (float32,
16 kHz, mono, times relative to its first sample), words with timestamps out.
`lt.asr.decoder.WhisperDecoder` implements it on faster-whisper; tests drive
the policy with a fake that implements the same Protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from lt.errors import LtError, missing_extra
from lt.threads import default_threads

log = logging.getLogger("lt.transcribe")


@dataclass(frozen=True)
class Word:
    """A recognised word; times in seconds from the start of the audio it was decoded from."""

    text: str
    start: float
    end: float
    p: float = 1.0


@dataclass(frozen=True)
class Segment:
    """One decoder pass's words with the quality signals the guards look at."""

    words: tuple[Word, ...]
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


@dataclass(frozen=True)
class Decoded:
    segments: tuple[Segment, ...]
    language: str | None = None
    language_prob: float | None = None
    language_probs: Mapping[str, float] = field(default_factory=dict)  # every language, when it was detected

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]


LanguageChooser = Callable[[Mapping[str, float]], tuple[str, float]]


class Transcriber(Protocol):
    def transcribe(
        self,
        audio: np.ndarray,
        *,
        prompt: str = "",
        prefix: Sequence[str] = (),
        language: str | None = None,
        choose: LanguageChooser | None = None,
        cheap: bool = False,
    ) -> Decoded:
        """Decode `audio` after the forced `prefix` words (their text, as committed), with `prompt`
        as earlier context. `language` None means detect it, `choose` picks from the detected
        probabilities; `cheap` trades accuracy for speed. Only the words after the prefix come back."""
        ...


def out_of_memory(exc: RuntimeError) -> Exception:
    """A one-line error for the decoder running out of memory; anything else as it was."""
    if "out of memory" not in str(exc).lower():
        return exc
    return LtError(
        "out of memory while decoding",
        hint="use a smaller model (tiny.en), the int8 compute type, or the CPU",
    )


@dataclass(frozen=True)
class ModelSettings:
    model: str
    device: str = "auto"
    compute_type: str = "auto"
    cpu_threads: int = 0  # 0: lt.threads.default_threads()


def load_whisper(settings: ModelSettings):
    """A WhisperModel for the settings, with one-line errors for every way loading fails."""
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise missing_extra("faster_whisper", "asr") from None
    from lt.asr.models import resolve_model

    resolved = resolve_model(settings.model)
    device = pick_device(settings.device)
    compute_type = pick_compute_type(settings.compute_type, device)
    log.debug("loading %s from %s (%s) on %s, %s", resolved.name, resolved.path, resolved.source, device, compute_type)
    try:
        return WhisperModel(str(resolved.path), device=device, compute_type=compute_type, cpu_threads=settings.cpu_threads or default_threads())
    except (RuntimeError, ValueError, OSError) as exc:
        raise load_error(resolved.name, device, exc) from None


def pick_device(requested: str) -> str:
    if requested not in ("auto", "cpu", "cuda"):
        raise LtError(f"unknown device {requested!r}", hint="use --device auto, cpu or cuda")
    if requested != "auto":
        return requested
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def pick_compute_type(requested: str, device: str) -> str:
    if requested != "auto":
        return requested
    return "float16" if device == "cuda" else "int8"


def load_error(name: str, device: str, exc: Exception) -> LtError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "out of memory" in reason.lower():
        return LtError(
            f"out of memory loading Whisper model {name!r} on {device}",
            hint="use a smaller model (--model tiny.en or base), --compute-type int8, or --device cpu",
        )
    if "cuda" in reason.lower() and device == "cuda":
        return LtError(f"cannot use CUDA for model {name!r}: {reason}", hint="use --device cpu")
    return LtError(
        f"cannot load Whisper model {name!r}: {reason}",
        hint="check that the directory holds a CTranslate2 Whisper model, or try --compute-type int8",
    )
