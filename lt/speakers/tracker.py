"""Online speaker tracking: each final's audio in, its turns (speaker, speaker_prob, first word) out.

The tracker holds one voice print per speaker (a centroid of unit
embeddings, adapting over the last `centroid_seconds` of their speech; an
enrolled voice's print stays as enrolled) and
nothing per utterance, so its memory is the same after hours as after a
minute. Ids are `S1`, `S2`, ... in the order voices appear, never reused in a
session; an enrolled voice keeps its name. When two speakers' prints come
within `merge_above` of each other they are one person: the later id is
folded into the earlier, recorded in `merged` (earlier finals keep the id
they were given; `summary()` reports the mapping, and the query side applies
it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from lt.speakers.change import change_points
from lt.speakers.features import SAMPLE_RATE
from lt.speakers.model import Embedder, unit
from lt.speakers.settings import SpeakerSettings
from lt.speakers.voices import VoicePrint
from lt.speakers.windows import Span, sample_range, windows, word_spans

MIN_EMBED_SECONDS = 0.3  # less than this is not worth embedding: the turn goes to the previous speaker


@dataclass(frozen=True)
class Turn:
    """A stretch of one final spoken by one speaker, from word `first_word` to the next turn's."""

    speaker: str
    speaker_prob: float
    first_word: int
    start: float
    end: float


@dataclass
class Speaker:
    id: str
    centroid: np.ndarray
    weight: float  # seconds of speech behind the centroid, capped at centroid_seconds
    talk_seconds: float = 0.0
    turns: int = 0
    enrolled: bool = False


@dataclass
class TrackerStats:
    finals: int = 0
    embedded_seconds: float = 0.0
    windows: int = 0
    changes: int = 0


