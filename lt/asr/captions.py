"""Where a final ends: caption-sized pieces cut at sentence ends, long clauses, and a length limit."""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTENCE_END = re.compile(r"[.!?。！？…]['\")\]」]*$")
CLAUSE_END = re.compile(r"[,;:，、；：]$")


@dataclass(frozen=True)
class CaptionRules:
    clause_chars: int = 40  # a comma ends a caption once it is this long
    caption_chars: int = 84  # two lines of 42 characters, the usual subtitle limit


def caption_size(texts: list[str], rules: CaptionRules) -> int | None:
    """How many leading words make the next caption, or None while it is still open."""
    chars = 0
    for i, raw in enumerate(texts):
        chars += len(raw)
        text = raw.strip()
        if SENTENCE_END.search(text) or chars >= rules.caption_chars:
            return i + 1
        if CLAUSE_END.search(text) and chars >= rules.clause_chars:
            return i + 1
    return None


def clause_size(texts: list[str]) -> int | None:
    """The words up to the last clause or sentence end, if any: the best early cut."""
    ends = [i + 1 for i, raw in enumerate(texts) if CLAUSE_END.search(raw.strip()) or SENTENCE_END.search(raw.strip())]
    return ends[-1] if ends else None
