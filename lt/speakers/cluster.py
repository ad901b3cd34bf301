"""Batch diarization: a whole file's audio and word times in, a speaker per word out.

The speech (words closer than `REGION_GAP` joined) is cut into windows of
`window` s, each embedded; the windows are clustered bottom-up (average
linkage on cosine similarity) until the closest two clusters are less similar
than `open_below` (auto) or there are N left (`--speakers N`). Every window
then goes to its nearest cluster, and every word to the cluster its windows
score highest, with that score's share as `speaker_prob`. A stray word
shorter than `STRAY_SECONDS` between two words of one speaker joins them.
Clusters are named S1, S2, ... in the order they first speak, or by an
enrolled voice they match. At most `MAX_CLUSTERED` windows are clustered
(spread over the file), so hours of audio cost seconds, not hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lt.speakers.features import SAMPLE_RATE
from lt.speakers.model import Embedder, unit
from lt.speakers.settings import SpeakerSettings
from lt.speakers.tracker import Turn, share
from lt.speakers.voices import VoicePrint
from lt.speakers.windows import Span, sample_range, windows, word_spans

REGION_GAP = 0.5
STRAY_SECONDS = 0.5
MAX_CLUSTERED = 800


@dataclass(frozen=True)
class WordSpeaker:
    speaker: str
    speaker_prob: float


def diarize(
    embedder: Embedder,
    audio: np.ndarray,
    words: Sequence[tuple[float | None, float | None]],
    settings: SpeakerSettings,
    voices: Sequence[VoicePrint] = (),
    audio_start: float = 0.0,
) -> list[WordSpeaker]:
    """One WordSpeaker per word of the whole file."""
    spans = word_spans(words, audio_start, len(audio) / SAMPLE_RATE)
    if not spans:
        return []
    placed = [w for region in _regions(spans) for w in windows(region, settings.window, settings.hop)]
    embeddings = embedder.embed(audio, [sample_range(w, audio_start, len(audio)) for w in placed])
    centroids = _centroids(embeddings, placed, settings)
    scores = embeddings @ centroids.T  # windows x clusters
    per_word = _word_scores(spans, placed, scores)
    labels = _smoothed(spans, list(np.argmax(per_word, axis=1)))
    names = _names(labels, centroids, voices, settings)
    return [
        WordSpeaker(names[label], share(per_word[i], label, settings.sharpness)) for i, label in enumerate(labels)
    ]


def _regions(spans: list[Span]) -> list[Span]:
    regions = [Span(spans[0].start, spans[0].end)]
    for span in spans[1:]:
        if span.start - regions[-1].end < REGION_GAP:
            regions[-1] = Span(regions[-1].start, max(regions[-1].end, span.end))
        else:
            regions.append(Span(span.start, span.end))
    return regions


def _centroids(embeddings: np.ndarray, placed: list[Span], settings: SpeakerSettings) -> np.ndarray:
    step = max(1, -(-len(embeddings) // MAX_CLUSTERED))
    sample = embeddings[::step]
    seconds = np.array([w.seconds for w in placed[::step]])
    members = _agglomerate(sample, settings)
    # Too little speech for a voice of its own: joined to the nearest real cluster.
    real = [m for m in members if seconds[m].sum() * step >= settings.min_new_seconds] or members
    return unit(np.stack([sample[m].mean(axis=0) for m in real]))


def _agglomerate(x: np.ndarray, settings: SpeakerSettings) -> list[list[int]]:
    """Average-linkage clustering on cosine similarity; the members of each cluster."""
    sim = (x @ x.T).astype(np.float64)
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(len(x))
    members = {i: [i] for i in range(len(x))}
    while len(members) > 1:
        i, j = divmod(int(np.argmax(sim)), len(x))
        enough = len(members) <= settings.cap
        if (settings.known is not None and len(members) <= settings.known) or (
            settings.known is None and enough and sim[i, j] < settings.open_below
        ):
            break
        merged = (sim[i] * sizes[i] + sim[j] * sizes[j]) / (sizes[i] + sizes[j])
        sim[i], sim[:, i] = merged, merged
        sim[i, i] = -np.inf
        sim[j], sim[:, j] = -np.inf, -np.inf
        sizes[i] += sizes[j]
        members[i] += members.pop(j)
    return list(members.values())


def _word_scores(spans: list[Span], placed: list[Span], scores: np.ndarray) -> np.ndarray:
    """Per word, the overlap-weighted mean score of the windows it falls in (the nearest window if none)."""
    starts = np.array([w.start for w in placed])
    ends = np.array([w.end for w in placed])
    out = np.zeros((len(spans), scores.shape[1]))
    for i, span in enumerate(spans):
        overlap = np.minimum(ends, max(span.end, span.start + 1e-3)) - np.maximum(starts, span.start)
        weights = np.clip(overlap, 0, None)
        if weights.sum() == 0:
            weights = np.zeros(len(placed))
            weights[np.argmin(np.abs((starts + ends) / 2 - span.start))] = 1.0
        out[i] = weights @ scores / weights.sum()
    return out


def _smoothed(spans: list[Span], labels: list[int]) -> list[int]:
    """A run of words shorter than STRAY_SECONDS between two runs of one speaker joins them."""
    runs: list[list[int]] = []  # [label, first, last]
    for i, label in enumerate(labels):
        if runs and runs[-1][0] == label:
            runs[-1][2] = i
        else:
            runs.append([label, i, i])
    for k in range(1, len(runs) - 1):
        label, first, last = runs[k]
        if runs[k - 1][0] == runs[k + 1][0] != label and spans[last].end - spans[first].start < STRAY_SECONDS:
            for i in range(first, last + 1):
                labels[i] = runs[k - 1][0]
            runs[k][0] = runs[k - 1][0]
    return labels


def _names(labels: list[int], centroids: np.ndarray, voices: Sequence[VoicePrint], settings: SpeakerSettings) -> dict[int, str]:
    names: dict[int, str] = {}
    if voices:
        sims = centroids @ np.stack([v.embedding for v in voices]).T
        for flat in np.argsort(sims, axis=None)[::-1]:
            cluster, voice = divmod(int(flat), len(voices))
            if sims[cluster, voice] < settings.open_below:
                break
            if cluster not in names and voices[voice].name not in names.values():
                names[cluster] = voices[voice].name
    anonymous = 0
    for label in labels:
        if label not in names:
            anonymous += 1
            names[label] = f"S{anonymous}"
    return names


def turns_from_labels(labels: Sequence[WordSpeaker], words: Sequence[tuple[float | None, float | None]]) -> list[Turn]:
    """One final's words' labels as turns, like the tracker's: a turn per run of one speaker,
    its speaker_prob the lowest of its words'."""
    turns: list[Turn] = []
    for i, (label, (start, end)) in enumerate(zip(labels, words)):
        start = start if start is not None else (turns[-1].end if turns else 0.0)
        end = end if end is not None else start
        if turns and turns[-1].speaker == label.speaker:
            last = turns[-1]
            turns[-1] = Turn(last.speaker, min(last.speaker_prob, label.speaker_prob), last.first_word, last.start, max(last.end, end))
        else:
            turns.append(Turn(label.speaker, label.speaker_prob, i, start, end))
    return turns
