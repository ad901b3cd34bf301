"""Word and character error rates, on one normalisation: `lt score`, `lt compare` and the benchmarks use these.

Normalisation: lower case, words are runs of letters, digits and apostrophes
(quotes around a word are dropped, "don't" stays one word), everything else
separates words. So "Good morning, everyone." and "good morning everyone"
are the same text, and a caption per line reads like one paragraph. English
numbers up to ninety-nine written as words count as their digits ("two more
weeks" is "2 more weeks"), as Whisper's own normaliser has it: a decoder that
writes either has heard the same word.

An error rate counts the substitutions, deletions and insertions that turn
the reference into the hypothesis, over the reference's length (words for
WER; characters of the normalised text, spaces included, for CER). Tokens
are aligned the way difflib's SequenceMatcher (autojunk off) matches them,
longest common stretches first; a stretch between two matches costs as many
errors as its longer side. Where the texts mostly agree, as a transcript and
its reference do, that is the edit distance jiwer reports; on texts that
differ a lot it can come out a little higher, never lower. It takes
milliseconds on hours of text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[\w']+")
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_NUMBERS = {**{w: i for i, w in enumerate(_UNITS)}, **{w: 20 + 10 * i for i, w in enumerate(_TENS)}}
_TENS_DIGITS = {str(20 + 10 * i) for i in range(len(_TENS))}


def words(text: str) -> list[str]:
    return _digits([w.strip("'") for w in _WORD.findall(text.lower()) if w.strip("'")])


def _digits(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for token in tokens:
        value = _NUMBERS.get(token)
        if value is not None and 0 < value < 10 and out and out[-1] in _TENS_DIGITS:
            out[-1] = str(int(out[-1]) + value)  # "twenty five", "twenty-five": 25
        else:
            out.append(str(value) if value is not None else token)
    return out



def normal(text: str) -> str:
    """The normalised text: its words, one space between them."""
    return " ".join(words(text))


@dataclass(frozen=True)
class Errors:
    substitutions: int
    deletions: int
    insertions: int
    reference_length: int

    @property
    def rate(self) -> float | None:
        """Errors over the reference's length; None for an empty reference with a non-empty hypothesis."""
        errors = self.substitutions + self.deletions + self.insertions
        if not self.reference_length:
            return None if errors else 0.0
        return errors / self.reference_length

    def counts(self, unit: str) -> dict[str, int]:
        """The counts for JSON output, the reference's length named for its `unit` (words, chars)."""
        return {
            "substitutions": self.substitutions, "deletions": self.deletions, "insertions": self.insertions,
            f"reference_{unit}": self.reference_length,
        }


def alignment(reference: Sequence[str], hypothesis: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    return difflib.SequenceMatcher(a=reference, b=hypothesis, autojunk=False).get_opcodes()


def errors(reference: Sequence[str], hypothesis: Sequence[str]) -> Errors:
    """The edits between two token sequences (words, or the characters of a string)."""
    subs = dels = ins = 0
    for op, i1, i2, j1, j2 in alignment(reference, hypothesis):
        a, b = i2 - i1, j2 - j1
        if op == "replace":
            subs += min(a, b)
            dels += max(0, a - b)
            ins += max(0, b - a)
        elif op == "delete":
            dels += a
        elif op == "insert":
            ins += b
    return Errors(subs, dels, ins, len(reference))


def wer(reference: str, hypothesis: str) -> float | None:
    """Word error rate of two texts, normalised."""
    return errors(words(reference), words(hypothesis)).rate


def cer(reference: str, hypothesis: str) -> float | None:
    """Character error rate of two texts, normalised."""
    return errors(normal(reference), normal(hypothesis)).rate


def differences(reference: Sequence[str], hypothesis: Sequence[str]) -> list[tuple[str, str]]:
    """Each stretch where the two word sequences differ: (the reference's words, the hypothesis's)."""
    return [
        (" ".join(reference[i1:i2]), " ".join(hypothesis[j1:j2]))
        for op, i1, i2, j1, j2 in alignment(reference, hypothesis) if op != "equal"
    ]
