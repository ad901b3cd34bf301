"""The streaming policy: LocalAgreement over a re-decoded audio buffer, gated by a VAD.

One small object driven by audio time, never by the wall clock, so it can be
tested deterministically and simulated faster than real time:

- `insert_audio_chunk(samples)` appends audio;
- `process_iter()` decodes the uncommitted buffer once at least `min_chunk`
  seconds of new audio have arrived, and returns what changed;
- `finish()` decodes what is left at the end of the input and flushes it;
- `flush()` commits what is pending without decoding (on an error or a signal).

Each decode re-transcribes the buffer with the text already finalised as the
prompt. A word is committed when two consecutive decodes agree on it (the
longest common prefix of the hypotheses, as in whisper_streaming's
LocalAgreement-2). Committed words are cut into caption-sized finals at
sentence ends, at commas once a caption is long enough, at a maximum length,
at pauses, and when a word committed `max_hold` seconds ago is still waiting
for its sentence to end. The audio of finalised words is dropped at sentence ends (or
past `trim_after` seconds), so the buffer stays short and never grows past
`max_buffer`, while the decoder keeps whole sentences as context. The VAD keeps silence away from the
decoder, and a pause of `pause` seconds commits whatever is still tentative.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from lt.asr.captions import SENTENCE_END, CaptionRules, caption_size, clause_size
from lt.asr.engine import SAMPLE_RATE, Segment, Transcriber, Word
from lt.asr.vad import Span, VoiceDetector

MIN_LANGUAGE_PROB = 0.5
SQUEEZED_NEAR_END = 0.1  # seconds: a zero-length word this close to the end of the audio was not heard
HEARD_END = 0.2  # silence a decode must have seen after the speech to have heard its last word whole


@dataclass(frozen=True)
class StreamSettings:
    min_chunk: float = 1.0  # seconds of new audio before the next decode
    language: str | None = None  # None: detect per utterance
    pause: float = 0.8  # silence that ends an utterance
    max_buffer: float = 15.0  # seconds of audio ever kept for re-decoding
    lead_in: float = 0.3  # audio kept before speech starts, so its first sound is not clipped
    max_hold: float = 2.0  # longest (audio time) a committed word waits for its sentence to end
    trim_after: float = 6.0  # past this, the buffer is cut at the last final even mid-sentence
    captions: CaptionRules = CaptionRules()
    prompt_chars: int = 200


@dataclass(frozen=True)
class HypWord:
    """A hypothesis word, in session time, with the decode it came from."""

    word: Word
    segment: Segment
    language: str | None
    language_prob: float | None
    committed_at: float = 0.0  # audio time at which two decodes had agreed on it

    @property
    def text(self) -> str:
        return self.word.text


@dataclass(frozen=True)
class Caption:
    words: tuple[HypWord, ...]
    speech_overlap: float | None = None

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()

    @property
    def start(self) -> float:
        return self.words[0].word.start

    @property
    def end(self) -> float:
        return self.words[-1].word.end

    @property
    def language(self) -> str | None:
        return self.words[0].language

    @property
    def language_prob(self) -> float | None:
        return self.words[0].language_prob


@dataclass(frozen=True)
class Output:
    finals: tuple[Caption, ...] = ()
    partial: Caption | None = None  # the whole unfinalised text, committed and tentative


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
        self.step = 0.0  # audio the last step covered: longer when decoding is slow
        self.last_decode_end = 0.0  # audio time up to which the last decode saw audio
        self.tentative: list[HypWord] = []
        self.pending: list[HypWord] = []  # committed, not yet in a final
        self.finalised: list[HypWord] = []  # in finals, their audio still in the buffer as context
        self.recent: list[HypWord] = []  # the last committed words, to drop their echo
        self.last_committed_end = 0.0
        self.prompt = ""
        self.language: str | None = self.settings.language
        self.language_prob: float | None = 1.0 if self.settings.language else None
        self.spans: list[Span] = []
        self.stats = PolicyStats()

    @property
    def audio_time(self) -> float:
        return self.buffer_start + len(self.buffer) / SAMPLE_RATE

    @property
    def horizon(self) -> float:
        """No output from now on ends before this audio time."""
        return self.buffer_start

    def insert_audio_chunk(self, samples: np.ndarray) -> None:
        self.buffer = np.concatenate([self.buffer, np.asarray(samples, dtype=np.float32)])

    def process_iter(self) -> Output:
        if self.audio_time - self.decoded_upto < self.settings.min_chunk:
            return Output()
        return self._step(final=False)

    def finish(self) -> Output:
        if self.audio_time <= self.decoded_upto:
            return self.flush()
        return self._step(final=True)

    def flush(self) -> Output:
        """Everything pending as finals, without another decode (on an error or a signal)."""
        return self._end_utterance(self.tentative)

    def _step(self, final: bool) -> Output:
        now = self.audio_time
        self.step, self.decoded_upto = now - self.decoded_upto, now
        self.spans = self._detect_speech()
        if not self.spans:
            return self._silence(now)
        if not self.pending and not self.tentative:
            self._trim(self.spans[0].start - self.settings.lead_in)
        speech_end = self.spans[-1].end
        paused = final or now - speech_end >= self.settings.pause
        if paused and self.last_decode_end >= speech_end + HEARD_END:
            return self._end_utterance(self.tentative)  # the last decode already heard all of it
        committed = self._agree(self._decode())
        if paused:
            return self._end_utterance(committed + self.tentative)
        return self._advance(committed)

    def _silence(self, now: float) -> Output:
        out = self._end_utterance(self.tentative)
        before = self.buffer_start
        self._trim(now - self.settings.lead_in)
        self.stats.skipped_silence += self.buffer_start - before
        return out

    def _detect_speech(self) -> list[Span]:
        return [Span(self.buffer_start + s.start, self.buffer_start + s.end) for s in self.vad.speech(self.buffer)]

    def _decode(self) -> list[HypWord]:
        decoded = self.transcriber.transcribe(self.buffer, prompt=self.prompt, language=self.language, cheap=self.cheap)
        self.stats.decodes += 1
        self.stats.cheap_decodes += self.cheap
        self.stats.max_buffer_seen = max(self.stats.max_buffer_seen, len(self.buffer) / SAMPLE_RATE)
        self.last_decode_end = self.audio_time
        if self.language is None and decoded.language and (decoded.language_prob or 0) >= MIN_LANGUAGE_PROB:
            if self.prompt and decoded.language != self._last_language():
                self.prompt = ""  # a prompt in another language pulls the decoder back into it
            self.language, self.language_prob = decoded.language, decoded.language_prob
        language = self.language or decoded.language
        prob = self.language_prob if self.language else decoded.language_prob
        offset = self.buffer_start
        words = [
            HypWord(Word(w.text, offset + w.start, offset + w.end, w.p), segment, language, prob)
            for segment in decoded.segments
            for w in segment.words
        ]
        return _without_squeezed_tail(words, self.audio_time)

    def _last_language(self) -> str | None:
        return self.recent[-1].language if self.recent else None

    def _agree(self, hypothesis: list[HypWord]) -> list[HypWord]:
        """Commit the longest prefix this hypothesis shares with the previous one."""
        new = [w for w in hypothesis if w.word.start > self.last_committed_end - 0.1]
        new = self._drop_echo(new)
        committed = []
        while new and self.tentative and new[0].text.strip() == self.tentative[0].text.strip():
            committed.append(new.pop(0))
            self.tentative.pop(0)
        self.tentative = new
        return committed

    def _drop_echo(self, new: list[HypWord]) -> list[HypWord]:
        """The decoder often repeats the last committed words at the start of the buffer."""
        if not new or not self.recent or abs(new[0].word.start - self.last_committed_end) >= 1.0:
            return new
        for n in range(min(len(self.recent), len(new), 5), 0, -1):
            tail = [w.text.strip() for w in self.recent[-n:]]
            head = [w.text.strip() for w in new[:n]]
            if tail == head:
                return new[n:]
        return new

    def _commit(self, words: list[HypWord]) -> None:
        if not words:
            return
        self.last_committed_end = max(self.last_committed_end, words[-1].word.end)
        self.recent = (self.recent + words)[-5:]
        self.pending.extend(dataclasses.replace(w, committed_at=self.audio_time) for w in words)

    def _advance(self, committed: list[HypWord]) -> Output:
        self._commit(committed)
        finals = self._cut(flush=False)
        if len(self.buffer) / SAMPLE_RATE > self.settings.max_buffer:
            finals += self._force_out()
        unfinal = self.pending + self.tentative
        return Output(tuple(finals), self._caption(unfinal) if unfinal else None)

    def _force_out(self) -> list[Caption]:
        """The buffer is at its bound: commit everything so the audio can go."""
        self.stats.forced_trims += 1
        self._commit(self.tentative)
        self.tentative = []
        finals = self._cut(flush=True)
        self._trim(self.audio_time - self.settings.lead_in)
        return finals

    def _end_utterance(self, committed: list[HypWord]) -> Output:
        self._commit(committed)
        self.tentative = []
        finals = self._cut(flush=True)
        self.language = self.settings.language
        self.language_prob = 1.0 if self.settings.language else None
        self.last_decode_end = 0.0
        return Output(tuple(finals))

    def _cut(self, flush: bool) -> list[Caption]:
        captions = []
        while self.pending:
            texts = [w.text for w in self.pending]
            size = caption_size(texts, self.settings.captions)
            # A slow decoder takes long steps; the sentence gets at least two more of them to end.
            hold = max(self.settings.max_hold, 2 * self.step)
            if size is None and not flush and self.audio_time - self.pending[0].committed_at < hold:
                break
            if size is None:
                size = len(self.pending) if flush else clause_size(texts) or len(self.pending)
            words, self.pending = self.pending[:size], self.pending[size:]
            self.finalised.extend(words)
            captions.append(self._caption(words))
        self._trim_finalised(everything=flush)
        return captions

    def _trim_finalised(self, everything: bool) -> None:
        """Drop the audio of finalised words, at a sentence end where there is one, so the
        decoder keeps whole sentences as context; their text moves into the prompt."""
        keep = len(self.finalised)
        if not everything:
            ends = [i for i, w in enumerate(self.finalised) if SENTENCE_END.search(w.text.strip())]
            long = len(self.buffer) / SAMPLE_RATE > self.settings.trim_after
            keep = ends[-1] + 1 if ends else (keep if long else 0)
        if not keep:
            return
        gone, self.finalised = self.finalised[:keep], self.finalised[keep:]
        self.prompt = (self.prompt + "".join(w.text for w in gone)).strip()[-self.settings.prompt_chars :]
        following = [w.word.start for w in (self.finalised + self.pending + self.tentative)[:1]]
        self._trim(min([gone[-1].word.end, *following]))

    def _trim(self, to: float) -> None:
        to = min(to, self.audio_time)
        if to <= self.buffer_start:
            return
        drop = int(round((to - self.buffer_start) * SAMPLE_RATE))
        self.buffer = self.buffer[drop:]
        self.buffer_start += drop / SAMPLE_RATE

    def _caption(self, words: list[HypWord]) -> Caption:
        return Caption(tuple(words), _overlap(words[0].word.start, words[-1].word.end, self.spans))


def _without_squeezed_tail(words: list[HypWord], audio_end: float) -> list[HypWord]:
    """Cut a decoder loop: when Whisper repeats itself past the audio it was given, the
    alignment squeezes the extra words into no time at the very end of the buffer."""
    for i, w in enumerate(words):
        if w.word.end - w.word.start < 0.01 and w.word.start >= audio_end - SQUEEZED_NEAR_END:
            return words[:i]
    return words


def _overlap(start: float, end: float, spans: list[Span]) -> float:
    if end - start < 0.05:
        middle = (start + end) / 2
        return 1.0 if any(s.start <= middle <= s.end for s in spans) else 0.0
    covered = sum(max(0.0, min(end, s.end) - max(start, s.start)) for s in spans)
    return min(1.0, covered / (end - start))
