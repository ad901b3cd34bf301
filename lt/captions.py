"""The one caption vocabulary: where sentences and clauses end, how long a caption stays up,
and a caption as stored.

Used by the transcribe stage (where a final ends), the translate stage (when a
stable prefix is worth translating), the overlay (how long a caption is on
screen) and subtitle export (cues and their timing), so they all agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Sentence ends in Latin, CJK and other scripts, with the closing quotes and brackets that may follow.
SENTENCE_END = re.compile(r"[.!?…。！？‼⁇⁈⁉؟।]['\")\]»”’」』】]*$")
CLAUSE_END = re.compile(r"[,;:，、；：،]['\")\]»”’」』】]*$")
# Titles and abbreviations whose full stop ends no sentence ("And Mr. John Dashwood had ...").
ABBREVIATIONS = frozenset(
    "mr. mrs. ms. dr. prof. sr. jr. st. mt. vs. e.g. i.e. no. fig. sra. sr. dra. srta. hr. fr. frau. m. mme. mlle.".split()
)


def ends_sentence(word: str) -> bool:
    """Does this word (as written, punctuation and all) end a sentence?"""
    word = word.strip()
    return bool(SENTENCE_END.search(word)) and word.casefold() not in ABBREVIATIONS


def ends_clause(word: str) -> bool:
    return bool(CLAUSE_END.search(word.strip()))


def sentences(words: list[str]) -> list[list[str]]:
    """The words in runs that each end a sentence (the last run may not)."""
    return _runs(words, ends_sentence)


def split_long(text: str, max_chars: int) -> list[str]:
    """`text` in pieces of at most `max_chars`, cut between sentences where it can, else between
    clauses, else between words (a longer word is cut inside); a text that fits is one piece."""
    if len(text) <= max_chars:
        return [text]
    units = [unit for sentence in sentences(text.split()) for unit in _fit(sentence, max_chars, clauses=True)]
    return _pack(units, max_chars)


def _fit(words: list[str], max_chars: int, clauses: bool) -> list[str]:
    joined = " ".join(words)
    if len(joined) <= max_chars:
        return [joined]
    if clauses and len(runs := _runs(words, ends_clause)) > 1:
        return [unit for run in runs for unit in _fit(run, max_chars, clauses=False)]
    return _pack([word[i:i + max_chars] for word in words for i in range(0, len(word), max_chars)], max_chars)


def _runs(words: list[str], ends) -> list[list[str]]:
    runs: list[list[str]] = [[]]
    for word in words:
        runs[-1].append(word)
        if ends(word):
            runs.append([])
    return [run for run in runs if run]


def _pack(units: list[str], max_chars: int) -> list[str]:
    pieces: list[str] = []
    for unit in units:
        if pieces and len(pieces[-1]) + 1 + len(unit) <= max_chars:
            pieces[-1] += " " + unit
        else:
            pieces.append(unit)
    return pieces


@dataclass(frozen=True)
class ReadingTime:
    """How long a caption stays up: long enough to read, within bounds."""

    chars_per_second: float = 17.0
    min_seconds: float = 1.0
    max_seconds: float = 7.0

    def seconds(self, chars: int) -> float:
        return min(max(chars / self.chars_per_second, self.min_seconds), self.max_seconds)


@dataclass(frozen=True)
class TimedWord:
    w: str
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class Caption:
    """One final caption as stored; `words` only when its word timings match its text."""

    start: float | None
    end: float | None
    text: str
    words: tuple[TimedWord, ...] = ()
    speaker: str | None = None
