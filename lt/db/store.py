"""The store stage: events in, committed events out, nothing acknowledged ever lost.

Input lines are read, parsed and made into items (rows.item_from_line) on a
thread, so that work goes on while a batch commits, into a bounded buffer, and written in batches, one
transaction each, when `batch_size` events are waiting, the oldest has
waited `flush_ms`, or no more input has come for `idle_ms`: a live pipeline
sends an event at a time, and holding it for company that is not coming only
makes the caption late, while a file or a burst keeps the input busy and
fills the batches. An event is acknowledged (counted, and yielded for
`--tee`) only after its batch committed.

What is held in memory, read ahead and buffered together, is bounded in
bytes (`buffer_bytes`): each line counts as its encoded size (UTF-8, as it
came) plus rows.ITEM_OVERHEAD; when the bound is reached, stdin is not read
until a commit makes room (one line may go over it).

When the server goes away, or gives no answer within `timeout`, the batch
stays in the buffer and is retried with exponential backoff and jitter;
reading goes on until the buffer is full, then stops, so the pipe pushes
back on the stage before. After `retry_for` seconds without success, reading
stops, everything read but not committed goes to spill files (lt.db.spill;
replay them with `lt store < FILE`) and the stage fails with
ExitCode.UNAVAILABLE, saying how many lines went where. Lines still in the
pipe then were never read: the stage before sees a closed pipe.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lt import shutdown
from lt.db.connect import Target
from lt.db.rows import ITEM_OVERHEAD, Item, Rejected, Stored, item_from_line
from lt.db.spill import Spilled, spill
from lt.db.writer import BatchResult, BatchWriter, TransactionGate, Unavailable, WriterSettings, shared_gate
from lt.errors import ExitCode, LtError, Terminated
from lt.events import STORE, AnyEvent, Event, UnknownEvent
from lt.latency import percentile
from lt.ndjson import BadLines, Line, OnBad
from lt.ratelimit import TokenBucket
from lt.readahead import END, TIMEOUT, ReadAhead

log = logging.getLogger("lt.store")

BACKOFF_FIRST_S = 0.05
BACKOFF_MAX_S = 2.0
# Lines parsed ahead while a batch commits (within the byte bound): a few batches' worth.
READ_AHEAD_LINES = 4096


@dataclass(frozen=True)
class StoreSettings:
    batch_size: int = 500
    flush_ms: float = 100.0
    idle_ms: float = 5.0
    retry_for: float = 120.0
    buffer_bytes: int = 64 << 20
    timeout: float = 10.0
    max_rate: float | None = None
    max_transactions: int = 4
    audio_bytes: bool = False
    on_bad: OnBad = OnBad.emit
    source: str = "stdin"
    report_every_s: float = 2.0


@dataclass
class StoreStats:
    read: int = 0
    stored: int = 0
    new: int = 0
    dead_letters: int = 0
    transactions: int = 0
    retries: int = 0
    unavailable_s: float = 0.0
    max_queue: int = 0
    full_waits: int = 0
    rate_waits: int = 0
    rate_wait_s: float = 0.0
    deadlocks: int = 0
    spilled: int = 0
    spill_files: list[Path] = field(default_factory=list)
    not_kept: int = 0
    commit_ms: deque = field(default_factory=lambda: deque(maxlen=10_000))

    def commit_percentile(self, q: float) -> float | None:
        """The q-th percentile (0-100, as lt.latency.percentile takes it) of the commit times, in ms."""
        return percentile(list(self.commit_ms), q) if self.commit_ms else None

    def summary(self, gate: TransactionGate) -> str:
        p50, p99 = self.commit_percentile(50), self.commit_percentile(99)
        latency = f"commit p50 {p50:.1f} ms, p99 {p99:.1f} ms" if p50 is not None else "no commits"
        parts = [
            f"stored {self.stored} events ({self.new} new, {self.stored - self.new} already stored) "
            f"in {self.transactions} transactions",
            f"{self.dead_letters} dead letters",
            latency,
            f"queue max {self.max_queue} (full {self.full_waits} times)",
            f"{self.retries} retries ({self.unavailable_s:.1f} s unavailable)",
            f"{self.deadlocks} deadlocks retried",
            f"rate waits {self.rate_waits} ({self.rate_wait_s:.1f} s)",
            f"transaction waits {gate.waits}",
        ]
        if self.spilled:
            parts.append(f"{self.spilled} spilled to {', '.join(map(str, self.spill_files))}")
        if self.not_kept:
            parts.append(f"{self.not_kept} neither stored nor spilled")
        return "; ".join(parts)


@dataclass(frozen=True)
class Committed:
    """The events of one committed batch, in input order, and the wall time of the commit."""

    events: list[AnyEvent]
    at: float

    def stamped(self) -> list[AnyEvent]:
        """The events with t.store = the commit time, as `--tee` passes them on."""
        return [stamped(event, self.at) for event in self.events]


class Store:
    """Use as `for batch in store.run(lines): ...` then, always, `store.finish()`."""

    def __init__(self, target: Target, settings: StoreSettings, stats: StoreStats, gate: TransactionGate | None = None):
        self.settings = settings
        self.stats = stats
        self.gate = gate or shared_gate(settings.max_transactions)
        self.writer = BatchWriter(
            target,
            WriterSettings(
                settings.source, settings.on_bad is OnBad.fail, connect_timeout=min(5.0, settings.timeout), timeout=settings.timeout,
            ),
            self.gate,
        )
        self.buffer: deque[tuple[float, Item]] = deque()
        self.buffered_bytes = 0
        self.read_bytes = 0  # counted toward the bound as read ahead, then as taken into the buffer
        self.taken_bytes = 0
        self._reader_waiting = False
        self._room = threading.Condition()
        self._reading_stopped = False
        self.reader: ReadAhead | None = None
        self.bad_lines = BadLines(settings.on_bad, "store", kept_as="to dead letters")
        self.outage_since: float | None = None
        self.attempts = 0
        self.next_try = 0.0
        self.next_report = time.monotonic() + settings.report_every_s
        self.failed: LtError | None = None
        self.broken = False
        self.input_paused = False  # the last wait for input ended with none

    def run(self, lines: Iterable[Line]) -> Iterator[Committed]:
        """The committed batches, in input order."""
        try:
            # Connecting and migrating now keeps that time out of the first live event's latency;
            # before reading, so that a URL that can never work stops the stage with nothing read.
            self.writer.open()
        except Unavailable as exc:
            self._unavailable(str(exc))
        self.reader = ReadAhead(self._metered(lines), maxsize=READ_AHEAD_LINES)
        bucket = TokenBucket(self.settings.max_rate) if self.settings.max_rate else None
        done = False
        while not done or self.buffer:
            now = time.monotonic()
            self._report(now)
            if self._flush_due(now, done):
                yield from self._flush()
                continue
            wait = self._wait(now)
            if done or self._full():
                self.stats.full_waits += not done
                time.sleep(wait if wait is not None else BACKOFF_FIRST_S)
                continue
            if bucket is not None and (token_wait := bucket.wait_time()) > 0:
                pause = token_wait if wait is None else min(token_wait, wait)
                self.stats.rate_waits += 1
                self.stats.rate_wait_s += pause
                time.sleep(pause)
                continue
            read = self.reader.get(timeout=wait)
            self.input_paused = read is TIMEOUT
            if read is END:
                done = True
            elif read is not TIMEOUT:
                if bucket is not None:
                    bucket.take()
                item, held = read
                done = self._accept(item)
                self._taken(held)
        if self.failed is not None:
            self._take_read_ahead()
            raise self.failed

    def finish(self) -> None:
        """Commit whatever was read and not yet committed (after an interrupt too), then close."""
        try:
            if self.broken:
                return
            self._take_read_ahead()
            self.writer.reset_if_unsure()
            try:
                while self.buffer:
                    if self.outage_since is not None:
                        time.sleep(max(0.0, self.next_try - time.monotonic()))
                    for _ in self._flush():
                        pass
            except (KeyboardInterrupt, Terminated):
                # Interrupted again while committing the rest: keep it in a file rather than lose it.
                if self.buffer:
                    spilled = self._spill()
                    log.error("%s (store them: %s)", spilled, spilled.replay_hint() or "-")
                raise
        finally:
            self.writer.close()

    def _accept(self, item: Item) -> bool:
        """Buffer one item; True when it ends the input (--on-bad fail)."""
        self.stats.read += 1
        if isinstance(item, Rejected):
            # A line the store cannot keep (an event without an id, say) is a bad line like any other.
            try:
                if self.bad_lines.check(Line(item.line, None, item.error, item.raw)) is None:
                    return False
            except LtError as exc:
                self.failed = exc
                return True
        self.buffer.append((time.monotonic(), item))
        self.buffered_bytes += item.size
        self.stats.max_queue = max(self.stats.max_queue, len(self.buffer))
        return False

    def _take_read_ahead(self) -> None:
        """Stop reading: the lines already read from stdin are part of what must be committed or spilled."""
        if self.reader is None:
            return
        with self._room:
            self._reading_stopped = True
            self._room.notify_all()
        for item, held in self.reader.stop():
            if self.failed is not None or self._accept(item):
                return
            self._taken(held)

    def _metered(self, lines: Iterable[Line]) -> Iterator[tuple[Item, int]]:
        """The input as items, and what each counts toward the byte bound: read and made into items on
        the reader's thread (so that runs while a batch commits), only while what is held is under the bound."""
        source = iter(lines)
        last_session = None
        while True:
            if self._reading_stopped or not self._room_left():  # the lock only when it may have to wait
                with self._room:
                    self._reader_waiting = True
                    self._room.wait_for(lambda: self._reading_stopped or self._room_left())
                    self._reader_waiting = False
                    if self._reading_stopped:
                        return
            line = next(source, None)
            if line is None:
                return
            item = item_from_line(line, last_session=last_session, audio_bytes=self.settings.audio_bytes)
            if isinstance(item, Stored):
                last_session = item.event.session
            held = held_size(line)
            self.read_bytes += held
            yield item, held

    @property
    def read_ahead_bytes(self) -> int:
        """What the lines read and not yet taken into the buffer count toward the bound."""
        return self.read_bytes - self.taken_bytes

    def _room_left(self) -> bool:
        # read_bytes is written only by the reader's thread, taken_bytes and buffered_bytes only by the
        # stage's: each count has one writer, so neither needs a lock to stay exact.
        return self.read_bytes - self.taken_bytes + self.buffered_bytes < self.settings.buffer_bytes

    def _taken(self, held: int) -> None:
        """An item moved from the read-ahead to the buffer (or was dropped by the bad-line policy)."""
        self.taken_bytes += held
        if self._reader_waiting:  # set before the reader checks for room: a wake-up is never missed
            self._released()

    def _released(self, *, buffered: int = 0) -> None:
        with self._room:
            self.buffered_bytes -= buffered
            self._room.notify_all()

    def _full(self) -> bool:
        return self.buffered_bytes >= self.settings.buffer_bytes

    def _flush_due(self, now: float, done: bool) -> bool:
        if not self.buffer:
            return False
        if self.outage_since is not None:
            return now >= self.next_try
        return (
            done
            or self._full()
            or len(self.buffer) >= self.settings.batch_size
            or now - self.buffer[0][0] >= self.settings.flush_ms / 1000
            or self.input_paused
        )

    def _wait(self, now: float) -> float | None:
        """How long to wait for input before there is something else to do; None: nothing else."""
        if not self.buffer:
            return None
        if self.outage_since is not None:
            return max(0.0, self.next_try - now)
        return max(0.0, min(self.buffer[0][0] + self.settings.flush_ms / 1000 - now, self.settings.idle_ms / 1000))

    def _flush(self) -> Iterator[Committed]:
        batch = [item for _, item in itertools.islice(self.buffer, self.settings.batch_size)]
        began = time.monotonic()
        result = BatchResult()
        try:
            self.writer.write(batch, result)
        except Unavailable as exc:
            self._unavailable(str(exc))
            return
        except LtError:
            self.broken = True
            self._count(result)
            raise
        committed = time.time()
        self._available()
        self.stats.commit_ms.append((time.monotonic() - began) * 1000)
        for _ in batch:
            self.buffer.popleft()
        self._released(buffered=sum(item.size for item in batch))
        self._count(result)
        refused = {id(item) for item in result.refused}
        log.debug("committed %d events (%d new) in %.1f ms", result.stored, result.new, self.stats.commit_ms[-1])
        yield Committed([i.event for i in batch if isinstance(i, Stored) and id(i) not in refused], committed)

    def _count(self, result: BatchResult) -> None:
        self.stats.stored += result.stored
        self.stats.new += result.new
        self.stats.dead_letters += result.dead_letters
        self.stats.transactions += result.transactions
        self.stats.deadlocks += result.deadlocks

    def _unavailable(self, reason: str) -> None:
        now = time.monotonic()
        if self.outage_since is None:
            self.outage_since = now
            log.warning("database unavailable (%s); retrying for up to %g s", reason, self.settings.retry_for)
        self.stats.retries += 1
        # After Ctrl-C or SIGTERM, the grace time is all the retrying there is.
        if now - self.outage_since >= self.settings.retry_for or shutdown.overdue():
            self.stats.unavailable_s += now - self.outage_since
            self._give_up(reason)
        delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**self.attempts)
        self.attempts += 1
        self.next_try = now + random.uniform(delay / 2, delay)
        log.debug("retry %d in %.2f s: %s", self.attempts, self.next_try - now, reason)

    def _available(self) -> None:
        if self.outage_since is not None:
            down = time.monotonic() - self.outage_since
            self.stats.unavailable_s += down
            log.warning("database back after %.1f s (%d retries so far)", down, self.stats.retries)
        self.outage_since = None
        self.attempts = 0

    def _give_up(self, reason: str) -> None:
        self._take_read_ahead()
        spilled = self._spill()
        raise LtError(
            f"the database stayed unavailable for {self.settings.retry_for:g} s ({reason}); {spilled}",
            hint=f"when the database is back: {spilled.replay_hint()}" if spilled.files else
            "free some space in one of those folders (or set LT_SPILL_DIR) before the next outage",
            code=ExitCode.UNAVAILABLE,
        )

    def _spill(self) -> Spilled:
        self.broken = True
        spilled = spill([item for _, item in self.buffer])
        self.stats.spilled += spilled.kept
        self.stats.spill_files += [path for path, _ in spilled.files]
        self.stats.not_kept += len(spilled.lost)
        self.buffer.clear()
        self._released(buffered=self.buffered_bytes)
        for problem in spilled.problems:
            log.warning("spilling: %s", problem)
        return spilled

    def _report(self, now: float) -> None:
        if now < self.next_report or not log.isEnabledFor(logging.DEBUG):
            return
        self.next_report = now + self.settings.report_every_s
        p50 = self.stats.commit_percentile(50)
        log.debug(
            "queue %d (%d bytes, %d read ahead); stored %d; commit p50 %s; rate waits %d; transaction waits %d",
            len(self.buffer), self.buffered_bytes, self.reader.pending() if self.reader else 0,
            self.stats.stored, "-" if p50 is None else f"{p50:.1f} ms", self.stats.rate_waits, self.gate.waits,
        )


def stamped(event: AnyEvent, when: float) -> AnyEvent:
    if isinstance(event, Event):
        return event.stamped(STORE, when)
    stamps = event.data.get("t")
    return UnknownEvent({**event.data, "t": {**(stamps if isinstance(stamps, dict) else {}), STORE: when}})


def held_size(line: Line) -> int:
    """What a line read ahead counts toward the byte bound: its encoded size and the parsed event."""
    return len(line.data or line.raw) + ITEM_OVERHEAD
