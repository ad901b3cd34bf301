"""The one caption vocabulary: where sentences and clauses end, and how long a caption stays up.

Used by the transcribe stage (where a final ends), the overlay (how long a
caption is on screen) and subtitle export (cue timing), so the three agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Sentence ends in Latin, CJK and other scripts, with the closing quotes and brackets that may follow.
SENTENCE_END = re.compile(r"[.!?…。！？‼⁇⁈⁉؟।]['\")\]»”’」』】]*$")
CLAUSE_END = re.compile(r"[,;:，、；：،]['\")\]»”’」』】]*$")


@dataclass(frozen=True)
class ReadingTime:
    """How long a caption stays up: long enough to read, within bounds."""

    chars_per_second: float = 17.0
    min_seconds: float = 1.0
    max_seconds: float = 7.0

    def seconds(self, chars: int) -> float:
        return min(max(chars / self.chars_per_second, self.min_seconds), self.max_seconds)
