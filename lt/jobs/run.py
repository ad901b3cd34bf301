"""One job, run as the pipeline's own stages called as library generators:

    lt.capture (or the session's stored audio) -> lt.asr.stage (batch) -> lt.mt.stage -> job id -> lt.db.store

Every event the job stores carries `job`, the queue's id of the job. The
session was fixed at submission, so a job run again (a retry, or after its
worker was killed) yields the same event ids and stores nothing twice.

A job reads its whole input before it transcribes (batch transcription holds
the audio in memory anyway), so an input that cannot be decoded fails the job
with the decoder's message before anything is stored, and is not retried.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lt.pcm import BYTES_PER_SECOND
from lt.db.connect import Target, open_connection
from lt.db.store import StoreSettings
from lt.errors import ExitCode, LtError, redact
from lt.events import AnyEvent, ErrorEvent, Event, SessionEvent, TranscriptEvent, TranslationEvent, UnknownEvent
from lt.jobs.engines import EnginePool
from lt.jobs.record import JobRecord
from lt.jobs.spec import JobSpec

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("lt.worker")


class InputRejected(LtError):
    """The job's input cannot be used (missing, undecodable, without audio): running it again cannot help."""


@dataclass
class Runtime:
    """What a worker's jobs share: the database, the loaded models, the worker's name."""

    target: Target
    pool: EnginePool
    worker: str
    store: StoreSettings = field(default_factory=StoreSettings)

    def run(self, spec: JobSpec, job_id: int, attempt: int, should_abort: Callable[[], bool]) -> dict[str, int]:
        began = time.monotonic()
        conn = open_connection(self.target)
        try:
            record = JobRecord(conn, job_id, spec)
            record.begin(attempt + 1, self.worker)
            try:
                counts = _Job(self, spec, job_id, record, conn, should_abort).run()
            except BaseException as exc:
                record.failed(reason(exc))
                raise
            record.succeeded()
        finally:
            conn.close()
        log.info(
            "job %d (%s): succeeded in %.1f s into session %s: %s", job_id, _short(spec.input),
            time.monotonic() - began, spec.session, ", ".join(f"{v} {k}" for k, v in counts.items()),
        )
        return counts


def reason(exc: BaseException) -> str:
    if type(exc).__name__ == "JobAborted":  # procrastinate's, raised by _check_abort
        return "cancelled while it ran"
    if isinstance(exc, LtError):
        return redact(exc.message)
    text = str(exc).strip().splitlines()
    return redact(f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__)


def _short(text: str) -> str:
    return os.path.basename(text) if "/" in text and "://" not in text else text


