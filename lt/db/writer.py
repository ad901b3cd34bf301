"""One batch, one transaction: the event log and the typed tables, written idempotently.

The transaction (lt.db.batch_sql) is sent in pipeline mode: one round trip
a batch. A batch the database refuses because of its content (a data or
constraint error) is retried in halves until the offending rows are alone;
those go to `dead_letters` and every other row is committed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lt.db import batch_sql, rows
from lt.db.connect import Target, open_connection
from lt.db.rows import Item, Rejected, Stored
from lt.errors import ExitCode, LtError, redact

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("lt.store")

# SQLSTATE classes that blame the rows, not the server: data exception,
# integrity constraint violation, program limit exceeded (e.g. a tsvector too long).
_ROW_PROBLEM_CLASSES = ("22", "23", "54")


class Unavailable(Exception):
    """The server cannot be reached or went away; the batch may be retried as it is."""


@dataclass
class BatchResult:
    stored: int = 0
    new: int = 0
    dead_letters: int = 0
    transactions: int = 0
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


class BatchWriter:
    def __init__(self, target: Target, settings: WriterSettings, gate: TransactionGate):
        self.target = target
        self.settings = settings
        self.gate = gate
        self._conn: psycopg.Connection | None = None

    def open(self) -> None:
        """Connect (and migrate) now rather than on the first batch; Unavailable if the server is gone."""
        with self._translated_errors():
            self._connection()

    def write(self, items: Sequence[Item], result: BatchResult) -> None:
        """Commit `items` (retrying in halves around bad rows), counting into `result` as parts commit.

        Raises Unavailable if the server is gone (the whole batch may be written again), LtError
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
            raise Unavailable(redact(str(exc)).strip() or type(exc).__name__) from None
        except psycopg.Error as exc:
            self.close()
            raise LtError(
                f"the database refused a batch: {redact(str(exc)).strip()}",
                hint=f"check the schema and permissions of {self.target.masked()} (lt db migrate)",
                code=ExitCode.ERROR,
            ) from None

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
        from lt.db.schema import migrate

        if self._conn is None or self._conn.closed:
            conn = open_connection(self.target, connect_timeout=self.settings.connect_timeout)
            try:
                migrate(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _write_isolating(self, conn: psycopg.Connection, items: list[Item], result: BatchResult) -> None:
        import psycopg

        try:
            with self.gate.slot():
                with conn.pipeline(), conn.transaction():
                    counted = self._queue_transaction(conn, items)
                result.new += counted.fetchone()[0] if counted is not None else 0
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
            error = f"rejected by the database: {redact(str(exc)).strip()}"
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

    def _queue_transaction(self, conn: psycopg.Connection, items: list[Item]) -> psycopg.Cursor | None:
        """Queue the batch's statements; the cursor that will count the events new to the log."""
        stored = [i for i in items if isinstance(i, Stored)]
        rejected = [i for i in items if isinstance(i, Rejected)]
        counted = None
        with conn.cursor() as cur:
            if stored:
                counted = conn.execute(batch_sql.WRITE_BATCH, (rows.batch_document(stored),))
                sessions = sorted(filter(None, map(rows.session_row, stored)), key=lambda row: row[0])
                if sessions:
                    cur.executemany(batch_sql.UPSERT_SESSION, sessions)
                audio = {i.event.id: rows.audio_row(i) for i in stored if rows.is_audio(i)}
                if audio:
                    cur.executemany(batch_sql.UPSERT_AUDIO, [audio[k] for k in sorted(audio)])
            if rejected:
                source = self.settings.source
                cur.executemany(batch_sql.INSERT_DEAD_LETTER, [rows.dead_letter_row(r, source) for r in rejected])
        return counted


def _blames_rows(exc: BaseException) -> bool:
    import psycopg

    if isinstance(exc, (psycopg.DataError, psycopg.IntegrityError)):
        return True
    return (getattr(exc, "sqlstate", None) or "")[:2] in _ROW_PROBLEM_CLASSES
