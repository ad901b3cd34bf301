"""The streaming policy: audio in, committed words and sentence-sized finals out, on audio time.

One small object driven by audio time, never by the wall clock, so it can be
tested deterministically and simulated faster than real time:

- `insert_audio_chunk(samples)` appends audio;
- `process_iter()` decodes the buffer once at least `min_chunk` seconds of
  new audio have arrived, and returns what changed;
- `finish()` decodes what is left at the end of the input and flushes it;
- `flush()` commits what is pending without decoding (on an error or a signal).

Each decode re-reads the buffered audio with the words already committed
inside it forced as the decoder's prefix and the earlier text as its prompt,
so it can only add words after them (lt.asr.decoder). Which of the new words
are committed is the agreement buffer's business (lt.asr.agreement:
LocalAgreement, or heard whole before a silence); where finals end is the
segmenter's (lt.asr.sentences); which language an utterance is in, the
language tracker's (lt.asr.language). This object does the audio: the
Silero VAD keeps silence from the decoder, a pause of `pause` seconds ends the
utterance, and the buffer is cut at the start of the sentence before the one
in progress (or, in a long one, near its end), so decodes stay short while the
committed words left in it keep the decoder in step and in context. It never
grows past `max_buffer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import math

import numpy as np

from lt.asr import guards
from lt.asr.agreement import AGREE_GUARD, CUT_OFF_SLACK, HypothesisBuffer
from lt.asr.engine import Decoded, Transcriber, Word
from lt.asr.hypothesis import HypWord, Phrase
from lt.asr.language import LanguageSettings, LanguageTracker
from lt.asr.sentences import FinalRules, Segmenter
from lt.asr.style_prompt import in_style, style_prompt
from lt.asr.vad import Span, VoiceDetector, speech_within
from lt.captions import ends_sentence
from lt.pcm import HALF_SAMPLE, SAMPLE_RATE

SQUEEZED_NEAR_END = 0.1  # seconds: a zero-length word this close to the end of the audio was not heard
SQUEEZED_RUN = 4  # this many words aligned into less than SQUEEZED_SPAN seconds were not heard either:
SQUEEZED_SPAN = 0.25  # 16 words a second, three times fast speech
HEARD_END = 0.3  # silence a decode must have seen after the speech to have heard its last word whole
KEEP_COMMITTED = 2  # committed words left in the buffer when it is cut, to anchor the next decode
ECHO_WORDS = 40  # released words a fresh decode may repeat: from the audio left at the cut, or its prompt
ECHO_WITHIN = 1.0  # seconds after the cut within which a repeat of them is an echo
COVERED = 1.0  # the words before a pause reach this close to it when the decoder has transcribed them all
MISSED = 0.25  # speech heard after the last word written: the decoder left a word out (it often drops the last)
SAID_ALONE = 1.5  # seconds of speech: an utterance shorter than this is a word or two said alone ...
HOLD_ALONE = 2.0  # ... and ends only after this much silence, not at the first pause
LOOP_WORDS = 4  # a run of this many words said twice in one hypothesis is the decoder looping


@dataclass(frozen=True)
class StreamSettings:
    min_chunk: float = 0.3  # seconds of new audio before the next decode
    lookahead: float = AGREE_GUARD  # audio heard past a word before agreement commits it
    languages: LanguageSettings = LanguageSettings()
    pause: float = 0.8  # silence that ends an utterance
    max_buffer: float = 15.0  # seconds of audio ever kept for re-decoding
    trim_min: float = 3.0  # the buffer is cut at a sentence start only when it is longer than this
    trim_after: float = 8.0  # past this, the buffer is cut inside a sentence, at an early committed word
    context: float = 5.0  # seconds of the last finished sentence kept before the one in progress
    lead_in: float = 1.0  # audio kept before speech the VAD heard: a short, soft first word ("ask") may be in it
    cold_start: float = 2.0  # speech heard before the first commit, while no earlier text can prompt the decoder
    finals: FinalRules = FinalRules()
    prompt_chars: int = 200


@dataclass(frozen=True)
class Output:
    finals: tuple[Phrase, ...] = ()
    partial: Phrase | None = None  # every word not yet in a final: `stable` committed ones, then tentative


@dataclass
class PolicyStats:
    decodes: int = 0
    cheap_decodes: int = 0
    skipped_silence: float = 0.0  # seconds of audio the VAD kept from the decoder
    forced_trims: int = 0
    max_buffer_seen: float = 0.0


@dataclass
class StreamingPolicy:
    transcriber: Transcriber
    vad: VoiceDetector
    settings: StreamSettings = field(default_factory=StreamSettings)
    cheap: bool = False  # set by the driver when the decoder falls behind real time

    def __post_init__(self) -> None:
        self.buffer = np.zeros(0, dtype=np.float32)
        self.buffer_start = 0.0
        self.decoded_upto = 0.0  # audio time of the last process_iter that ran
        self.heard_upto = 0.0  # audio time up to which the last decode heard the audio
        self.hypotheses = HypothesisBuffer(self.settings.lookahead)
        self.segmenter = Segmenter(self.settings.finals)
        self.languages = LanguageTracker(self.settings.languages)
        self.prompt = ""
        self.prompt_language: str | None = None
        self.released: list[HypWord] = []  # the last words whose audio left the buffer, to spot their echo
        self.in_utterance = False
        self.looked_again = False  # this utterance had its one more decode for a word left out
        self.spans: list[Span] = []  # speech in the buffer now
        self.speech_until = 0.0  # audio time where the last speech the VAD reported ended
        self.heard: list[Span] = []  # speech since the oldest word not yet out in a final, for the guards
        self.stats = PolicyStats()

    @property
    def audio_time(self) -> float:
        return self.buffer_start + len(self.buffer) / SAMPLE_RATE

    @property
    def horizon(self) -> float:
        """No output from now on ends before this audio time."""
        return min([self.buffer_start, *(w.start for w in self.segmenter.pending[:1])])

    def insert_audio_chunk(self, samples: np.ndarray) -> None:
        self.buffer = np.concatenate([self.buffer, np.asarray(samples, dtype=np.float32)])

    def process_iter(self) -> Output:
        if self.audio_time - self.decoded_upto < self.settings.min_chunk - HALF_SAMPLE:
            return Output()
        return self._step(final=False)

    def finish(self) -> Output:
        if self.audio_time <= self.decoded_upto:
            return self.flush()
        return self._step(final=True)

    def flush(self) -> Output:
        """Everything pending as finals, without another decode (on an error or a signal)."""
        return self._end_utterance(self.audio_time, closed=True)

    def _step(self, final: bool) -> Output:
        now = self.audio_time
        out = self._step_at(now, final)
        self.decoded_upto = now  # only once the step is done: one cut short by a signal is run again by finish()
        return out

    def _step_at(self, now: float, final: bool) -> Output:
        self._listen()
        if not self.spans:
            return self._silence(now, final)
        pause = self._inner_pause() if self.in_utterance else None
        if pause is None:
            return self._utterance_step(now, final)
        # The utterance ended in a pause that speech already followed: close it there, then go on
        # with the new one (which may be in another language) in the same step.
        ended = self._end_utterance(now, closed=False, upto=pause)
        self._listen()
        rest = self._utterance_step(now, final) if self.spans else self._silence(now, final)
        return Output(ended.finals + rest.finals, rest.partial)

    def _listen(self) -> None:
        self.spans = self._detect_speech()
        self.speech_until = max([self.speech_until, *(s.end for s in self.spans[-1:])])
        self._remember_speech()

    def _inner_pause(self) -> float | None:
        """Where a pause of `pause` seconds or more between two stretches of speech starts, once the
        words before it are transcribed (the last decode heard through it, and its words reach it).
        After a word or two said alone the pause must be longer (`_closing_pause`)."""
        spoken, start = 0.0, None
        for a, b in zip(self.spans, self.spans[1:]):
            spoken += a.end - a.start
            if b.start - a.end >= self._closing_pause(spoken):
                start = a.end
                break
        if start is None or self.heard_upto < start + HEARD_END:
            return None
        ends = [w.end for w in [*self.hypotheses.committed, *self.hypotheses.tentative] if w.end <= start + CUT_OFF_SLACK]
        return start if ends and max(ends) >= start - COVERED else None

    def _utterance_step(self, now: float, final: bool) -> Output:
        if not self.in_utterance:
            self._trim(self.spans[0].start - self.settings.lead_in)
            self.in_utterance = True
        speech_end = self.spans[-1].end
        speech = self._speech_seconds()
        paused = final or now - speech_end >= self._closing_pause(speech)
        heard_all = self.heard_upto >= speech_end + HEARD_END  # nothing new since the last decode
        if heard_all and (paused or not self.hypotheses.tentative):
            if not self._words_missing():
                return self._end_utterance(now, final) if paused else self._advance(now)
            self.looked_again = True  # one more decode, now with silence after the speech, may write it
        # A word or two said alone waits for what follows: Whisper mishears a word decoded on its own.
        short = speech < SAID_ALONE
        alone = short and now - speech_end >= HEARD_END
        heard = None if short else self._heard_until(now)
        hypothesis, looped = _without_loop(self._decode())
        warm = bool(self.prompt) or self.hypotheses.started or speech >= self.settings.cold_start
        commit = warm and not alone and not looped and self.languages.settled(speech) and not self._looping(hypothesis)
        pauses = [(a.end, b.start) for a, b in zip(self.spans, self.spans[1:])]
        committed = self.hypotheses.insert(hypothesis, now, heard, commit, cold=not self.prompt, pauses=pauses)
        self.languages.pin(*_language_of(committed))
        self.segmenter.add(committed)
        if paused:
            return self._end_utterance(now, final)
        if len(self.buffer) / SAMPLE_RATE > self.settings.max_buffer:
            self._force_out(now)
        return self._advance(now)

    def _advance(self, now: float) -> Output:
        """The finals that are ready; then the buffer is cut where they make that possible."""
        out = self._cut(now)
        self._trim_committed()
        return out

    def _silence(self, now: float, final: bool) -> Output:
        if self.in_utterance and not final and now - self.speech_until < self.settings.pause:
            # The VAD took back the speech it had heard: a short word's span, open while the audio ended in
            # it, can fall under the minimum speech length once the silence after it closes it. Ending the
            # utterance here would send its half-heard word out alone ("And-" for "ask", then "not."): it
            # goes on, its audio kept, until the silence is a real pause.
            return self._cut(now)
        out = self._end_utterance(now, final) if self.in_utterance or final else self._cut(now)
        before = self.buffer_start
        self._trim(now - self.settings.lead_in)
        self.stats.skipped_silence += self.buffer_start - before
        return out

    def _cut(self, now: float, closed: bool = False) -> Output:
        """The finals that are ready, and the partial of everything else."""
        pending = self.segmenter.pending
        closed = closed or (
            bool(pending) and not self.hypotheses.tentative and now - pending[-1].end >= self.settings.pause and not self._words_missing()
        )
        cut = self.segmenter.cut(now, closed=closed, ahead=self.hypotheses.tentative, speech=self.heard)
        return Output(self._phrases(cut), self._partial())

    def _closing_pause(self, speech: float) -> float:
        """The silence that ends an utterance of `speech` seconds of speech: `pause`, or after a word
        or two said alone, `HOLD_ALONE`, so that they are decoded with what the speaker says next."""
        return self.settings.pause if speech >= SAID_ALONE else max(self.settings.pause, HOLD_ALONE)

    def _words_missing(self) -> bool:
        """The VAD heard the utterance go on after its last word, and no decode has looked again."""
        if not self.in_utterance or not self.spans or self.looked_again:
            return False
        words = [*self.segmenter.pending, *self.hypotheses.tentative]
        return max((w.end for w in words), default=-math.inf) < self.spans[-1].end - MISSED

    def _heard_until(self, now: float) -> float | None:
        """The end of the last stretch of speech that a silence long enough to hear it whole follows."""
        ends = [s.end for s, after in zip(self.spans, [*(s.start for s in self.spans[1:]), now]) if after - s.end >= HEARD_END]
        return ends[-1] if ends else None

    def _remember_speech(self) -> None:
        """What the VAD heard before the buffer's start stays known while words from there are pending."""
        start, since = self.buffer_start, self.horizon - 1.0
        kept = [Span(s.start, min(s.end, start)) for s in self.heard if s.start < start and s.end >= since]
        self.heard = kept + self.spans

    def _speech_seconds(self) -> float:
        return sum(s.end - s.start for s in self.spans)

    def _looping(self, hypothesis: list[HypWord]) -> bool:
        """A decoder stuck in a loop commits nothing; when the loop was already committed, the decoder
        is freed from it: its words leave the buffer and the prompt is dropped."""
        prefix = "".join(self.hypotheses.prefix)
        if guards.is_repetitive(prefix):
            self.hypotheses.release_before(math.inf)
            self.prompt = ""
            self._trim(self.audio_time - self.settings.lead_in)
        return guards.is_repetitive(prefix + "".join(w.text for w in hypothesis))

    def _detect_speech(self) -> list[Span]:
        return [Span(self.buffer_start + s.start, self.buffer_start + s.end) for s in self.vad.speech(self.buffer)]

    def _decode(self) -> list[HypWord]:
        decoded = self.transcriber.transcribe(
            self.buffer,
            prompt=self._prompt_for(self.languages.leaning),
            prefix=self.hypotheses.prefix,
            language=self.languages.pinned,
            choose=self.languages.choose,
            cheap=self.cheap,
        )
        self.stats.decodes += 1
        self.stats.cheap_decodes += self.cheap
        self.stats.max_buffer_seen = max(self.stats.max_buffer_seen, len(self.buffer) / SAMPLE_RATE)
        self.heard_upto = self.audio_time
        return self._in_session_time(decoded)

    def _prompt_for(self, language: str | None) -> str:
        """Earlier text in another language pulls the decoder back into it: none then. Without
        earlier text in this language, a line that sets Whisper's style (lt.asr.style_prompt)."""
        earlier = self.prompt if language in (None, self.prompt_language) else ""
        return earlier or style_prompt(language)

    def _in_session_time(self, decoded: Decoded) -> list[HypWord]:
        offset = self.buffer_start
        language = decoded.language
        prob = self.languages.utterance_prob if self.languages.pinned else decoded.language_prob
        words = _without_squeezed_run([
            HypWord(Word(w.text, offset + w.start, offset + w.end, w.p), segment, language, prob)
            for segment in decoded.segments
            for w in segment.words
        ])
        after = self.hypotheses.last_end
        if after is not None:  # alignment can pull a new word's start back into the last committed one
            words = [w if w.start >= after else _starting_at(w, after) for w in words]
        # ... and into the silence before it: a word starts no earlier than the speech it is in.
        words = [_starting_at(w, speech) if (speech := _speech_start(w, self.spans)) > w.start else w for w in words]
        words = _without_squeezed_tail(words, self.audio_time)
        if not self.hypotheses.committed:  # after a forced prefix the decoder can only go on, not echo
            words = _without_echo(words, self.released)
            # ... nor invent: a fresh decode of little more than the silence at a cut often does.
            if guards.invented([w.word for w in words]):
                return []
        return words

    def _force_out(self, now: float) -> None:
        """The buffer is at its bound: commit everything so the audio can go."""
        self.stats.forced_trims += 1
        self.segmenter.add(self.hypotheses.commit_all(now))
        self._release(self.hypotheses.clear())
        self._trim(now - self.settings.lead_in)

    def _end_utterance(self, now: float, closed: bool, upto: float | None = None) -> Output:
        """Commit what is tentative and drop the utterance's audio, up to its last word or the speech
        end; or only what was said before `upto`, where speech after a pause begins another."""
        committed = self.hypotheses.commit_all(now, before=upto)
        self.segmenter.add(committed)
        ends = [w.end for w in self.hypotheses.committed] + [s.end for s in self.spans[-1:]]
        self._release(self.hypotheses.clear())
        self._trim(upto if upto is not None else max(ends, default=now))
        self.languages.end_utterance()
        self.in_utterance = False
        self.looked_again = False
        self.heard_upto = 0.0
        return self._cut(now, closed)

    def _trim_committed(self) -> None:
        """Cut the buffer at an early committed word, so decodes stay short.

        - The last finished sentence stays, as left context (at most `context` seconds of
          it): the sentence in progress is decoded after its audio, with its words forced,
          as batch mode decodes a sentence after the one before. Decoded afresh from its
          first words, with only the text before it as a prompt, Whisper guessed "review a
          budget" for "the budget", "the casual design team" for "the schedule. The design
          team", "free engineers" for "three"; the sentence before it goes;
        - with no finished sentence in the buffer, the buffer starts at the sentence in
          progress once it is longer than `trim_min`;
        - in a sentence in progress longer than `trim_after`, the buffer starts before its
          last few committed words.

        The committed words left in the buffer are decoded again, forced, so the decoder
        picks up exactly after them."""
        committed = self.hypotheses.committed
        if not committed:
            return
        pending = self.segmenter.pending
        context = _context_start(committed, pending, self.settings.context)
        start = pending[0].start if pending else committed[-1].start
        if context is not None and context > self.buffer_start:
            cut = context
        elif context is None and len(self.buffer) / SAMPLE_RATE > self.settings.trim_min and start > self.buffer_start:
            cut = start
        elif self.audio_time - start > self.settings.trim_after and len(committed) > KEEP_COMMITTED:
            cut = committed[-KEEP_COMMITTED].start
        else:
            return
        self._release(self.hypotheses.release_before(cut))
        self._trim(cut)

    def _release(self, words: list[HypWord]) -> None:
        """Words whose audio leaves the buffer join the prompt (which starts afresh in a new language)."""
        self.released = (self.released + words)[-ECHO_WORDS:]
        if words and words[-1].language != self.prompt_language:
            self.prompt, self.prompt_language = "", words[-1].language
        if words:
            self.prompt = in_style(self.prompt + "".join(w.text for w in words)).strip()[-self.settings.prompt_chars :]

    def _trim(self, to: float) -> None:
        to = min(to, self.audio_time)
        if to <= self.buffer_start:
            return
        drop = int(round((to - self.buffer_start) * SAMPLE_RATE))
        self.buffer = self.buffer[drop:]
        self.buffer_start += drop / SAMPLE_RATE

    def _partial(self) -> Phrase | None:
        stable = self.segmenter.pending
        words = stable + self.hypotheses.tentative
        return self._phrase(words, stable=len(stable)) if words else None

    def _phrases(self, finals: list[list[HypWord]]) -> tuple[Phrase, ...]:
        return tuple(self._phrase(words, stable=len(words)) for words in finals)

    def _phrase(self, words: list[HypWord], stable: int) -> Phrase:
        return Phrase(tuple(words), _overlap(words[0].start, words[-1].end, self.heard), stable)


