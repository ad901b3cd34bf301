"""A change of speaker inside one utterance, found from its window embeddings.

Binary segmentation: every word start that leaves at least `min_turn_seconds`
on both sides is a candidate cut; the cut where the mean embedding of the
windows before it is least similar to the mean of the windows after it wins,
if that similarity is below `change_below`. Windows only fall every `hop`
seconds, so the cut is then moved to where the windows around it cross from
resembling the speech before it to resembling the speech after it
(interpolated between window centres). Each side is then searched again,
so one utterance can hold several turns. A cut is always at a word start, so
the transcribe stage can end a final there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lt.speakers.model import unit
from lt.speakers.settings import SpeakerSettings
from lt.speakers.windows import Span


def change_points(
    embeddings: np.ndarray, spans: Sequence[Span], words: Sequence[Span], settings: SpeakerSettings
) -> list[int]:
    """Indices of the words that begin a new turn (never 0), in order."""
    slack = settings.hop / 2  # a window may reach this far across a cut and still count for its side
    found: list[int] = []

    def search(first: int, last: int) -> None:  # words[first:last]
        best, best_sim = None, settings.change_below
        for j in range(first + 1, last):
            at = words[j].start
            if at - words[first].start < settings.min_turn_seconds or words[last - 1].end - at < settings.min_turn_seconds:
                continue
            left = [i for i, s in enumerate(spans) if s.start >= words[first].start - slack and s.end <= at + slack]
            right = [i for i, s in enumerate(spans) if s.start >= at - slack and s.end <= words[last - 1].end + slack]
            if not left or not right:
                continue
            sim = float(unit(embeddings[left].mean(axis=0)) @ unit(embeddings[right].mean(axis=0)))
            if sim < best_sim:
                best, best_sim = j, sim
        if best is not None:
            best = _refined(best, first, last, embeddings, spans, words, settings)
            search(first, best)
            found.append(best)
            search(best, last)

    search(0, len(words))
    return sorted(found)


def _refined(
    cut: int, first: int, last: int, embeddings: np.ndarray, spans: Sequence[Span], words: Sequence[Span],
    settings: SpeakerSettings,
) -> int:
    at = words[cut].start
    slack = settings.hop / 2
    left = [i for i, s in enumerate(spans) if s.end <= at + slack]
    right = [i for i, s in enumerate(spans) if s.start >= at - slack]
    before, after = unit(embeddings[left].mean(axis=0)), unit(embeddings[right].mean(axis=0))
    lean = embeddings @ after - embeddings @ before  # > 0: sounds like the speech after the cut
    centres = [(s.start + s.end) / 2 for s in spans]
    crossing = None
    for i in range(len(spans) - 1):
        if lean[i] < 0 <= lean[i + 1] and abs(centres[i] - at) <= settings.window:
            crossing = centres[i] + (centres[i + 1] - centres[i]) * -lean[i] / (lean[i + 1] - lean[i])
    if crossing is None:
        return cut
    allowed = [
        j for j in range(first + 1, last)
        if words[j].start - words[first].start >= settings.min_turn_seconds
        and words[last - 1].end - words[j].start >= settings.min_turn_seconds
    ]
    return min(allowed, key=lambda j: abs(words[j].start - crossing), default=cut)