class _Job:
    def __init__(self, runtime: Runtime, spec: JobSpec, job_id: int, record: JobRecord, conn: psycopg.Connection,
                 should_abort: Callable[[], bool]):
        self.runtime = runtime
        self.spec = spec
        self.job_id = job_id
        self.record = record
        self.conn = conn
        self.should_abort = should_abort
        self.seconds: dict[str, float] = {"transcribe": 0.0, "translate": 0.0}
        self.expected_finals = 0
        self.stats = None  # the transcribe stage's TranscribeStats, once it runs

    def run(self) -> dict[str, int]:
        with ExitStack() as stack:
            if self.spec.transcribes:
                events = self._transcribed(stack)
            else:
                events = self._stored_transcripts()
            if self.spec.targets:
                events = self._translated(stack, events)
            return self._store(_with_job(events, self.job_id))

    # the stages

    def _transcribed(self, stack: ExitStack) -> Iterator[AnyEvent]:
        from lt.asr.stage import TranscribeSettings, TranscribeStats, transcribe

        self.record.enter("capture")
        began = time.monotonic()
        chunks = self._audio()
        audio_seconds = sum(map(len, chunks)) / BYTES_PER_SECOND
        if not audio_seconds:
            raise InputRejected(f"{self.spec.input} holds no audio (0 samples decoded)", hint="check the recording")
        self.record.finished_step("capture", time.monotonic() - began, audio_seconds=round(audio_seconds, 2))
        self._check_abort()
        loaded = stack.enter_context(self.runtime.pool.whisper(self.spec))
        self.record.model(loaded.model, loaded.fallbacks)
        pool = self.runtime.pool
        settings = TranscribeSettings(
            model=loaded.model, mode="batch", language=self.spec.language, beam_size=self.spec.beam_size,
            device=pool.device, compute_type=pool.compute_type, session=self.spec.session,
            source=self.spec.input if self.spec.kind == "file" else f"session {self.spec.input}",
        )
        self.stats = TranscribeStats()
        self.record.enter("transcribe")
        events = transcribe(chunks, settings, engines=loaded.engines, stats=self.stats)
        return self._decode_watched(events, loaded.model, audio_seconds)

    def _decode_watched(self, events: Iterable[AnyEvent], model: str, audio_seconds: float) -> Iterator[AnyEvent]:
        """The transcribe stage's events, telling the record when the decode began and ended."""
        began = time.monotonic()
        self.record.decoding(model, audio_seconds)
        decoding = True
        try:
            for event in _timed(events, self.seconds, "transcribe"):
                if decoding and not (isinstance(event, SessionEvent) and event.kind == "start"):
                    decoding = False
                    self._decoded(model, audio_seconds, time.monotonic() - began)
                if isinstance(event, TranscriptEvent) and event.final:
                    self.expected_finals = self.stats.finals
                yield event
        finally:
            if decoding:
                self._decoded(model, audio_seconds, time.monotonic() - began)

    def _decoded(self, model: str, audio_seconds: float, seconds: float) -> None:
        self.record.decoded(model, audio_seconds, seconds)
        self.record.finished_step("transcribe", seconds, model=model, rtf=round(seconds / audio_seconds, 3) if audio_seconds else None)
        self.record.enter("translate" if self.spec.targets else "store")

    def _audio(self) -> list[bytes]:
        """The job's audio as PCM chunks, all of it; InputRejected when it cannot be had."""
        if self.spec.kind == "file":
            return _captured(self.spec.input)
        from lt.db.queries import session_row
        from lt.replay import ReplaySettings, replay_audio

        source = self.spec.input
        row = _required(lambda: session_row(self.conn, source))
        (has_audio,) = self.conn.execute("SELECT EXISTS (SELECT 1 FROM audio_chunks WHERE session = %s)", (source,)).fetchone()
        if has_audio:
            return _required(lambda: list(replay_audio(self.conn, source, ReplaySettings())))
        original = row["source"]
        if original and ("://" in original or os.path.isfile(original)):
            return _captured(original)
        raise InputRejected(
            f"session {source!r} has no stored audio, and its source ({original or 'unknown'}) is not a file lt can read",
            hint="keep the audio while transcribing (lt transcribe --keep-audio DIR), or submit the recording itself",
        )

    def _stored_transcripts(self) -> Iterator[AnyEvent]:
        """A translate-only re-run: the session's stored finals, which are not stored again."""
        from lt.db.queries import require_session
        from lt.events import from_dict
        from lt.replay import ReplaySettings, replay_events

        _required(lambda: require_session(self.conn, self.spec.input))
        bodies = [b for b in replay_events(self.conn, self.spec.input, ReplaySettings(types=("transcript",))) if b.get("final")]
        self.expected_finals = len(bodies)
        self.record.enter("translate")
        return (from_dict(body) for body in bodies)

    def _translated(self, stack: ExitStack, events: Iterable[AnyEvent]) -> Iterator[AnyEvent]:
        from lt.mt.stage import TranslateSettings, translate_events

        router = stack.enter_context(self.runtime.pool.router(self.spec))
        translated = translate_events(events, router, TranslateSettings(targets=self.spec.targets))
        if not self.spec.transcribes:
            translated = (e for e in translated if isinstance(e, (TranslationEvent, ErrorEvent)))
        return _exclusive(_timed(translated, self.seconds, "translate"), self.seconds, "translate", "transcribe")

    def _store(self, events: Iterable[AnyEvent]) -> dict[str, int]:
        from lt.db.store import Store, StoreStats
        from lt.ndjson import Line

        began = time.monotonic()
        stats = StoreStats()
        store = Store(self.runtime.target, dataclasses.replace(self.runtime.store, source=f"job {self.job_id}"), stats)
        counts = {"finals": 0, "translations": 0, "events": 0, "new": 0}
        lines = (Line(n, event, None, "") for n, event in enumerate(self._until_aborted(events), 1))
        try:
            for batch in store.run(lines):
                counts["finals"] += sum(isinstance(e, TranscriptEvent) and e.final for e in batch.events)
                counts["translations"] += sum(isinstance(e, TranslationEvent) for e in batch.events)
                counts["events"], counts["new"] = stats.stored, stats.new
                self.record.stored(self._done(counts), counts)
        except LtError as exc:
            if exc.code == ExitCode.UNAVAILABLE:
                _remove_spill(stats)
            raise
        finally:
            try:
                store.finish()
            finally:
                counts["events"], counts["new"] = stats.stored, stats.new
        self._check_abort()
        elapsed = time.monotonic() - began
        upstream = self.seconds["transcribe"] + self.seconds["translate"]
        if self.spec.targets:
            self.record.finished_step("translate", self.seconds["translate"])
        # The store runs alongside the stages before it; what it took is the time it added.
        self.record.finished_step("store", max(0.0, elapsed - upstream), events=stats.stored, new=stats.new)
        return counts

    def _done(self, counts: dict[str, int]) -> float:
        """How much of what the store will receive it has committed, 0 to 1."""
        if self.spec.transcribes:
            return counts["finals"] / self.expected_finals if self.expected_finals else 0.0
        expected = self.expected_finals * len(self.spec.targets)
        return counts["translations"] / expected if expected else 0.0

    def _until_aborted(self, events: Iterator[AnyEvent]) -> Iterator[AnyEvent]:
        """The events until the job is cancelled. The stages run on the store's reading thread, so
        they are closed there, and the store ends its input as usual, before the job stops: no
        stage is left running (a decode on a thread) once the job has ended."""
        try:
            for event in events:
                if self.should_abort():
                    return
                yield event
        finally:
            events.close()

    def _check_abort(self) -> None:
        if self.should_abort():
            from procrastinate.exceptions import JobAborted

            log.warning("job %d: cancelled, stopping", self.job_id)
            raise JobAborted()


