"""Whisper's known failure modes, flagged in `flags` rather than silently deleted.

- `suspect_hallucination`: text where the VAD heard (almost) no speech, text the
  decoder itself thought was silence (high no_speech_prob with a low log-prob),
  or one of the stock phrases Whisper invents on silence and music.
- `repetition`: a looping decoder: a word four times in a row or a longer
  n-gram three times, or text that compresses too well (gzip ratio, as Whisper measures it).
- `low_confidence`: the mean word probability is low.

`invented(words)` tells the words a decoder wrote into a stretch of silence apart:
unlikely guesses crammed into no time, as faster-whisper's hallucination check scores them.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

# Whisper learnt these from subtitle files; on silence or music it writes them out of nothing.
STOCK_PHRASES = (
    "thanks for watching",
    "thank you for watching",
    "please subscribe",
    "like and subscribe",
    "subtitles by",
    "subtitled by",
    "captions by",
    "transcribed by",
    "translated by",
    "amara.org",
    "www.",
    "see you in the next video",
)
# Only suspicious when they are all there is and the evidence for speech is weak.
SHORT_STOCK = ("you", "thank you", "thanks", "bye", "okay", "so", "oh")

NO_SPEECH_PROB = 0.6
LOG_PROB = -1.0
COMPRESSION_RATIO = 2.4
MIN_SPEECH_OVERLAP = 0.2
LOW_CONFIDENCE = 0.35
UNLIKELY = 0.15  # a word the decoder gives less than this ...
TOO_SHORT = 0.133  # seconds: ... or aligns into less time than this (a syllable) is anomalous ...
TOO_LONG = 2.0  # ... and so is one stretched over more than this
ANOMALY = 3.0  # this much anomaly in a decode's first words: invented
FIRST_WORDS = 8  # words scored, as faster-whisper scores a segment's first ones


@dataclass(frozen=True)
class Evidence:
    """What the decoder and the VAD said about a piece of text."""

    text: str
    confidence: float | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    speech_overlap: float | None = None  # fraction of its time the VAD heard speech; None = unknown


def flags(evidence: Evidence) -> tuple[str, ...]:
    found = []
    if _suspect_hallucination(evidence):
        found.append("suspect_hallucination")
    if is_repetitive(evidence.text):
        found.append("repetition")
    if evidence.confidence is not None and evidence.confidence < LOW_CONFIDENCE:
        found.append("low_confidence")
    return tuple(found)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s.']", " ", text.casefold()).replace(".", " ").split())


def _suspect_hallucination(e: Evidence) -> bool:
    if e.speech_overlap is not None and e.speech_overlap < MIN_SPEECH_OVERLAP:
        return True
    if (e.no_speech_prob or 0.0) > NO_SPEECH_PROB and (e.avg_logprob or 0.0) < LOG_PROB:
        return True
    lowered = e.text.casefold()
    if any(phrase in lowered for phrase in STOCK_PHRASES):
        return True
    weak = (e.no_speech_prob or 0.0) > 0.3 or (e.confidence is not None and e.confidence < 0.5)
    return weak and _normal(e.text) in SHORT_STOCK


def invented(words) -> bool:
    """Whether a decode's first words (objects with `text`, `start`, `end` and `p`) look written
    into silence: unlikely, squeezed into no time, or stretched over seconds."""
    spoken = [w for w in words if any(c.isalnum() for c in w.text)][:FIRST_WORDS]
    if not spoken:
        return False
    return sum(_anomaly(w.p, w.end - w.start) for w in spoken) >= ANOMALY


def _anomaly(p: float, duration: float) -> float:
    return (p < UNLIKELY) + max(0.0, TOO_SHORT - duration) * 15 + max(0.0, duration - TOO_LONG)


def is_repetitive(text: str) -> bool:
    words = _normal(text).split()
    if _repeated_ngram(words):
        return True
    return len(text) >= 60 and compression_ratio(text) > COMPRESSION_RATIO


def _repeated_ngram(words: list[str]) -> bool:
    for n in range(1, 5):
        times = 4 if n == 1 else 3  # "no, no, no" is speech; a fourth time is a loop
        for i in range(len(words) - n * times + 1):
            gram = words[i : i + n]
            if all(words[i + k * n : i + (k + 1) * n] == gram for k in range(1, times)):
                return True
    return False


def compression_ratio(text: str) -> float:
    data = text.encode()
    return len(data) / len(zlib.compress(data))
