"""One batch, one transaction: the event log and the typed tables, written idempotently.

The transaction (lt.db.batch_sql) is sent in pipeline mode: one round trip
a batch. A batch the database refuses because of its content (a data or
constraint error) is retried in halves until the offending rows are alone;
those go to `dead_letters` and every other row is committed.

What is not the batch's fault becomes Unavailable (the caller retries with
backoff): the server cannot be reached, went away, or gave no answer within
`timeout` seconds (a hung server or network: the connection is cut from
another thread, so a hang becomes an ordinary retry). A deadlock with another
writer is retried at once, a few times, as a deadlock, not as an outage.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lt.db import batch_sql, rows
from lt.db.connect import Target, open_connection, unavailable
from lt.db.rows import Item, Rejected, Stored
from lt.errors import ExitCode, LtError

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("lt.store")

# SQLSTATE classes that blame the rows, not the server: data exception,
# integrity constraint violation, program limit exceeded (e.g. a tsvector too long).
_ROW_PROBLEM_CLASSES = ("22", "23", "54")
DEADLOCK_RETRIES = 20
# A transaction of ours left idle in the middle (its process stopped) would hold row locks that
# every other writer waits on; the server ends it after this long.
IDLE_IN_TRANSACTION_MS = 60_000


class Unavailable(Exception):
    """The server cannot be reached or went away; the batch may be retried as it is."""


@dataclass
class BatchResult:
    stored: int = 0
    new: int = 0
    dead_letters: int = 0
    transactions: int = 0
    deadlocks: int = 0
    refused: list[Stored] = field(default_factory=list)  # events the database refused, now dead letters


class TransactionGate:
    """Bounds how many transactions the writers of one process run at once, and counts the waits."""

    def __init__(self, limit: int):
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self.waits = 0
        self.wait_s = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(blocking=False):
            began = time.monotonic()
            self._slots.acquire()
            with self._lock:
                self.waits += 1
                self.wait_s += time.monotonic() - began
        try:
            yield
        finally:
            self._slots.release()


_gates: dict[int, TransactionGate] = {}
_gates_lock = threading.Lock()


def shared_gate(limit: int) -> TransactionGate:
    """The process-wide gate for `limit`, so every writer in the process shares one bound."""
    with _gates_lock:
        return _gates.setdefault(limit, TransactionGate(limit))


@dataclass(frozen=True)
class WriterSettings:
    source: str = "stdin"
    fail_on_bad: bool = False
    connect_timeout: float = 5.0
    timeout: float = 10.0  # seconds without an answer before the connection is given up as hung


class BatchWriter:
    def __init__(self, target: Target, settings: WriterSettings, gate: TransactionGate):
        self.target = target
        self.settings = settings
        self.gate = gate
        self._conn: psycopg.Connection | None = None
        self._hung_up = threading.Event()

    def open(self) -> None:
        """Connect (and migrate) now rather than on the first batch; Unavailable if the server is gone,
        LtError (exit 4) when the URL itself is unusable."""
        with self._translated_errors():
            self._connection()

    def write(self, items: Sequence[Item], result: BatchResult) -> None:
        """Commit `items` (retrying in halves around bad rows), counting into `result` as parts commit.

        Raises Unavailable if the server is gone or hung (the whole batch may be written again), LtError
        when it refuses the batch for other reasons or --on-bad fail meets a refused event.
        """
        with self._translated_errors():
            self._write_isolating(self._connection(), list(items), result)

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.close()
            if self._hung_up.is_set():
                raise Unavailable(f"no answer from the server within {self.settings.timeout:g} s") from None
            raise Unavailable(self.target.scrub(str(exc)).strip() or type(exc).__name__) from None
        except psycopg.Error as exc:
            self.close()
            raise LtError(
                f"the database refused a batch: {self.target.scrub(str(exc)).strip()}",
                hint=f"check the schema and permissions of {self.target.masked()} (lt db migrate)",
                code=ExitCode.ERROR,
            ) from None

    @contextmanager
    def _answer_within(self, conn: psycopg.Connection) -> Iterator[None]:
        """Cut the connection if the server has not finished within `timeout` s (the caller then retries)."""
        self._hung_up.clear()
        timer = threading.Timer(self.settings.timeout, self._hang_up, (conn,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _hang_up(self, conn: psycopg.Connection) -> None:
        # shutdown() (not close(): the descriptor stays the connection's) wakes the wait for the server
        # at once with an end of file, which psycopg reports as a lost connection.
        self._hung_up.set()
        try:
            with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except Exception as exc:  # closed already, or never a socket: nothing to wake
            log.debug("hanging up a hung connection: %s", exc)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def reset_if_unsure(self) -> None:
        """After an interrupt mid-transaction the connection's state is unknown: start afresh."""
        import psycopg

        conn = self._conn
        if conn is not None and (conn.broken or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE):
            self.close()

    def _connection(self) -> psycopg.Connection:
        import psycopg

        from lt.db.schema import migrate

        if self._conn is None or self._conn.closed:
            try:
                conn = open_connection(self.target, connect_timeout=self.settings.connect_timeout)
            except psycopg.ProgrammingError as exc:  # a malformed URL: no retry will make it work
                raise unavailable(self.target, exc) from None
            try:
                with self._answer_within(conn):
                    migrate(conn)
                    conn.execute(f"SET idle_in_transaction_session_timeout = {IDLE_IN_TRANSACTION_MS}")
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _write_isolating(self, conn: psycopg.Connection, items: list[Item], result: BatchResult) -> None:
        import psycopg

        try:
            result.new += self._transaction(conn, items, result)
            result.transactions += 1
            result.stored += sum(isinstance(i, Stored) for i in items)
            result.dead_letters += sum(isinstance(i, Rejected) for i in items)
        except psycopg.Error as exc:
            if not _blames_rows(exc):
                raise
            if len(items) > 1:
                middle = len(items) // 2
                self._write_isolating(conn, items[:middle], result)
                self._write_isolating(conn, items[middle:], result)
                return
            (item,) = items
            if not isinstance(item, Stored):
                raise
            error = f"rejected by the database: {self.target.scrub(str(exc)).strip()}"
            first_line = error.splitlines()[0]
            if self.settings.fail_on_bad:
                raise LtError(
                    f"input line {item.line}: {first_line}",
                    hint="fix the input, or drop --on-bad fail to dead-letter such events and go on",
                    code=ExitCode.REJECTED_INPUT,
                ) from None
            log.warning("input line %d: %s (dead-lettered)", item.line, first_line)
            self._write_isolating(conn, [rows.rejected_from_stored(item, error)], result)
            result.refused.append(item)

    def _transaction(self, conn: psycopg.Connection, items: list[Item], result: BatchResult) -> int:
        """Commit the batch as one transaction, again at once after a deadlock; how many events were new."""
        import psycopg

        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                with self.gate.slot(), self._answer_within(conn):
                    with conn.pipeline(), conn.transaction():
                        counted = self._statements(conn, items)
                    return counted.fetchone()[0] if counted is not None else 0
            except psycopg.errors.TransactionRollback as exc:
                # Another writer holds rows this batch needs and waits for ours: the server chose us
                # to roll back. Nothing is wrong with the server or the rows; a new try soon succeeds.
                result.deadlocks += 1
                log.info("batch rolled back by the server (%s); trying again at once", _first_line(exc))
                time.sleep(random.uniform(0, 0.005 * attempt))
        raise Unavailable(f"rolled back {DEADLOCK_RETRIES} times in a row by deadlocks with other writers")

    def _statements(self, conn: psycopg.Connection, items: list[Item]) -> psycopg.Cursor | None:
        """Queue the batch's statements; the cursor that will count the events new to the log."""
        stored = [i for i in items if isinstance(i, Stored)]
        rejected = [i for i in items if isinstance(i, Rejected)]
        counted = None
        with conn.cursor() as cur:
            if stored:
                counted = conn.execute(batch_sql.WRITE_BATCH, (rows.batch_document(stored).decode(),))
                sessions = sorted(filter(None, map(rows.session_row, stored)), key=lambda row: row[0])
                if sessions:
                    cur.executemany(batch_sql.UPSERT_SESSION, sessions)
                audio = {i.event.id: rows.audio_row(i) for i in stored if rows.is_audio(i)}
                if audio:
                    cur.executemany(batch_sql.UPSERT_AUDIO, [audio[k] for k in sorted(audio)])
            if rejected:
                source = self.settings.source
                letters = sorted((rows.dead_letter_row(r, source) for r in rejected), key=lambda row: row[0])
                cur.executemany(batch_sql.INSERT_DEAD_LETTER, letters)
        return counted


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _blames_rows(exc: BaseException) -> bool:
    import psycopg

    if isinstance(exc, (psycopg.DataError, psycopg.IntegrityError)):
        return True
    return (getattr(exc, "sqlstate", None) or "")[:2] in _ROW_PROBLEM_CLASSES