def _captured(source: str) -> list[bytes]:
    from lt.capture import CaptureSettings, capture

    return _required(lambda: list(capture(CaptureSettings(source=source))))


def _required(read: Callable[[], Any]) -> Any:
    """The input, or InputRejected with the reader's own message (a decoder's, say)."""
    try:
        return read()
    except InputRejected:
        raise
    except LtError as exc:
        raise InputRejected(exc.message, exc.hint) from None


def _with_job(events: Iterable[AnyEvent], job_id: int) -> Iterator[AnyEvent]:
    for event in events:
        if isinstance(event, Event):
            yield dataclasses.replace(event, extra={**event.extra, "job": job_id})
        elif isinstance(event, UnknownEvent):
            yield UnknownEvent({**event.data, "job": job_id})


def _timed(items: Iterable[Any], seconds: dict[str, float], name: str) -> Iterator[Any]:
    """The items, adding to seconds[name] the time spent producing them (the stages before included)."""
    iterator = iter(items)
    while True:
        began = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            seconds[name] += time.perf_counter() - began
            return
        seconds[name] += time.perf_counter() - began
        yield item


def _exclusive(items: Iterator[Any], seconds: dict[str, float], name: str, upstream: str) -> Iterator[Any]:
    """At the end, seconds[name] counts only its own stage's time, not the time of `upstream`'s."""
    try:
        yield from items
    finally:
        seconds[name] = max(0.0, seconds[name] - seconds.get(upstream, 0.0))


def _remove_spill(stats) -> None:
    """A job gives up on an unreachable database by failing and being retried, which makes its
    events again: the spill file the store wrote is not needed, so it does not pile up."""
    for path in stats.spill_files:
        try:
            os.unlink(path)
        except OSError:
            continue
        log.info("removed %s: the job's retry stores those events again", path)
