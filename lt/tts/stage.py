"""The speak stage as a library generator: events in; the same events, plus speech placed on audio time, out.

What is spoken, for `lang`:

- each final `translation` into `lang`;
- each final `transcript` already in `lang` (lt translate makes no translation
  into a transcript's own language, so `--lang en` re-speaks English finals);
- once per segment; nothing for a segment whose transcript was flagged
  `suspect_hallucination` (text Whisper made up on silence is not read out).

Each utterance is synthesised as it arrives. On a file's timeline (the default)
it is placed once the next caption's start is known, so it may use the silence
before it (timing.py); live, it goes out at once and the player bounds the delay
(live.py). The generator ends with a `Tail`: how long the session's audio is.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from lt.pcm import SAMPLE_RATE
from lt.errors import LtError
from lt.events import AnyEvent, ErrorEvent, SessionEvent, TranscriptEvent, TranslationEvent, event_id
from lt.tts.engine import Synthesizer
from lt.tts.stretch import speed_up
from lt.tts.timing import Placement, Timeline, TimingSettings

STAGE = "speak"
SUSPECT = "suspect_hallucination"
_SEGMENTS_KEPT = 4096  # segments remembered against speaking one twice; older ones are long done
_LATENCIES_KEPT = 10000

log = logging.getLogger("lt.speak")


@dataclass(frozen=True)
class SpeakSettings:
    lang: str
    timing: TimingSettings = TimingSettings()
    live: bool = False  # True: no timeline, each utterance goes to the player as soon as it is ready


@dataclass(frozen=True)
class Utterance:
    session: str
    seg: int
    start: float | None
    end: float | None
    text: str
    source: TranslationEvent | TranscriptEvent
    arrived: float  # wall time at which lt speak read it


@dataclass(frozen=True)
class Spoken:
    utterance: Utterance
    samples: np.ndarray  # float32, 16 kHz mono, already sped up where placed
    placement: Placement | None  # None when live

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


@dataclass(frozen=True)
class Tail:
    end: float  # seconds of audio time the session lasts (the dub is padded with silence to here)


@dataclass
class SpeakStats:
    utterances: int = 0
    failed: int = 0
    suspects: int = 0
    speech_seconds: float = 0.0  # as synthesised, before any speed-up
    synth_seconds: float = 0.0
    sped_up: int = 0
    max_rate: float = 1.0
    delayed: int = 0  # began more than a gap after their caption, pushed back by the speech before
    max_delay: float = 0.0
    dropped: int = 0  # live: not played, to stay within --max-delay
    latencies: deque = field(default_factory=lambda: deque(maxlen=_LATENCIES_KEPT))  # read -> first sample out

    def first_sample(self, utterance: Utterance, when: float) -> None:
        self.latencies.append(when - utterance.arrived)

    @property
    def rtf(self) -> float:
        return self.synth_seconds / self.speech_seconds if self.speech_seconds else 0.0

    def summary(self) -> str:
        from lt.latency import percentile

        text = (
            f"spoke {self.utterances} captions ({self.speech_seconds:.1f} s of speech, synthesis RTF {self.rtf:.2f}): "
            f"{self.sped_up} sped up (at most {self.max_rate:.2f}x), {self.delayed} pushed back (at most {self.max_delay:.1f} s), "
            f"{self.failed} failed, {self.suspects} suspect skipped"
        )
        if self.dropped:
            text += f", {self.dropped} dropped to keep up"
        if self.latencies:
            latencies = list(self.latencies)
            text += f"; read to first sample p50 {percentile(latencies, 50):.2f} s, p95 {percentile(latencies, 95):.2f} s"
        return text


def speak(
    events: Iterable[AnyEvent],
    synth: Synthesizer,
    settings: SpeakSettings,
    stats: SpeakStats | None = None,
) -> Iterator[AnyEvent | Spoken | Tail]:
    """Every input event in order, each spoken caption's `Spoken` after it (or after the next one), then a `Tail`."""
    run = _Run(synth, settings, stats if stats is not None else SpeakStats())
    for event in events:
        yield event
        utterance = run.selector.utterance(event)
        if utterance is not None:
            yield from run.say(utterance)
    yield from run.finish()