class SpeakerTracker:
    def __init__(self, embedder: Embedder, settings: SpeakerSettings, voices: Sequence[VoicePrint] = ()):
        self.embedder = embedder
        self.settings = settings
        self.speakers: list[Speaker] = [
            Speaker(v.name, v.embedding, settings.centroid_seconds, enrolled=True) for v in voices
        ]
        self.merged: dict[str, str] = {}
        self.stats = TrackerStats()
        self._opened = 0
        self._last: str | None = None

    def turns(self, audio: np.ndarray, audio_start: float, words: Sequence[tuple[float | None, float | None]]) -> list[Turn]:
        """The turns of one final. `audio` is its 16 kHz float32 mono samples, beginning at session
        second `audio_start`; `words` its words' (start, end) in session seconds."""
        spans = word_spans(words, audio_start, len(audio) / SAMPLE_RATE)
        if not spans:
            return []
        self.stats.finals += 1
        speech = Span(spans[0].start, spans[-1].end)
        whole = self._embed(audio, audio_start, [speech])
        cuts = self._changes(audio, audio_start, speech, spans, whole[0])
        pieces = [Span(spans[first].start, spans[last - 1].end) for first, last in zip([0, *cuts], [*cuts, len(spans)])]
        # Each piece is embedded whole to say who it is: the mean of short windows tells voices apart less well.
        embeddings = whole if not cuts else self._embed(audio, audio_start, pieces)
        turns: list[Turn] = []
        for first, piece, embedding in zip([0, *cuts], pieces, embeddings):
            speaker, prob = self._assign(embedding, piece.seconds)
            if turns and turns[-1].speaker == speaker:  # the search saw a change the voices do not bear out
                turns[-1] = Turn(speaker, min(turns[-1].speaker_prob, prob), turns[-1].first_word, turns[-1].start, piece.end)
            else:
                turns.append(Turn(speaker, prob, first, piece.start, piece.end))
        self.stats.changes += len(turns) - 1
        return turns

    def _changes(self, audio: np.ndarray, audio_start: float, speech: Span, spans: list[Span], whole: np.ndarray) -> list[int]:
        """Where the speaker changes inside the final. Searched only in finals long enough for two turns
        whose voice is not already a clear match for one known speaker (most finals are one person's)."""
        s = self.settings
        if speech.seconds < 2 * s.window or any(float(sp.centroid @ whole) >= s.one_voice_above for sp in self.speakers):
            return []
        placed = windows(speech, s.window, s.hop)
        return change_points(self._embed(audio, audio_start, placed), placed, spans, s) if len(placed) > 2 else []

    def _embed(self, audio: np.ndarray, audio_start: float, spans: list[Span]) -> np.ndarray:
        self.stats.windows += len(spans)
        self.stats.embedded_seconds += sum(s.seconds for s in spans)
        return self.embedder.embed(audio, [sample_range(s, audio_start, len(audio)) for s in spans])

    def _assign(self, embedding: np.ndarray, seconds: float) -> tuple[str, float]:
        s = self.settings
        if seconds < MIN_EMBED_SECONDS and self._last is not None:
            speaker = self._by_id(self._last)
            return self._credit(speaker, None, seconds), 0.5
        sims = np.array([float(sp.centroid @ embedding) for sp in self.speakers])
        anonymous = sum(not sp.enrolled for sp in self.speakers)
        can_open = seconds >= s.min_new_seconds or not self.speakers
        can_open = can_open and (anonymous < s.cap if s.known is None else len(self.speakers) < s.cap)
        best = int(np.argmax(sims)) if len(sims) else -1
        if best < 0 or (sims[best] < s.open_below and can_open):
            speaker = self._open(embedding, seconds)
            options = np.append(sims, s.open_below)
            return self._credit(speaker, None, seconds), share(options, len(options) - 1, s.sharpness)
        speaker = self.speakers[best]
        prob = share(np.append(sims, s.open_below) if can_open else sims, best, s.sharpness)
        self._credit(speaker, embedding, seconds)
        self._merge_into_older(speaker)
        return self._resolve(speaker.id), prob

    def _open(self, embedding: np.ndarray, seconds: float) -> Speaker:
        self._opened += 1
        speaker = Speaker(f"S{self._opened}", embedding, 0.0)
        self.speakers.append(speaker)
        return speaker

    def _credit(self, speaker: Speaker, embedding: np.ndarray | None, seconds: float) -> str:
        if embedding is not None and not speaker.enrolled:  # an enrolled print is the reference: it never drifts
            # A running mean over about the last centroid_seconds: older speech weighs less and less.
            speaker.centroid = unit(speaker.centroid * speaker.weight + embedding * seconds)
            speaker.weight = min(speaker.weight + seconds, self.settings.centroid_seconds)
        elif speaker.weight == 0.0:
            speaker.weight = seconds
        speaker.talk_seconds += seconds
        speaker.turns += 1
        self._last = speaker.id
        return speaker.id

    def _merge_into_older(self, speaker: Speaker) -> None:
        for other in list(self.speakers):
            if other is speaker or (other.enrolled and speaker.enrolled):
                continue
            if float(other.centroid @ speaker.centroid) < self.settings.merge_above:
                continue
            keep, fold = sorted((speaker, other), key=self._age)
            total = keep.weight + fold.weight
            keep.centroid = unit(keep.centroid * keep.weight + fold.centroid * fold.weight)
            keep.weight = min(total, self.settings.centroid_seconds)
            keep.talk_seconds += fold.talk_seconds
            keep.turns += fold.turns
            self.speakers.remove(fold)
            self.merged[fold.id] = keep.id
            self.merged = {k: (keep.id if v == fold.id else v) for k, v in self.merged.items()}
            self._last = keep.id
            return

    def _age(self, speaker: Speaker) -> tuple[int, int]:
        """Enrolled first, then by opening order."""
        return (0, 0) if speaker.enrolled else (1, int(speaker.id[1:]))

    def _by_id(self, speaker_id: str) -> Speaker:
        return next(sp for sp in self.speakers if sp.id == self._resolve(speaker_id))

    def _resolve(self, speaker_id: str) -> str:
        return self.merged.get(speaker_id, speaker_id)

    def summary(self) -> dict:
        """Talk time and turns per speaker, and the merges, for the session's end event."""
        return {
            "speakers": {
                sp.id: {"talk_seconds": round(sp.talk_seconds, 2), "turns": sp.turns, "enrolled": sp.enrolled}
                for sp in self.speakers if sp.turns
            },
            "merged": dict(self.merged),
            "finals": self.stats.finals,
            "changes": self.stats.changes,
        }


def share(sims: np.ndarray, chosen: int, sharpness: float) -> float:
    """speaker_prob: the chosen option's share of exp(sharpness * similarity) over all options."""
    weights = np.exp(sharpness * (sims - sims.max()))
    return round(float(weights[chosen] / weights.sum()), 3)
