"""Diarization error rate and speaker confusion, on a 10 ms grid, for tests and bench/speakers.py.

DER = (missed speech + false alarm + confusion) / reference speech, after
mapping hypothesis labels to reference speakers so that they agree the most
(every mapping is tried for up to 7 labels, greedily beyond). With a collar,
the frames within `collar` seconds of a reference turn's start or end are not
scored, the usual allowance for where exactly a turn begins.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

STEP = 0.01
JOIN_GAP = 0.5  # words of one speaker closer than this are one stretch of speech


@dataclass(frozen=True)
class Segment:
    speaker: str
    start: float
    end: float


@dataclass(frozen=True)
class Score:
    der: float
    missed: float
    false_alarm: float
    confusion: float
    scored_seconds: float


def segments_from_words(words: Sequence[tuple[float, float, str]]) -> list[Segment]:
    """(start, end, speaker) per word, joined into stretches of one speaker."""
    out: list[Segment] = []
    for start, end, speaker in words:
        if out and out[-1].speaker == speaker and start - out[-1].end < JOIN_GAP:
            out[-1] = Segment(speaker, out[-1].start, max(out[-1].end, end))
        else:
            out.append(Segment(speaker, start, end))
    return out


def _grid(segments: Sequence[Segment], labels: list[str], frames: int) -> np.ndarray:
    grid = np.zeros((len(labels), frames), dtype=bool)
    for s in segments:
        grid[labels.index(s.speaker), int(round(s.start / STEP)):int(round(s.end / STEP))] = True
    return grid


def score(reference: Sequence[Segment], hypothesis: Sequence[Segment], collar: float = 0.0) -> Score:
    end = max([s.end for s in (*reference, *hypothesis)], default=0.0)
    frames = int(round(end / STEP)) + 1
    ref_labels = sorted({s.speaker for s in reference})
    hyp_labels = sorted({s.speaker for s in hypothesis})
    ref, hyp = _grid(reference, ref_labels, frames), _grid(hypothesis, hyp_labels, frames)
    scored = np.ones(frames, dtype=bool)
    for s in reference:
        for edge in (s.start, s.end):
            scored[max(0, int(round((edge - collar) / STEP))):int(round((edge + collar) / STEP))] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    overlap = (ref[:, None, :] & hyp[None, :, :]).sum(axis=2)  # ref x hyp frames in common
    matched = _best_mapping(overlap)
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    total = float(n_ref.sum()) or 1.0
    missed = float(np.clip(n_ref - n_hyp, 0, None).sum())
    false_alarm = float(np.clip(n_hyp - n_ref, 0, None).sum())
    confusion = float(np.minimum(n_ref, n_hyp).sum() - matched)
    return Score(
        (missed + false_alarm + confusion) / total, missed / total, false_alarm / total, confusion / total,
        float(n_ref.sum()) * STEP,
    )


def _best_mapping(overlap: np.ndarray) -> int:
    """The most frames that a one-to-one mapping of hypothesis labels to reference speakers gets right."""
    n_ref, n_hyp = overlap.shape
    if min(n_ref, n_hyp) == 0:
        return 0
    if n_hyp <= 7 and n_ref <= 7:
        small, large = (overlap, n_hyp) if n_ref <= n_hyp else (overlap.T, n_ref)
        return max(
            int(sum(small[i, j] for i, j in enumerate(perm)))
            for perm in itertools.permutations(range(large), small.shape[0])
        )
    total, work = 0, overlap.astype(float).copy()
    for _ in range(min(n_ref, n_hyp)):
        i, j = np.unravel_index(np.argmax(work), work.shape)
        total += int(overlap[i, j])
        work[i, :], work[:, j] = -1, -1
    return total