def _context_start(committed: list[HypWord], pending: list[HypWord], seconds: float) -> float | None:
    """Where the left context starts: the last finished sentence among the committed words
    (those already out in a final), at most its last `seconds` (none: its end); None without one."""
    out = {id(w) for w in pending}
    finished = [w for w in committed if id(w) not in out]
    if not finished or not ends_sentence(finished[-1].text):
        return None
    first = len(finished) - 1
    while first > 0 and not ends_sentence(finished[first - 1].text):
        first -= 1
    sentence = finished[first:]
    if seconds <= 0:
        return sentence[-1].end
    return next(w.start for w in sentence if w.start >= sentence[-1].end - seconds or w is sentence[-1])


def _language_of(words: list[HypWord]) -> tuple[str | None, float | None]:
    return (words[0].language, words[0].language_prob) if words else (None, None)


def _starting_at(word: HypWord, start: float) -> HypWord:
    w = word.word
    return HypWord(Word(w.text, start, max(start, w.end), w.p), word.segment, word.language, word.language_prob)


def _speech_start(word: HypWord, spans: list[Span]) -> float:
    """Where the stretch of speech that the word ends in starts (the word's own start if none)."""
    span = next((s for s in spans if s.end >= word.end), None)
    return span.start if span is not None and span.start < word.end else word.start


