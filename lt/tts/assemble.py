"""One continuous track on the session's audio time: each utterance at its placement, silence between.

With an original (`--duck FILE`), the original plays under the track: at its
own level where nothing is said, lowered by `duck_db` while the dub speaks and
over the caption it replaces, with short ramps so the change is not a click.
The track lasts as long as the session (the `Tail`), or the original if longer.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import BinaryIO, Protocol

import numpy as np

from lt.capture import CaptureSettings, capture
from lt.pcm import SAMPLE_RATE, from_bytes, to_s16le
from lt.errors import LtError
from lt.tts.stage import SpeakStats, Spoken

RAMP_SECONDS = 0.15
BLOCK = SAMPLE_RATE  # silence is written a second at a time, so a long gap costs no memory
SOUNDFILE_SUFFIXES = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}


class TrackOut(Protocol):
    def write(self, block: np.ndarray) -> None: ...

    def close(self) -> None: ...


class RawOut:
    """The PCM contract: s16le, 16 kHz, mono, no header."""

    def __init__(self, stream: BinaryIO, owned: bool = False):
        self.stream = stream
        self.owned = owned

    def write(self, block: np.ndarray) -> None:
        self.stream.write(to_s16le(block))
        self.stream.flush()

    def close(self) -> None:
        if self.owned:
            self.stream.close()


class SoundFileOut:
    """A WAV, FLAC or OGG file at 16 kHz mono, 16-bit where the format has a bit depth."""

    def __init__(self, path: str):
        import soundfile as sf

        kind = SOUNDFILE_SUFFIXES[path[path.rfind(".") :].lower()]
        subtype = "VORBIS" if kind == "OGG" else "PCM_16"
        try:
            self.file = sf.SoundFile(path, "w", SAMPLE_RATE, 1, subtype=subtype, format=kind)
        except (sf.LibsndfileError, OSError) as exc:
            raise LtError(f"cannot write {path}: {exc}", hint="choose another --out path") from None

    def write(self, block: np.ndarray) -> None:
        self.file.write(block)

    def close(self) -> None:
        self.file.close()


def open_track(path: str | None) -> TrackOut:
    """`-` or None: raw PCM on stdout; `.wav`/`.flac`/`.ogg`: that file; any other name: raw PCM in it."""
    if path in (None, "-"):
        return RawOut(audio_stdout())
    if path[path.rfind(".") :].lower() in SOUNDFILE_SUFFIXES:
        return SoundFileOut(path)
    try:
        return RawOut(open(path, "wb"), owned=True)
    except OSError as exc:
        raise LtError(f"cannot write {path}: {exc.strerror}", hint="choose another --out path") from None


def audio_stdout() -> BinaryIO:
    if sys.stdout.isatty():
        raise LtError("stdout is a terminal, and raw audio would garble it", hint="redirect it (> dub.pcm), pipe it (| aplay -f S16_LE -r 16000), or use --out dub.wav")
    return sys.stdout.buffer


class Original:
    """The original recording in the PCM contract, read as the track advances."""

    def __init__(self, path: str):
        self._chunks: Iterator[bytes] = capture(CaptureSettings(source=path))  # opens now: a bad file fails before input
        self._held = np.zeros(0, dtype=np.float32)
        self.exhausted = False

    def take(self, count: int, pad: bool = True) -> np.ndarray:
        """The next `count` samples; past the end, silence (or, without `pad`, fewer samples)."""
        while len(self._held) < count and not self.exhausted:
            chunk = next(self._chunks, None)
            if chunk is None:
                self.exhausted = True
                break
            self._held = np.concatenate([self._held, from_bytes(chunk)])
        out, self._held = self._held[:count], self._held[count:]
        return np.pad(out, (0, count - len(out))) if pad else out


class Assembler:
    def __init__(self, out: TrackOut, original: Original | None = None, duck_db: float = 18.0, stats: SpeakStats | None = None):
        self.out = out
        self.original = original
        self.duck_gain = 10 ** (-abs(duck_db) / 20)
        self.stats = stats if stats is not None else SpeakStats()
        self.written = 0  # samples
        self.duck_until = 0  # samples: the original stays lowered up to here
        self.level = 0.0  # how far the original is lowered now: 0 not at all, 1 by duck_db

    def add(self, spoken: Spoken) -> None:
        placement = spoken.placement
        at = max(self.written, round(placement.at * SAMPLE_RATE)) if placement else self.written
        self._silence_until(at)
        self._write(spoken.samples, ducked=True)
        self.stats.first_sample(spoken.utterance, time.time())
        caption_end = round((spoken.utterance.end or 0.0) * SAMPLE_RATE)
        self.duck_until = max(self.written, caption_end)

    def finish(self, end: float) -> None:
        """Silence (or the original) up to `end` seconds, and on to the original's end."""
        self._silence_until(round(end * SAMPLE_RATE))
        while self.original is not None and len(under := self.original.take(BLOCK, pad=False)):
            self._mix(np.zeros(len(under), dtype=np.float32), under, ducked=self.written < self.duck_until)
        self.out.close()

    def _silence_until(self, sample: int) -> None:
        while self.written < sample:
            ducked = self.written < self.duck_until
            stop = min(sample, self.duck_until) if ducked else sample
            self._write(np.zeros(min(BLOCK, stop - self.written), dtype=np.float32), ducked=ducked)

    def _write(self, dub: np.ndarray, ducked: bool) -> None:
        if self.original is None:
            self.out.write(dub)
            self.written += len(dub)
        else:
            self._mix(dub, self.original.take(len(dub)), ducked)

    def _mix(self, dub: np.ndarray, under: np.ndarray, ducked: bool) -> None:
        self.out.write(dub + under * self._gains(len(dub), 1.0 if ducked else 0.0))
        self.written += len(dub)

    def _gains(self, count: int, target: float) -> np.ndarray:
        steps = np.arange(1, count + 1, dtype=np.float32) / (RAMP_SECONDS * SAMPLE_RATE)
        levels = np.minimum(self.level + steps, target) if target > self.level else np.maximum(self.level - steps, target)
        if count:
            self.level = float(levels[-1])
        return 1.0 - levels * (1.0 - self.duck_gain)
