"""Where the embedding windows of a stretch of speech go, and which samples a stretch of session time is."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lt.speakers.features import SAMPLE_RATE


@dataclass(frozen=True)
class Span:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def windows(span: Span, length: float, hop: float) -> list[Span]:
    """Windows of `length` s, evenly spread over `span`, at most `hop` apart, the first at its start
    and the last at its end; a span no longer than one window is one window."""
    if span.seconds <= length:
        return [span]
    count = math.ceil((span.seconds - length) / hop) + 1
    step = (span.seconds - length) / (count - 1)
    return [Span(span.start + i * step, span.start + i * step + length) for i in range(count)]


def sample_range(span: Span, audio_start: float, samples: int) -> tuple[int, int]:
    """The (first, last) samples of `span` (session seconds) in audio that begins at `audio_start`."""
    first = min(max(0, round((span.start - audio_start) * SAMPLE_RATE)), samples)
    last = min(samples, round((span.end - audio_start) * SAMPLE_RATE))
    return first, max(first, last)


def word_spans(words: Sequence[tuple[float | None, float | None]], audio_start: float, seconds: float) -> list[Span]:
    """Word times clipped to the audio; a word without times takes its neighbour's."""
    audio_end = audio_start + seconds
    spans: list[Span] = []
    for start, end in words:
        previous = spans[-1].end if spans else audio_start
        start = previous if start is None else min(max(start, audio_start), audio_end)
        end = start if end is None else min(max(end, start), audio_end)
        spans.append(Span(start, end))
    return spans
