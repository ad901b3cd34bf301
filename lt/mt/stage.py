"""The translate stage: every event passes through, transcripts gain translations after them.

Finals are translated as they arrive. What arrives while the engine is busy is
read ahead (bounded) and handled as one batch: one engine call per language
pair, so a burst costs one call instead of a growing queue.

Before its final, a sentence is translated speculatively: a partial's stable
words (committed by the recogniser, so they never change) are translated once
at least `speculate_words` more of them have come, or a clause has ended, and
go out as a translation with `final: false`, which the final's translation
replaces. The translation line is then a few words behind the speech instead
of a sentence; a re-translation may change earlier words of the line, which is
why a speculative translation is shown as tentative. With `partials`, whole
partials (tentative tail included) are translated instead, debounced on audio
time: a segment's partial is retranslated only once its end has moved on by
`partial_interval` seconds. Neither happens when a newer revision of the
segment is already waiting.

A long text goes to the engine in sentence pieces of at most PIECE_CHARS,
batch_size pieces per call, joined back in order, so one long final costs
seconds and a signal is honoured between two calls.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from lt import shutdown
from lt.captions import ends_clause, ends_sentence, split_long
from lt.errors import LtError
from lt.events import TRANSLATE, AnyEvent, ErrorEvent, TranscriptEvent, TranslationEvent, event_id
from lt.mt.cache import TranslationCache
from lt.mt.engine import Translator
from lt.mt.router import Router
from lt.readahead import END, TIMEOUT, ReadAhead

STAGE = TRANSLATE
# Segments remembered for debouncing; older ones are long finished in any live stream.
_SEGMENTS_KEPT = 1024
_FINISHED = -1
# A batch also closes after this many events of any kind, so pass-through floods stay bounded.
_EVENTS_PER_SENTENCE = 8
# A longer text goes to the engine in sentences of at most this many characters, translated in
# order and joined, so one long final neither stalls the engine nor holds up the stream for long.
PIECE_CHARS = 400
# A text longer than this (about 8,000 words; no recogniser's final) gets an error event instead.
MOST_CHARS = 50_000

log = logging.getLogger("lt.translate")


@dataclass(frozen=True)
class TranslateSettings:
    targets: tuple[str, ...]
    source: str | None = None
    partials: bool = False
    partial_interval: float = 1.0
    speculate: bool = True
    speculate_words: int = 3
    batch_size: int = 16
    batch_wait: float = 0.0
    cache_size: int = 4096


@dataclass
class TranslateStats:
    finals: int = 0
    partials: int = 0
    speculative: int = 0
    translations: int = 0
    errors: int = 0
    batches: int = 0
    engine_calls: int = 0

    def summary(self, targets: Sequence[str]) -> str:
        return (
            f"translated {self.finals} finals, {self.partials} partials and {self.speculative} stable prefixes "
            f"into {','.join(targets)}: "
            f"{self.translations} translations, {self.errors} errors, "
            f"{self.engine_calls} engine calls in {self.batches} batches"
        )


@dataclass(frozen=True)
class _Job:
    transcript: TranscriptEvent
    text: str  # what is translated: the transcript's text, or its stable words
    source: str
    target: str
    translator: Translator


@dataclass
class _Outcome:
    text: str | None = None
    error: str | None = None


def translate_events(
    events: Iterable[AnyEvent],
    router: Router,
    settings: TranslateSettings,
    *,
    stats: TranslateStats | None = None,
    cache: TranslationCache | None = None,
) -> Iterator[AnyEvent]:
    """Every input event, in order, each transcript followed by its translations (or errors)."""
    stats = TranslateStats() if stats is None else stats
    cache = TranslationCache(settings.cache_size) if cache is None else cache
    stage = _Stage(router, settings, stats, cache)
    for batch in _batches(events, settings):
        yield from stage.process(batch)


def _batches(events: Iterable[AnyEvent], settings: TranslateSettings) -> Iterator[list[AnyEvent]]:
    """Whatever is waiting, up to the batch size, waiting at most batch_wait for more."""
    most_events = settings.batch_size * _EVENTS_PER_SENTENCE
    read_ahead = ReadAhead(events, maxsize=most_events)
    batch: list[AnyEvent] = []
    sentences = 0
    deadline = 0.0
    try:
        while True:
            item = read_ahead.get(max(0.0, deadline - time.monotonic()) if batch else None)
            if item is END:
                break
            if item is not TIMEOUT:
                deadline = deadline if batch else time.monotonic() + settings.batch_wait
                batch.append(item)
                sentences += isinstance(item, TranscriptEvent)
            if item is TIMEOUT or sentences >= settings.batch_size or len(batch) >= most_events:
                yield batch
                batch, sentences = [], 0
    except Exception:
        # The reader failed (e.g. --on-bad fail): what came before the bad line still goes out.
        if batch:
            yield batch
        raise
    if batch:
        yield batch


class _Stage:
    def __init__(self, router: Router, settings: TranslateSettings, stats: TranslateStats, cache: TranslationCache):
        self.router = router
        self.settings = settings
        self.stats = stats
        self.cache = cache
        self.partial_gate = _PartialGate(settings.partial_interval)
        self.prefix_gate = _PrefixGate(settings.speculate_words)
        self._reported: set[tuple] = set()

    def process(self, batch: list[AnyEvent]) -> Iterator[AnyEvent]:
        self.stats.batches += 1
        latest = {(e.session, e.seg): i for i, e in enumerate(batch) if isinstance(e, TranscriptEvent)}
        plans: list[list[_Job | ErrorEvent]] = []
        for index, event in enumerate(batch):
            text = self._wanted(event, latest[(event.session, event.seg)] == index) if isinstance(event, TranscriptEvent) else None
            plans.append(self._plan(event, text) if text else [])
        outcomes = self._run([job for plan in plans for job in plan if isinstance(job, _Job)])
        for event, plan in zip(batch, plans):
            yield event
            for item in plan:
                yield self._event(item, outcomes[id(item)]) if isinstance(item, _Job) else item

    def _wanted(self, event: TranscriptEvent, newest_in_batch: bool) -> str | None:
        """The text of the transcript to translate now, if any."""
        if not event.text.strip():
            return None
        if event.final:
            self.partial_gate.finished(event)
            self.prefix_gate.finished(event)
            self.stats.finals += 1
            return event.text
        if not newest_in_batch:
            return None
        if self.settings.partials:
            if not self.partial_gate.admits(event):
                return None
            self.stats.partials += 1
            return event.text
        if not self.settings.speculate:
            return None
        stable = self.prefix_gate.admits(event)
        self.stats.speculative += stable is not None
        return stable

    def _plan(self, event: TranscriptEvent, text: str) -> list[_Job | ErrorEvent]:
        source = self.settings.source or event.lang
        if source is None:
            return self._once(event, ("no-lang",), f"segment {event.seg} has no language; pass --from to name it")
        plan: list[_Job | ErrorEvent] = []
        for target in self.settings.targets:
            if target == source:
                continue
            translator = self.router.route(source, target)
            if translator is None:
                plan += self._once(event, ("no-route", source, target), self.router.needed(source, target))
            else:
                plan.append(_Job(event, text, source, target, translator))
        return plan

    def _once(self, event: TranscriptEvent, key: tuple, message: str) -> list[ErrorEvent]:
        if key in self._reported:
            return []
        self._reported.add(key)
        log.warning("%s", message)
        return [self._error(event, key, message)]

    def _error(self, event: TranscriptEvent, key: tuple, message: str) -> ErrorEvent:
        self.stats.errors += 1
        return ErrorEvent(
            session=event.session,
            id=event_id(event.session, "error", STAGE, *key),
            stage=STAGE,
            message=message,
            seg=event.seg,
            t=event.t,
        ).stamped(STAGE)

    def _run(self, jobs: list[_Job]) -> dict[int, _Outcome]:
        """One engine call per (translator, pair) for the texts the cache does not hold."""
        groups: dict[tuple, list[_Job]] = {}
        for job in jobs:
            groups.setdefault((id(job.translator), job.source, job.target), []).append(job)
        outcomes: dict[int, _Outcome] = {}
        for group in groups.values():
            first = group[0]
            texts = list(dict.fromkeys(job.text for job in group))
            done = self._translate(first.translator, texts, first.source, first.target)
            for job in group:
                outcomes[id(job)] = done[job.text]
        return outcomes

    def _translate(self, translator: Translator, texts: list[str], source: str, target: str) -> dict[str, _Outcome]:
        done: dict[str, _Outcome] = {}
        missing = []
        for text in texts:
            cached = self.cache.get((text, source, target, translator.model))
            if cached is None:
                missing.append(text)
            else:
                done[text] = _Outcome(cached)
        for text, outcome in self._call_engine(translator, missing, source, target).items():
            done[text] = outcome
            if outcome.text is not None:
                self.cache.put((text, source, target, translator.model), outcome.text)
        return done

    def _call_engine(self, translator: Translator, texts: list[str], source: str, target: str) -> dict[str, _Outcome]:
        """Each text translated, long ones piece by piece, engine calls of at most batch_size pieces."""
        outcomes = {text: _Outcome(error=f"a text of {len(text):,} characters, longer than the {MOST_CHARS:,} translated")
                    for text in texts if len(text) > MOST_CHARS}
        pieces = {text: split_long(text, PIECE_CHARS) for text in texts if text not in outcomes}
        unique = list(dict.fromkeys(piece for parts in pieces.values() for piece in parts))
        done: dict[str, _Outcome] = {}
        for first in range(0, len(unique), self.settings.batch_size):
            batch = unique[first:first + self.settings.batch_size]
            if shutdown.overdue():  # interrupted, and the grace time is up: pass the rest on untranslated
                done.update((piece, _Outcome(error="interrupted before it was translated")) for piece in batch)
            else:
                done.update(self._engine_batch(translator, batch, source, target))
        for text, parts in pieces.items():
            failed = next((done[part] for part in parts if done[part].error is not None), None)
            outcomes[text] = failed or _Outcome(" ".join(done[part].text for part in parts))
        return outcomes

    def _engine_batch(self, translator: Translator, texts: list[str], source: str, target: str) -> dict[str, _Outcome]:
        try:
            self.stats.engine_calls += 1
            return {text: _Outcome(out) for text, out in zip(texts, translator.translate(texts, source, target), strict=True)}
        except Exception as exc:
            if len(texts) == 1:
                reason = exc.message if isinstance(exc, LtError) else f"{type(exc).__name__}: {exc}"
                return {texts[0]: _Outcome(error=reason)}
        # One bad sentence must not fail the others: retry them one at a time.
        outcomes: dict[str, _Outcome] = {}
        for text in texts:
            outcomes.update(self._engine_batch(translator, [text], source, target))
        return outcomes

    def _event(self, job: _Job, outcome: _Outcome) -> AnyEvent:
        tr = job.transcript
        if outcome.error is not None:
            message = f"segment {tr.seg}: {job.source}->{job.target} with {job.translator.model} failed: {outcome.error}"
            log.warning("%s", message)
            return self._error(tr, ("engine", tr.seg, tr.rev, job.target), message)
        self.stats.translations += 1
        return TranslationEvent(
            session=tr.session,
            id=event_id(tr.session, "translation", tr.seg, job.target, job.translator.model, "final" if tr.final else tr.rev),
            seg=tr.seg,
            rev=tr.rev,
            source_lang=job.source,
            target_lang=job.target,
            text=outcome.text,
            source_text=job.text,
            engine=job.translator.engine,
            model=job.translator.model,
            final=tr.final,
            start=tr.start,
            end=tr.end,
            t=tr.t,
        ).stamped(STAGE)


class _PrefixGate:
    """Admits a partial's stable words once `words` more of them have come, or they end a clause."""

    def __init__(self, words: int):
        self.words = words
        self._done: OrderedDict[tuple, int] = OrderedDict()  # stable words already translated, per segment

    def finished(self, event: TranscriptEvent) -> None:
        _remember(self._done, (event.session, event.seg), _FINISHED)

    def admits(self, event: TranscriptEvent) -> str | None:
        key = (event.session, event.seg)
        done = self._done.get(key, 0)
        if done == _FINISHED or event.stable <= done:
            return None
        stable, _ = event.split_stable()
        last = event.words[event.stable - 1].w if event.stable else ""
        if event.stable - done < self.words and not (ends_clause(last) or ends_sentence(last)):
            return None
        _remember(self._done, key, event.stable)
        return stable or None


class _PartialGate:
    """Admits a segment's partial only when its audio end moved on by `interval` and its text changed."""

    def __init__(self, interval: float):
        self.interval = interval
        self._last: OrderedDict[tuple, tuple[float | None, str]] = OrderedDict()
        self._finished: OrderedDict[tuple, None] = OrderedDict()

    def finished(self, event: TranscriptEvent) -> None:
        key = (event.session, event.seg)
        self._last.pop(key, None)
        _remember(self._finished, key, None)

    def admits(self, event: TranscriptEvent) -> bool:
        key = (event.session, event.seg)
        if key in self._finished:
            return False
        previous = self._last.get(key)
        if previous is not None:
            last_end, last_text = previous
            if event.text == last_text:
                return False
            if event.end is not None and last_end is not None and event.end - last_end < self.interval:
                return False
        _remember(self._last, key, (event.end, event.text))
        return True


def _remember(store: OrderedDict, key: tuple, value: object) -> None:
    store[key] = value
    store.move_to_end(key)
    if len(store) > _SEGMENTS_KEPT:
        store.popitem(last=False)
