"""Which hypothesis words are committed: LocalAgreement, plus words the decoder has heard whole.

The agreement buffer holds one idea, in the way whisper_streaming keeps its
HypothesisBuffer apart from the audio processor: the words committed so far
whose audio is still being decoded (the decoder's forced prefix), and the
tentative words of the last hypothesis after them. Each new hypothesis (the
words a decode produced after that prefix) commits

- its longest prefix that agrees with the previous hypothesis (the last one that
  heard at least 0.3 s less audio, one default `--min-chunk` step: live, that is
  the decode before, while two decodes a moment apart do not count as two
  opinions; a second for the first words of an utterance that no earlier text
  prompts), word by word
  (LocalAgreement-2; case and punctuation do not count, the newer spelling wins,
  except that a full stop the newer one drops stays where the VAD heard the
  speaker pause and the newer one is unsure of the word it ran on to),
  up to a word the decoder heard to its end: one ending at the very end of the
  audio was cut off there, and two decodes a fraction of a second apart can
  guess the same wrong word from its first half. How much audio past a word is
  enough is `lookahead` (`lt transcribe --lookahead`, 0.2 s by default): some
  words are only told apart by the words after them ("a budget" from "the
  budget for"), so more is more accurate and later. A word either hypothesis
  gives a probability under 0.6 needs at least 0.8 s after it: Whisper is
  unsure where the sound alone leaves a guess that the next words settle
  ("free" for "three" until "engineers" is heard), and two decodes that heard
  the same little after it guess alike ("a budget" and "free" were agreed at
  0.47-0.65; with 0.6 rather than 0.5, replays wrote one word fewer wrong in
  four of 32 and none more, 0-0.08 s later). The first words of an unprompted
  utterance, decoded from a second of audio or less, need at least a second
  after them;
- and, at once, every word that ends before the speech did when the decoder
  has already heard the silence after it: nothing that follows can change it;
- and, from an utterance's second decode on, every word after those that the
  newest decode is sure of (probability 0.9 or more) and has heard `lookahead`
  past, up to a sentence's first word: Whisper is sure of that one from the
  sentence before as much as from its sound ("Oliver representatives" for "All
  of our representatives"), so it waits for a second opinion unless decodes
  come slowly (the one before heard at least 0.35 s less: a machine too busy
  to decode every `--min-chunk`), when waiting costs a whole slow decode.
  Replayed at the usual one decode per 0.3 s, words were stable 0.02-0.12 s
  sooner in 16 replays of 16 at the same WER (with sentence starts too, "Oliver"
  was written); slow decodes with sentence starts, at one per 0.45 s, made
  words stable 0.1-0.2 s sooner and wrote one word more wrong in two replays
  of fifteen; at one per 0.35 s, 0.04-0.14 s sooner in 17 of 18, one word
  more wrong in one and one fewer in another (without sentence starts there,
  0-0.05 s later on the example for the same words);

except a full stop at the very end of the hypothesis, close to the end of the
audio: the decoder writes one when its audio stops, and only the next words
(or a real pause) tell whether the sentence ended there.

Because the committed words are forced into the next decode, a word can be
neither dropped nor doubled where one hypothesis meets the next.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from lt.asr.hypothesis import HypWord
from lt.captions import ends_sentence
from lt.pcm import HALF_SAMPLE


AGREE_GUARD = 0.2  # the default lookahead: a word ending this close to the audio's end was cut off, two decodes can guess it alike
FIRST_GUARD = 1.0  # ... and the first words of an utterance, which Whisper guesses from too little audio
UNSURE_GUARD = 0.8  # ... and a word the decoder is unsure of, which the words after it settle
AGREE_SPAN = 0.3  # agreeing hypotheses must have heard this much audio apart to be two opinions, not one
FIRST_SPAN = 1.0  # ... and for the first words of an utterance, as far apart as their guard
HISTORY = 8  # hypotheses kept to find one that far back
STOP_NEAR_END = 1.0  # a full stop this close to the end of the audio may be the decoder's guess that it ends
CUT_OFF_SLACK = 0.1  # word ends may run this far into the silence after them
STOP_PAUSE = 0.2  # a silence this long after a word the older hypothesis ended a sentence with ...
PAUSE_NEAR = 0.3  # ... starting this close to the (aligned, so approximate) end of the word ...
UNSURE = 0.6  # a word's probability below this is a guess: it waits for UNSURE_GUARD, and keeps the full stop above
SURE = 0.9  # a word the newest decode is this sure of is committed without agreement ...
SLOW_SPAN = 0.35  # ... a sentence's first word only when the decode before heard this much less audio


@dataclass
class _Hypothesis:
    heard_to: float  # audio time the decode heard up to
    words: list[HypWord]  # its words after what has been committed since

    def heard_less(self, now: float, span: float) -> bool:
        """It heard at least `span` seconds less audio than a decode up to `now` (audio times are
        sums of block lengths, so a hair of slack)."""
        return self.heard_to <= now - span + HALF_SAMPLE


class HypothesisBuffer:
    def __init__(self, lookahead: float = AGREE_GUARD) -> None:
        self.lookahead = lookahead  # audio a decode must have heard past a word to commit it by agreement
        self.committed: list[HypWord] = []  # committed, their audio still in the decoder's buffer
        self.started = False  # anything committed in this utterance
        self._history: list[_Hypothesis] = []

    @property
    def tentative(self) -> list[HypWord]:
        """The last hypothesis's words after the committed ones. A decode that heard nothing at
        all while earlier ones of the utterance did is a decoder's blank, not a retraction."""
        return next((h.words for h in reversed(self._history) if h.words), [])

    @property
    def prefix(self) -> list[str]:
        """The committed words' text, forced into the next decode."""
        return [w.text for w in self.committed]

    @property
    def last_end(self) -> float | None:
        return self.committed[-1].end if self.committed else None

    def insert(
        self, hypothesis: list[HypWord], now: float, heard_until: float | None = None, commit: bool = True,
        cold: bool = False, pauses: Sequence[tuple[float, float]] = (),
    ) -> list[HypWord]:
        """Take a hypothesis decoded from audio up to `now`; return the words it commits (in order).

        `heard_until`: the audio time before which the decoder heard the speech end whole,
        so the words ending by then are committed without waiting for agreement; `commit`
        False keeps the whole hypothesis tentative (its language is not settled yet); `cold`:
        no earlier text prompts the decoder, so an utterance's first words need more care;
        `pauses`: (start, end) of the silences the VAD heard between stretches of speech."""
        careful = cold and not self.started
        reference = self._reference(now, FIRST_SPAN if careful else AGREE_SPAN)
        previous = self._history[-1] if self._history else None  # the decode before this one
        self._history = [*self._history[-(HISTORY - 1) :], _Hypothesis(now, hypothesis)]
        if not commit:
            return []
        agreed = 0
        guard = max(FIRST_GUARD, self.lookahead) if careful else self.lookahead
        while (
            agreed < min(len(hypothesis), len(reference))
            and hypothesis[agreed].key == reference[agreed].key
            and hypothesis[agreed].end <= now - _guard(guard, hypothesis[agreed], reference[agreed])
        ):
            agreed += 1
        if previous is not None and not careful:
            slow = previous.heard_less(now, SLOW_SPAN)
            while (
                agreed < len(hypothesis) and hypothesis[agreed].word.p >= SURE and hypothesis[agreed].end <= now - self.lookahead
                and (slow or not self._starts_sentence(hypothesis, agreed))
            ):
                agreed += 1
        if heard_until is not None:
            while agreed < len(hypothesis) and hypothesis[agreed].end <= heard_until:
                agreed += 1
        last = hypothesis[-1] if hypothesis else None
        if agreed and agreed == len(hypothesis) and ends_sentence(last.text) and last.end >= now - STOP_NEAR_END:
            # A full stop before a short pause is the decoder's guess that nothing follows: the
            # sentence may go on. It waits for the next words, or for the utterance to end.
            agreed -= 1
        return self._commit(_with_kept_stops(hypothesis[:agreed], hypothesis[agreed:], reference, pauses), now)

    def commit_all(self, now: float, before: float | None = None) -> list[HypWord]:
        """Commit the tentative words as they stand (the utterance ended, or the buffer is full);
        with `before`, only those that end by then."""
        words = [w for w in self.tentative if before is None or w.end <= before + CUT_OFF_SLACK]
        return self._commit(words, now)

    def _starts_sentence(self, hypothesis: list[HypWord], i: int) -> bool:
        """Word `i` of `hypothesis` begins a sentence (or all this buffer still holds)."""
        previous = hypothesis[i - 1] if i else (self.committed[-1] if self.committed else None)
        return previous is None or ends_sentence(previous.text)

    def _reference(self, now: float, span: float) -> list[HypWord]:
        """The newest earlier hypothesis that heard at least `span` less audio than this one (a
        blank is no opinion)."""
        return next((h.words for h in reversed(self._history) if h.heard_less(now, span) and h.words), [])

    def release_before(self, time: float) -> list[HypWord]:
        """Forget the committed words that start before `time` (their audio is being dropped)."""
        keep = next((i for i, w in enumerate(self.committed) if w.start >= time), len(self.committed))
        gone, self.committed = self.committed[:keep], self.committed[keep:]
        return gone

    def clear(self) -> list[HypWord]:
        """The utterance ended: forget everything."""
        gone, self.committed, self._history = self.committed, [], []
        self.started = False
        return gone

    def _commit(self, words: list[HypWord], now: float) -> list[HypWord]:
        words = [dataclasses.replace(w, committed_at=now) for w in words]
        self.committed.extend(words)
        self.started = self.started or bool(words)
        keys = [w.key for w in words]
        # Each kept hypothesis now starts after these words; one that disagrees with them is no reference.
        self._history = [
            _Hypothesis(h.heard_to, h.words[len(keys) :])
            for h in self._history
            if [w.key for w in h.words[: len(keys)]] == keys
        ]
        return words


