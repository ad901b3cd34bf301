"""The speaker tracker with the audio it needs: what the transcribe stage holds for `--speakers`.

    speakers = LiveSpeakers(settings)            # loads the model and the enrolled voices
    speakers.add(samples)                        # every block of 16 kHz float32 audio, in order from t = 0
    turns = speakers.turns([(w.start, w.end) for w in final.words])

It keeps the last `keep_seconds` of audio (a bounded buffer, 2 minutes by
default: far more than a final lags behind its audio) and cuts each final's
audio out of it, with a little margin either side.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lt.speakers.features import SAMPLE_RATE
from lt.speakers.model import Embedder
from lt.speakers.settings import SpeakerSettings
from lt.speakers.tracker import SpeakerTracker, Turn
from lt.speakers.voices import VoicePrint, load_voices

MARGIN = 0.1


class LiveSpeakers:
    def __init__(
        self, settings: SpeakerSettings, embedder: Embedder | None = None, voices: Sequence[VoicePrint] | None = None,
        keep_seconds: float = 120.0,
    ):
        if embedder is None:
            from lt.speakers.model import CamPlusPlus

            embedder = CamPlusPlus()
        self.tracker = SpeakerTracker(embedder, settings, load_voices() if voices is None else voices)
        self.keep = int(keep_seconds * SAMPLE_RATE)
        self._buffer = np.zeros(0, dtype=np.float32)
        self._buffer_start = 0  # the session sample where the buffer begins

    def add(self, samples: np.ndarray) -> None:
        self._buffer = np.concatenate([self._buffer, np.asarray(samples, dtype=np.float32)])
        extra = len(self._buffer) - self.keep
        if extra > 0:
            self._buffer = self._buffer[extra:]
            self._buffer_start += extra

    def turns(self, words: Sequence[tuple[float | None, float | None]]) -> list[Turn]:
        timed = [t for pair in words for t in pair if t is not None]
        if not timed:
            return []
        first = max(self._buffer_start, int((min(timed) - MARGIN) * SAMPLE_RATE))
        last = int((max(timed) + MARGIN) * SAMPLE_RATE)
        audio = self._buffer[first - self._buffer_start:max(first, last) - self._buffer_start]
        return self.tracker.turns(audio, first / SAMPLE_RATE, words)

    def summary(self) -> dict:
        return self.tracker.summary()
