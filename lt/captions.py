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