def _guard(guard: float, newer: HypWord, older: HypWord) -> float:
    """The audio needed past a word both hypotheses agree on: more where either is unsure of it."""
    return max(guard, UNSURE_GUARD) if min(newer.word.p, older.word.p) < UNSURE else guard


def _with_kept_stops(
    words: list[HypWord], after: list[HypWord], reference: list[HypWord], pauses: Sequence[tuple[float, float]],
) -> list[HypWord]:
    """The agreed words, each in the newer spelling, except a full stop that the older hypothesis
    wrote and the newer left out where the speaker paused and the newer is unsure of what follows:
    at a short pause between two sentences Whisper often runs them together ("the schedule design
    team" for "the schedule. The design team"), and once the word is committed without its stop,
    every later decode goes on from it."""
    kept = list(words)
    following = [*words[1:], *after]
    for i, (word, older) in enumerate(zip(words, reference)):
        next_word = following[i] if i < len(following) else None
        if (
            older.key == word.key and ends_sentence(older.text) and not ends_sentence(word.text)
            and next_word is not None and next_word.word.p < UNSURE
            and any(
                min(abs(start - word.end), abs(start - older.end)) <= PAUSE_NEAR and end - start >= STOP_PAUSE
                for start, end in pauses
            )
        ):
            kept[i] = dataclasses.replace(word, word=dataclasses.replace(word.word, text=older.text))
    return kept
