"""The transcribe stage as a library generator: PCM byte chunks in, events out.

    session(start) · transcript partials and finals · audio chunks · session(end)

Every transcript carries `t.capture`, the wall time at which the audio up to
its `end` had arrived, and `t.transcribe`, the wall time it left this stage, so
word-end-to-emit latency is `t.transcribe - t.capture`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lt.asr import guards
from lt.asr.agreement import AGREE_GUARD
from lt.asr.batch import BatchSettings, batch_phrases
from lt.asr.decoder import DecodeOptions, WhisperDecoder
from lt.asr.engine import ModelSettings, Transcriber, load_whisper
from lt.asr.hypothesis import Phrase
from lt.asr.keep_audio import AudioKeeper
from lt.asr.language import LanguageSettings
from lt.asr.pcm_input import Block, PcmInput
from lt.asr.sentences import FinalRules
from lt.asr.streaming import Output, StreamingPolicy, StreamSettings
from lt.asr.vad import SileroVad, VoiceDetector
from lt.errors import ExitCode, LtError, Terminated
from lt.events import CAPTURE, TRANSCRIBE, Event, ErrorEvent, SessionEvent, TranscriptEvent, Word, event_id, new_session_id
from lt.pcm import SAMPLE_RATE, to_float
from lt.speakers.settings import SpeakerSettings

STAGE = TRANSCRIBE

log = logging.getLogger("lt.transcribe")


@dataclass(frozen=True)
class TranscribeSettings:
    model: str = "base"
    mode: str = "auto"  # auto (stream when the input is live), stream or batch
    language: str | None = None  # None: detect
    languages: tuple[str, ...] = ()  # detect among these only
    task: str = "transcribe"
    beam_size: int = 5
    min_chunk: float = 0.3
    lookahead: float = AGREE_GUARD  # seconds of audio heard past a word before it is committed (stable)
    context: float = StreamSettings.context  # seconds of the last finished sentence decoded before the next
    pause: float = 0.8
    max_hold: float = 10.0
    window: str = "short"  # stream decodes: short encodes only the buffered audio (see decoder.py), full 30 s
    partials: bool = True
    device: str = "auto"
    compute_type: str = "auto"
    threads: int = 0  # CPU threads for the model; 0: half the cores, at most 4
    keep_audio: Path | None = None
    stall_timeout: float = 30.0
    max_lag: float = 3.0  # seconds behind real time before decoding gets cheaper
    session: str | None = None
    source: str = "stdin"
    speakers: SpeakerSettings | None = None  # None: --speakers off

    @property
    def final_rules(self) -> FinalRules:
        return FinalRules(pause=self.pause, max_hold=self.max_hold)

    @property
    def language_settings(self) -> LanguageSettings:
        return LanguageSettings(fixed=self.language, candidates=self.languages)

    @property
    def stream_settings(self) -> StreamSettings:
        return StreamSettings(
            min_chunk=self.min_chunk, lookahead=self.lookahead, context=self.context, languages=self.language_settings,
            pause=self.pause, finals=self.final_rules,
        )


@dataclass
class TranscribeStats:
    mode: str = ""
    audio_seconds: float = 0.0
    finals: int = 0
    partials: int = 0
    words: int = 0
    flagged: int = 0
    decodes: int = 0
    cheap_decodes: int = 0
    skipped_silence: float = 0.0
    max_buffer: float = 0.0
    audio_chunks: int = 0
    rejected: int = 0
    wall_seconds: float = 0.0
    speakers: dict = field(default_factory=dict)

    def summary(self) -> str:
        rtf = self.wall_seconds / self.audio_seconds if self.audio_seconds else 0.0
        return (
            f"transcribed {self.audio_seconds:.1f} s of audio ({self.mode}) in {self.wall_seconds:.1f} s "
            f"(RTF {rtf:.2f}): {self.finals} finals, {self.partials} partials, {self.words} words, "
            f"{self.flagged} flagged"
        )


@dataclass
class Engines:
    """What decodes: a Transcriber for streaming and, for batch mode, the WhisperModel itself."""

    transcriber: Transcriber
    model: object | None = None
    vad: VoiceDetector = field(default_factory=SileroVad)
    name: str = ""


def load_engines(settings: TranscribeSettings) -> Engines:
    model = load_whisper(ModelSettings(settings.model, settings.device, settings.compute_type, settings.threads))
    if not model.model.is_multilingual and settings.language not in (None, "en"):
        raise LtError(
            f"model {settings.model!r} is English-only and cannot transcribe {settings.language!r}",
            hint="use a multilingual model, e.g. --model base",
        )
    options = DecodeOptions(task=settings.task, beam_size=settings.beam_size, window=settings.window)
    return Engines(WhisperDecoder(model, options), model, name=settings.model)


def transcribe(
    chunks: Iterable[bytes],
    settings: TranscribeSettings,
    engines: Engines | None = None,
    stats: TranscribeStats | None = None,
) -> Iterator[Event]:
    """Events for the PCM byte chunks; the engines load before the first event."""
    return start(chunks, settings, engines, stats).events()


def start(
    chunks: Iterable[bytes],
    settings: TranscribeSettings,
    engines: Engines | None = None,
    stats: TranscribeStats | None = None,
) -> TranscribeRun:
    """Load the engines, see whether the input is live, and get ready to emit events."""
    stats = stats if stats is not None else TranscribeStats()
    engines = engines or load_engines(settings)
    session = settings.session or new_session_id()
    audio = PcmInput(chunks, settings.stall_timeout)
    live = audio.probe_live() if settings.mode != "batch" else False
    mode = settings.mode if settings.mode != "auto" else ("stream" if live else "batch")
    stats.mode = mode
    return TranscribeRun(session, settings, engines, audio, stats, live)


class TranscribeRun:
    """One session of the stage. `events()` is the stream of events; when it is cut short by a
    signal that arrived while its consumer was busy, `interrupted()` gives the pending text as
    finals and the session end, so nothing already heard is lost."""

    def __init__(self, session: str, settings: TranscribeSettings, engines: Engines, audio: PcmInput, stats: TranscribeStats, live: bool):
        self.session = session
        self.live = live  # only live audio has a real time to fall behind; a file is simulated exactly
        self.settings = settings
        self.engines = engines
        self.audio = audio
        self.stats = stats
        self.keeper = AudioKeeper(settings.keep_audio, session) if settings.keep_audio else None
        self.policy: StreamingPolicy | None = None
        self.speakers = None  # lt.speakers.live.LiveSpeakers, streaming with --speakers
        self.seg = 0
        self.rev = 0
        self.last_partial: tuple[str, int] | None = None
        self.waiting = np.zeros(0, dtype=np.float32)  # audio read but shorter than one decode step
        self.ended = False
        self.began = time.monotonic()

    def events(self) -> Iterator[Event]:
        yield self._start(self.stats.mode)
        body = self._stream() if self.stats.mode == "stream" else self._batch()
        try:
            yield from body
        except (LtError, KeyboardInterrupt, Terminated):
            yield from self.interrupted()
            raise
        yield from self._closing()
        yield self._end()
        if self.audio.samples == 0:
            raise LtError("no audio arrived on stdin", hint="feed it raw PCM: lt capture FILE | lt transcribe")

    def interrupted(self) -> Iterator[Event]:
        if self.ended:
            return
        yield from self._flush_on_error()
        yield self._end()

    def _start(self, mode: str) -> SessionEvent:
        s = self.settings
        return SessionEvent(
            session=self.session,
            id=event_id(self.session, "session", STAGE, "start"),
            kind="start",
            stage=STAGE,
            source=s.source,
            model=self.engines.name or s.model,
            language=s.language or "auto",
            params={
                "mode": mode, "task": s.task, "beam_size": s.beam_size, "min_chunk": s.min_chunk,
                "lookahead": s.lookahead, "context": s.context, "pause": s.pause, "max_hold": s.max_hold, "window": s.window, "partials": s.partials,
                "languages": list(s.languages), "speakers": _speakers_param(s.speakers),
                "device": s.device, "compute_type": s.compute_type,
            },
            audio={"encoding": "s16le", "sample_rate": SAMPLE_RATE, "channels": 1},
        ).stamped(STAGE)

    def _end(self) -> SessionEvent:
        self.ended = True
        if self.speakers is not None:
            self.stats.speakers = self.speakers.summary()
        self.tally()
        return SessionEvent(
            session=self.session,
            id=event_id(self.session, "session", STAGE, "end"),
            kind="end",
            stage=STAGE,
            source=self.settings.source,
            model=self.engines.name or self.settings.model,
            language=self.settings.language or "auto",
            stats=dataclasses.asdict(self.stats),
        ).stamped(STAGE)

    def tally(self) -> None:
        """The totals so far: the end event carries them, and a run cut short (a closed pipe) has none."""
        self.stats.audio_seconds = self.audio.seconds
        self.stats.wall_seconds = round(time.monotonic() - self.began, 3)

    # streaming

    def _stream(self) -> Iterator[Event]:
        s = self.settings
        self.policy = StreamingPolicy(self.engines.transcriber, self.engines.vad, s.stream_settings)
        if s.speakers is not None:
            from lt.speakers.live import LiveSpeakers

            self.speakers = LiveSpeakers(s.speakers)
        step = int(s.min_chunk * SAMPLE_RATE)
        for first in self.audio.blocks():
            # Live, each decode takes all the audio that has arrived, so a slow decode is followed by a
            # longer step rather than a growing queue; a file is cut in exact steps, so runs repeat exactly.
            yield from self._take([first, *self.audio.ready()] if self.live else [first])
            while len(self.waiting) >= step:
                take = len(self.waiting) if self._behind() or self.live else step
                self.policy.insert_audio_chunk(self.waiting[:take])
                self.waiting = self.waiting[take:]
                yield from self._emit(self.policy.process_iter())
        yield from self._emit(self._finish())

    def _take(self, blocks: list[Block]) -> Iterator[Event]:
        audio = [block.audio for block in blocks]  # converted once, for the decoder and the speakers
        for block, samples in zip(blocks, audio):
            yield from self._keep(block.samples)
            if self.speakers is not None:
                self.speakers.add(samples)
        self.waiting = np.concatenate([self.waiting, *audio])

    def _finish(self) -> Output:
        """The last decode, over every sample read, so no word heard is left out."""
        self.policy.insert_audio_chunk(self.waiting)
        self.waiting = self.waiting[:0]
        return self.policy.finish()

    def _behind(self) -> bool:
        if not self.live or self.audio.first_arrival is None:
            return False
        lag = time.time() - self.audio.first_arrival - self.policy.decoded_upto
        was = self.policy.cheap
        if lag > self.settings.max_lag:
            self.policy.cheap = True
        elif lag < self.settings.max_lag / 3:
            self.policy.cheap = False
        if self.policy.cheap and not was:
            log.warning("decoder is %.1f s behind real time: decoding greedily until it catches up", lag)
        elif was and not self.policy.cheap:
            log.info("decoder caught up with real time: back to beam search")
        return self.policy.cheap

    def _emit(self, out: Output) -> Iterator[Event]:
        for phrase in out.finals:
            if self.speakers is None:
                yield self._final(phrase)
            else:
                yield from self._by_speaker(phrase, self.speakers.turns([(w.start, w.end) for w in phrase.words]))
        shown = (out.partial.text, out.partial.stable) if out.partial is not None else None
        if shown is not None and self.settings.partials and shown != self.last_partial:
            self.last_partial = shown
            yield self._partial(out.partial)
        self._sync_policy_stats()
        self.audio.forget_before(self.policy.horizon)

    def _sync_policy_stats(self) -> None:
        p = self.policy.stats
        self.stats.decodes, self.stats.cheap_decodes = p.decodes, p.cheap_decodes
        self.stats.skipped_silence, self.stats.max_buffer = p.skipped_silence, p.max_buffer_seen

    def _flush_on_error(self) -> Iterator[Event]:
        """Whatever was heard goes out as finals: one last decode takes in the audio read since the
        previous one; if the decoder itself failed, the pending text goes out without it."""
        if self.policy is not None:
            yield from self._take(self.audio.ready())  # read from stdin, not yet handed over
            try:
                out = self._finish()
            except Exception:
                out = self.policy.flush()
            for phrase in out.finals:
                yield self._final(phrase)
        if self.keeper:
            yield from self._audio_events(self.keeper.close())

    def _closing(self) -> Iterator[Event]:
        if self.audio.odd_byte:
            self.stats.rejected += 1
            yield ErrorEvent(
                session=self.session,
                id=event_id(self.session, "error", STAGE, "odd-byte"),
                stage=STAGE,
                message="input ended with half a sample (odd byte count); the last byte was dropped",
            ).stamped(STAGE)
        if self.keeper:
            yield from self._audio_events(self.keeper.close())

    def _keep(self, samples: np.ndarray) -> Iterator[Event]:
        if self.keeper:
            yield from self._audio_events(self.keeper.add(samples))

    def _audio_events(self, events) -> Iterator[Event]:
        self.stats.audio_chunks += len(events)
        yield from events

    # batch

    def _batch(self) -> Iterator[Event]:
        blocks = []
        for block in self.audio.blocks():
            yield from self._keep(block.samples)
            blocks.append(block.samples)
        if not blocks:
            return
        s = self.settings
        audio = to_float(np.concatenate(blocks))
        settings = BatchSettings(task=s.task, beam_size=s.beam_size, languages=s.language_settings, finals=s.final_rules)
        phrases = batch_phrases(self.engines.model, audio, settings)
        if s.speakers is None:
            for phrase in phrases:
                yield self._final(phrase)
            return
        from lt.speakers import diarize, load_speaker_model, load_voices, turns_from_labels

        times = [[(w.start, w.end) for w in p.words] for p in phrases]
        labels = diarize(load_speaker_model(), audio, [t for words in times for t in words], s.speakers, load_voices())
        offset = 0
        for phrase, words in zip(phrases, times):
            yield from self._by_speaker(phrase, turns_from_labels(labels[offset : offset + len(words)], words))
            offset += len(words)

    def _by_speaker(self, phrase: Phrase, turns) -> Iterator[Event]:
        """The final cut at each change of speaker, each piece with its speaker."""
        if not turns:
            yield self._final(phrase)
            return
        bounds = [t.first_word for t in turns] + [len(phrase.words)]
        for turn, first, last in zip(turns, bounds, bounds[1:]):
            words = phrase.words[first:last]
            piece = dataclasses.replace(phrase, words=words, stable=len(words))
            yield dataclasses.replace(self._final(piece), speaker=turn.speaker, speaker_prob=turn.speaker_prob)

    # events

    def _final(self, phrase: Phrase) -> TranscriptEvent:
        event = self._transcript(phrase, final=True, rev=self.rev + 1, key="final")
        self.seg += 1
        self.rev = 0
        self.last_partial = None
        self.stats.finals += 1
        self.stats.words += len(phrase.words)
        self.stats.flagged += bool(event.flags)
        return event

    def _partial(self, phrase: Phrase) -> TranscriptEvent:
        self.rev += 1
        self.stats.partials += 1
        return self._transcript(phrase, final=False, rev=self.rev, key=f"partial-{self.rev}")

    def _transcript(self, phrase: Phrase, *, final: bool, rev: int, key: str) -> TranscriptEvent:
        words = tuple(Word(w.text.strip(), round(w.start, 3), round(w.end, 3), round(w.word.p, 3)) for w in phrase.words)
        segments = {id(w.segment): w.segment for w in phrase.words}.values()
        confidence = float(np.mean([w.word.p for w in phrase.words]))
        no_speech = max(s.no_speech_prob for s in segments)
        evidence = guards.Evidence(
            text=phrase.text,
            confidence=confidence,
            avg_logprob=float(np.mean([s.avg_logprob for s in segments])),
            no_speech_prob=no_speech,
            speech_overlap=phrase.speech_overlap,
        )
        return TranscriptEvent(
            session=self.session,
            id=event_id(self.session, "transcript", self.seg, key),
            seg=self.seg,
            rev=rev,
            start=round(phrase.start, 3),
            end=round(max(phrase.end, phrase.start), 3),
            text=phrase.text,
            lang=phrase.language,
            lang_prob=None if phrase.language_prob is None else round(phrase.language_prob, 3),
            final=final,
            stable=phrase.stable,
            words=words,
            confidence=round(confidence, 3),
            no_speech_prob=round(no_speech, 3),
            flags=guards.flags(evidence),
            t={CAPTURE: self.audio.arrival(phrase.end), STAGE: time.time()},
        )


def _speakers_param(speakers: SpeakerSettings | None) -> str | int:
    if speakers is None:
        return "off"
    return "auto" if speakers.known is None else speakers.known


def exit_code(stats: TranscribeStats) -> int:
    return ExitCode.REJECTED_INPUT if stats.rejected else ExitCode.OK