class _Selector:
    """Which events are spoken, once per segment, and how long the session's audio runs."""

    def __init__(self, lang: str, stats: SpeakStats):
        self.lang = lang
        self.stats = stats
        self.said: OrderedDict[tuple[str, int], None] = OrderedDict()
        self.suspects: OrderedDict[tuple[str, int], None] = OrderedDict()
        self.audio_end = 0.0

    def utterance(self, event: AnyEvent) -> Utterance | None:
        if isinstance(event, SessionEvent):
            if event.kind == "end" and isinstance(event.stats.get("audio_seconds"), (int, float)):
                self.audio_end = max(self.audio_end, float(event.stats["audio_seconds"]))
            return None
        if not isinstance(event, (TranscriptEvent, TranslationEvent)):
            return None
        self.audio_end = max(self.audio_end, event.end or event.start or 0.0)
        key = (event.session, event.seg)
        if isinstance(event, TranscriptEvent):
            if SUSPECT in event.flags:
                _remember(self.suspects, key)
            lang = event.lang
        else:
            lang = event.target_lang
        if not event.final or not self._speaks(lang) or not event.text.strip() or key in self.said:
            return None
        if key in self.suspects:
            self.stats.suspects += 1
            _remember(self.said, key)
            return None
        _remember(self.said, key)
        return Utterance(event.session, event.seg, event.start, event.end, event.text.strip(), event, time.time())

    def _speaks(self, code: str | None) -> bool:
        return bool(code) and code.lower().replace("_", "-").split("-")[0] == self.lang


def _remember(keys: OrderedDict, key: tuple[str, int]) -> None:
    keys[key] = None
    if len(keys) > _SEGMENTS_KEPT:
        keys.popitem(last=False)


class _Run:
    def __init__(self, synth: Synthesizer, settings: SpeakSettings, stats: SpeakStats):
        self.synth = synth
        self.settings = settings
        self.stats = stats
        self.selector = _Selector(settings.lang, stats)
        self.timeline = Timeline(settings.timing)
        self.pending: tuple[Utterance, np.ndarray] | None = None

    def say(self, utterance: Utterance) -> Iterator[Spoken | ErrorEvent]:
        try:
            samples = self._synthesize(utterance)
        except Exception as exc:  # a live stage never dies on one caption
            yield self._failed(utterance, exc.message if isinstance(exc, LtError) else f"{type(exc).__name__}: {exc}")
            return
        if self.settings.live:
            self.stats.utterances += 1
            yield Spoken(utterance, samples, None)
            return
        if self.pending is not None:
            before, before_samples = self.pending
            until = None if utterance.start is None else utterance.start - self.settings.timing.gap
            yield self._place(before, before_samples, until if until is not None else before.end)
        self.pending = (utterance, samples)

    def finish(self) -> Iterator[Spoken | Tail]:
        if self.pending is not None:
            utterance, samples = self.pending
            self.pending = None
            yield self._place(utterance, samples, max(utterance.end or 0.0, self.selector.audio_end) or None)
        yield Tail(max(self.selector.audio_end, self.timeline.cursor or 0.0))

    def _synthesize(self, utterance: Utterance) -> np.ndarray:
        began = time.perf_counter()
        samples = self.synth.synthesize(utterance.text)
        self.stats.synth_seconds += time.perf_counter() - began
        self.stats.speech_seconds += len(samples) / SAMPLE_RATE
        return samples

    def _place(self, utterance: Utterance, samples: np.ndarray, until: float | None) -> Spoken:
        placement = self.timeline.place(utterance.start, until, len(samples) / SAMPLE_RATE)
        if placement.rate > 1.0:
            samples = speed_up(samples, placement.rate)
            self.stats.sped_up += 1
            self.stats.max_rate = max(self.stats.max_rate, placement.rate)
        if placement.delay > self.settings.timing.gap:
            self.stats.delayed += 1
            self.stats.max_delay = max(self.stats.max_delay, placement.delay)
        self.timeline.occupy(placement.at, len(samples) / SAMPLE_RATE)
        self.stats.utterances += 1
        return Spoken(utterance, samples, placement)

    def _failed(self, utterance: Utterance, reason: str) -> ErrorEvent:
        message = f"segment {utterance.seg}: {self.synth.engine} could not speak it: {reason}"
        log.warning("%s", message)
        self.stats.failed += 1
        return ErrorEvent(
            session=utterance.session,
            id=event_id(utterance.session, "error", STAGE, utterance.seg, self.settings.lang),
            stage=STAGE,
            message=message,
            seg=utterance.seg,
            t={**utterance.source.t, STAGE: time.time()},
        )
