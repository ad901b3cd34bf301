"""Where the speech is: Silero VAD as shipped inside faster-whisper, behind a Protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from lt.pcm import SAMPLE_RATE



@dataclass(frozen=True)
class Span:
    start: float
    end: float


def speech_within(start: float, end: float, spans: Sequence[Span]) -> float:
    """Seconds of speech the spans hold between `start` and `end`."""
    return sum(max(0.0, min(end, s.end) - max(start, s.start)) for s in spans)


class VoiceDetector(Protocol):
    def speech(self, audio: np.ndarray) -> list[Span]:
        """Speech regions in `audio`, in seconds from its first sample."""
        ...


class SileroVad:
    """Tuned to find pauses between phrases, not only long silences: short minimum
    silence, small padding, so the end of the last span is close to where speech stopped."""

    def __init__(self, threshold: float = 0.5, min_silence: float = 0.3, pad: float = 0.1, max_speech: float = float("inf")):
        from faster_whisper.vad import VadOptions

        self.options = VadOptions(
            threshold=threshold,
            min_speech_duration_ms=120,
            min_silence_duration_ms=int(min_silence * 1000),
            speech_pad_ms=int(pad * 1000),
            max_speech_duration_s=max_speech,
        )

    def speech(self, audio: np.ndarray) -> list[Span]:
        from faster_whisper.vad import get_speech_timestamps

        if len(audio) < 512:
            return []
        found = get_speech_timestamps(audio, self.options, sampling_rate=SAMPLE_RATE)
        return [Span(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in found]