def _without_echo(words: list[HypWord], released: list[HypWord]) -> list[HypWord]:
    """Drop the released words' echo: the decoder often hears them again in the sliver of their
    audio left at the start of the buffer, prompted by their own text; and, given only the silence
    after a sentence, it may write that whole sentence again from its prompt."""
    if not words or not released or words[0].start > released[-1].end + ECHO_WITHIN:
        return words
    for n in range(min(len(released), len(words)), 0, -1):
        if [w.key for w in words[:n]] == [w.key for w in released[-n:]]:
            return words[n:]
    return words


def _without_loop(words: list[HypWord]) -> tuple[list[HypWord], bool]:
    """Cut a hypothesis where a run of words it already said starts again ("the second item is
    the schedule. the second item is ..."): Whisper looping on a short buffer. A looping decode
    also hallucinates before the loop, so it commits nothing (the second value says so)."""
    keys = [w.key for w in words]
    seen: set[tuple[str, ...]] = set()
    for i in range(len(keys) - LOOP_WORDS + 1):
        run = tuple(keys[i : i + LOOP_WORDS])
        if run in seen:
            return words[:i], True
        seen.add(run)
    return words, False


def _without_squeezed_tail(words: list[HypWord], audio_end: float) -> list[HypWord]:
    """Cut a decoder loop: when Whisper repeats itself past the audio it was given, the
    alignment squeezes the extra words into no time at the very end of the buffer."""
    for i, w in enumerate(words):
        if w.end - w.start < 0.01 and w.start >= audio_end - SQUEEZED_NEAR_END:
            return words[:i]
    return words


def _without_squeezed_run(words: list[HypWord]) -> list[HypWord]:
    """Drop words that come faster than anyone speaks: given the silence after a sentence, Whisper
    may write its prompt again ("He might even have been made still more respectable than he was"),
    and the alignment squeezes those words into a fraction of a second before the real ones."""
    squeezed: set[int] = set()
    for i in range(len(words) - SQUEEZED_RUN + 1):
        if words[i + SQUEEZED_RUN - 1].end - words[i].start < SQUEEZED_SPAN:
            squeezed.update(range(i, i + SQUEEZED_RUN))
    return [w for i, w in enumerate(words) if i not in squeezed]


def _overlap(start: float, end: float, spans: list[Span]) -> float:
    if end - start < 0.05:
        middle = (start + end) / 2
        return 1.0 if any(s.start <= middle <= s.end for s in spans) else 0.0
    return min(1.0, speech_within(start, end, spans) / (end - start))
