"""Words as the recogniser proposed them, and the runs of them that become transcript events.

Shared by streaming and batch mode, so batch mode never imports the streaming policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lt.asr.engine import Segment, Word

_NOT_WORD = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class HypWord:
    """A hypothesis word in session time, with the decode it came from."""

    word: Word
    segment: Segment
    language: str | None
    language_prob: float | None
    committed_at: float = 0.0  # audio time at which the policy committed it (streaming only)

    @property
    def text(self) -> str:
        return self.word.text

    @property
    def start(self) -> float:
        return self.word.start

    @property
    def end(self) -> float:
        return self.word.end

    @property
    def key(self) -> str:
        """The word as compared between hypotheses: case and punctuation do not count."""
        return _NOT_WORD.sub("", self.word.text.casefold())


@dataclass(frozen=True)
class Phrase:
    """A run of words that goes out as one transcript event; `stable` leading words are committed."""

    words: tuple[HypWord, ...]
    speech_overlap: float | None = None
    stable: int = 0

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def language(self) -> str | None:
        return self.words[0].language

    @property
    def language_prob(self) -> float | None:
        return self.words[0].language_prob
