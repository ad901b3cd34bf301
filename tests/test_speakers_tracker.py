"""The tracker's bookkeeping with an honest fake embedder: merges, the cap, bounded memory, odd input."""

from __future__ import annotations

import numpy as np

from lt.speakers import SpeakerSettings, SpeakerTracker
from lt.speakers.model import unit
from lt.speakers.scoring import Segment, score
from lt.speakers.windows import Span, windows


class ToneEmbedder:
    """Embeds a range as the unit vector its audio's first sample names: audio made of constant
    stretches, one value per voice, gives each voice its own direction (`voices` maps value -> vector)."""

    dim = 4

    def __init__(self, voices: dict[int, np.ndarray]):
        self.voices = voices
        self.calls = 0

    def embed(self, audio, ranges):
        self.calls += 1
        out = []
        for first, last in ranges:
            values = np.round(audio[first:max(first + 1, last)]).astype(int)
            out.append(np.mean([self.voices[v] for v in values], axis=0))
        return unit(np.array(out, dtype=np.float32))


def speech(value: int, seconds: float) -> np.ndarray:
    return np.full(int(seconds * 16000), float(value), dtype=np.float32)


def words_over(start: float, seconds: float, every: float = 0.4) -> list[tuple[float, float]]:
    n = int(seconds / every)
    return [(start + i * every, start + (i + 1) * every - 0.05) for i in range(n)]


AXES = {i: np.eye(4, dtype=np.float32)[i] for i in range(4)}


def test_voices_that_turn_out_the_same_are_merged_into_the_older_id():
    def at(degrees: float) -> np.ndarray:
        return np.array([np.cos(np.radians(degrees)), np.sin(np.radians(degrees)), 0, 0], dtype=np.float32)

    # S2's first words were odd (60 degrees from S1); the rest of them (30.5) sit a little nearer S2 than S1.
    embedder = ToneEmbedder({0: at(0), 1: at(60), 2: at(30.5)})
    tracker = SpeakerTracker(embedder, SpeakerSettings(open_below=0.6, merge_above=0.8))
    assert tracker.turns(speech(0, 2), 0.0, words_over(0.0, 2))[0].speaker == "S1"
    assert tracker.turns(speech(1, 2), 2.0, words_over(2.0, 2))[0].speaker == "S2"
    for k in range(6):  # which pulls S2's print towards S1's until they are one
        tracker.turns(speech(2, 2), 4.0 + 2 * k, words_over(4.0 + 2 * k, 2))
    assert tracker.merged == {"S2": "S1"}
    assert [sp.id for sp in tracker.speakers] == ["S1"]
    assert tracker.turns(speech(1, 2), 20.0, words_over(20.0, 2))[0].speaker == "S1"
    assert tracker.summary()["merged"] == {"S2": "S1"}


def test_the_cap_holds_and_memory_stays_flat_over_many_finals():
    rng = np.random.default_rng(1)
    directions = {i: unit(rng.standard_normal(4).astype(np.float32)) for i in range(4)}
    embedder = ToneEmbedder(directions)
    tracker = SpeakerTracker(embedder, SpeakerSettings(max_speakers=3, merge_above=0.999))
    at = 0.0
    for k in range(3000):
        tracker.turns(speech(k % 4, 1.5), at, words_over(at, 1.5))
        at += 1.5
    assert len(tracker.speakers) <= 3
    assert tracker.stats.finals == 3000
    assert all(sp.weight <= tracker.settings.centroid_seconds for sp in tracker.speakers)
    assert sum(sp.turns for sp in tracker.speakers) == 3000


def test_short_and_odd_finals_never_break_the_tracker():
    embedder = ToneEmbedder(AXES)
    tracker = SpeakerTracker(embedder, SpeakerSettings())
    assert tracker.turns(speech(0, 1), 0.0, []) == []
    first = tracker.turns(speech(0, 2), 0.0, words_over(0.0, 2))
    assert first[0].speaker == "S1" and first[0].first_word == 0
    short = tracker.turns(speech(1, 0.5), 2.0, [(2.0, 2.2), (None, None), (2.3, 2.45)])
    assert short[0].speaker == "S1"  # too short to open a new speaker
    outside = tracker.turns(speech(1, 2), 5.0, [(4.0, 5.5), (5.5, 8.0)])  # times past the audio are clipped
    assert outside[0].speaker == "S2"


def test_windows_cover_the_span_evenly():
    placed = windows(Span(0.0, 5.0), 1.5, 1.0)
    assert placed[0].start == 0.0 and placed[-1].end == 5.0
    assert all(w.seconds == 1.5 for w in placed)
    assert max(b.start - a.start for a, b in zip(placed, placed[1:])) <= 1.0
    assert windows(Span(1.0, 2.0), 1.5, 1.0) == [Span(1.0, 2.0)]


def test_der_counts_confusion_missed_and_false_alarm_with_and_without_collar():
    reference = [Segment("A", 0.0, 10.0), Segment("B", 10.0, 20.0)]
    perfect = [Segment("x", 0.0, 10.0), Segment("y", 10.0, 20.0)]
    assert score(reference, perfect).der == 0.0
    late = [Segment("x", 0.0, 11.0), Segment("y", 11.0, 20.0)]
    assert abs(score(reference, late).confusion - 0.05) < 1e-6
    assert abs(score(reference, late, collar=0.25).confusion - 0.75 / 19.0) < 1e-3
    missing = [Segment("x", 0.0, 10.0)]
    assert abs(score(reference, missing).missed - 0.5) < 1e-6
    assert score(reference, [Segment("x", 0.0, 20.0)]).confusion == 0.5
