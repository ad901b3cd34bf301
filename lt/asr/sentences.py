"""Where a final ends: whole sentences, cut shorter only by a pause or a length limit.

Committed words are on screen as soon as they are committed (a partial's
stable words), so finals need not hurry: they are cut where a translator and a
reader want them, at sentence ends. A one-word "sentence" that runs straight
into the next one ("Good. Morning everyone.", or a stray full stop's "There.
Please send...") joins it, and one that runs straight on from a sentence and
stops ("...our results. There.") ends that sentence's final, so one-word finals
only come from a person who said one word and stopped. A pause of `pause`
seconds ends a final wherever it falls; a sentence that goes on past
`max_chars` is cut at its last clause (or at the limit, unless its end is a
few words on); one that waits longer
than `max_hold` seconds for its end is cut the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lt.asr.hypothesis import HypWord
from lt.asr.vad import Span, speech_within
from lt.captions import ends_clause, ends_sentence

SENTENCE_END_AHEAD = 3  # words a long final with no clause in it may run on to end with its sentence

@dataclass(frozen=True)
class FinalRules:
    pause: float = 0.8  # silence that ends a final
    min_words: int = 2  # a shorter sentence joins the next one unless a pause follows it
    short_pause: float = 0.4  # ... this long
    max_chars: int = 160  # longer, and the final is cut at its last clause or here
    max_hold: float = 10.0  # seconds (audio) committed words wait for their sentence to end


def next_final(
    words: list[HypWord], rules: FinalRules, closed: bool, ahead: Sequence[HypWord] = (), speech: Sequence[Span] = (),
) -> int | None:
    """How many leading words make the next final, or None while it is still open.

    `closed`: no more words will join these (the speech paused, or the input ended); `ahead`: the
    tentative words the decoder wrote after them, a hint of what comes next; `speech`: where the
    VAD heard speech, so that a gap between two words' aligned times is a pause only where it was
    silent (a word aligned into the silence after it, "meeting" at 5.8 s for 5.5 s, is no pause)."""
    chars = 0
    clause = None
    for i, word in enumerate(words):
        chars += len(word.text)
        text = word.text.strip()
        gap = words[i + 1].start - word.end if i + 1 < len(words) else None
        if gap is not None and gap - speech_within(word.end, words[i + 1].start, speech) >= rules.pause:
            return i + 1
        if ends_sentence(text) and _long_enough(words[: i + 1], gap, rules):
            return _with_stray_word(words, i, rules, closed, ahead)
        if ends_clause(text):
            clause = i + 1
        if chars >= rules.max_chars:
            return clause or _sentence_end_soon(words, i, closed)
    return len(words) if closed and words else None


def _with_stray_word(words: list[HypWord], i: int, rules: FinalRules, closed: bool, ahead: Sequence[HypWord]) -> int | None:
    """Where a final that ends a sentence at word `i` ends: one more word when the next is a one-word
    sentence run straight on to it and left on its own by a pause ("...our results. There." then
    silence), since it would otherwise be a one-word final. While that word is only tentative, or
    the pause after it is not known yet, it waits."""
    following = [*words[i + 1 :], *ahead]
    if not following:
        return i + 1
    stray = following[0]
    if not (stray.key and ends_sentence(stray.text.strip())) or stray.start - words[i].end >= rules.short_pause:
        return i + 1
    if i + 1 >= len(words):
        return None
    if len(following) > 1:
        return i + 2 if following[1].start - stray.end >= rules.short_pause else i + 1
    return i + 2 if closed else None


def _sentence_end_soon(words: list[HypWord], i: int, closed: bool) -> int | None:
    """Where to cut a long final with no clause in it: at its sentence's end if that comes within
    a few words (rather than leave "internet." on its own), else here. While those few words are
    not all known yet, it waits."""
    ahead = words[i + 1 : i + 1 + SENTENCE_END_AHEAD]
    for j, word in enumerate(ahead):
        if ends_sentence(word.text.strip()):
            return i + 2 + j
    return i + 1 if closed or len(ahead) == SENTENCE_END_AHEAD else None


def early_cut(words: list[HypWord]) -> int:
    """Where to cut words that waited too long for their sentence: the last clause, else all."""
    ends = [i + 1 for i, w in enumerate(words) if ends_clause(w.text) or ends_sentence(w.text)]
    return ends[-1] if ends else len(words)


def _long_enough(sentence: list[HypWord], gap: float | None, rules: FinalRules) -> bool:
    if sum(1 for w in sentence if w.key) >= rules.min_words:
        return True
    return gap is not None and gap >= rules.short_pause


class Segmenter:
    """Committed words waiting for their final."""

    def __init__(self, rules: FinalRules):
        self.rules = rules
        self.pending: list[HypWord] = []

    def add(self, words: list[HypWord]) -> None:
        for word in words:
            # A mark the decoder adds after the sentence before it went out ("." once a pause
            # closed it) would be a final of its own: there is no word left to carry it.
            if self.pending or word.key:
                self.pending.append(word)

    def cut(
        self, now: float, *, closed: bool = False, ahead: Sequence[HypWord] = (), speech: Sequence[Span] = (),
    ) -> list[list[HypWord]]:
        """The finals that are ready at audio time `now`; `ahead`: the tentative words after them;
        `speech`: where the VAD heard speech."""
        finals = []
        while self.pending:
            size = next_final(self.pending, self.rules, closed, ahead, speech)
            if size is None and now - self.pending[0].committed_at >= self.rules.max_hold:
                size = early_cut(self.pending)
            if size is None:
                break
            finals.append(self.pending[:size])
            self.pending = self.pending[size:]
        return finals
