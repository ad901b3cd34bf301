"""One batch, one transaction: the event log and the typed tables, written idempotently.

Each table gets one `INSERT ... SELECT FROM jsonb_to_recordset(batch)
ON CONFLICT` statement per batch (one JSON document is far cheaper to send
and parse than an array parameter per column), and the whole transaction is
sent in pipeline mode: one round trip per batch. The log ignores an event id it already holds, the typed
tables keep the latest revision per natural key, so writing a batch twice
changes nothing, which is what makes retries and re-runs safe.

A batch the database refuses because of its content (a data or constraint
error) is retried in halves until the offending rows are alone; those go to
`dead_letters` and every other row is committed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lt.db import rows
from lt.db.connect import Target, open_connection
from lt.db.rows import Item, Rejected, Stored
from lt.errors import ExitCode, LtError, redact

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("lt.store")

# SQLSTATE classes that blame the rows, not the server: data exception,
# integrity constraint violation, program limit exceeded (e.g. a tsvector too long).
_ROW_PROBLEM_CLASSES = ("22", "23", "54")

def _records(columns: dict[str, str]) -> str:
    return f"jsonb_to_recordset(%s::jsonb) AS r({', '.join(f'{name} {sql_type}' for name, sql_type in columns.items())})"


_EVENT_FIELDS = [c for c in rows.EVENT_COLUMNS if c != "ord"]

# The log ignores ids it holds; sessions note arrival only for events that were new,
# so writing a batch again leaves every row as it was.
_INSERT_EVENTS = f"""
WITH new AS (
    INSERT INTO events ({", ".join(_EVENT_FIELDS)})
    SELECT {", ".join(_EVENT_FIELDS)} FROM {_records(rows.EVENT_COLUMNS)} ORDER BY ord
    ON CONFLICT (id) DO NOTHING
    RETURNING session
), touched AS (
    INSERT INTO sessions AS s (session, first_received, last_received)
    SELECT session, now(), now() FROM new GROUP BY session
    ON CONFLICT (session) DO UPDATE SET last_received = excluded.last_received
)
SELECT count(*) FROM new
"""

_UPSERT_SESSION = """
INSERT INTO sessions AS s (session, first_received, last_received, started_at, ended_at, source, model, language)
VALUES (%s, now(), now(), to_timestamp(%s), to_timestamp(%s), %s, %s, %s)
ON CONFLICT (session) DO UPDATE SET
    started_at = least(s.started_at, excluded.started_at),
    ended_at = greatest(s.ended_at, excluded.ended_at),
    source = coalesce(s.source, excluded.source),
    model = coalesce(s.model, excluded.model),
    language = coalesce(s.language, excluded.language)
"""

_UPSERT_AUDIO = f"""
INSERT INTO audio_chunks AS a ({", ".join(rows.AUDIO_COLUMNS)})
VALUES ({", ".join(["%s"] * len(rows.AUDIO_COLUMNS))})
ON CONFLICT (event_id) DO UPDATE SET data = coalesce(a.data, excluded.data)
"""

_INSERT_DEAD_LETTER = """
INSERT INTO dead_letters (fingerprint, source, line, session, event_id, error, raw)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (fingerprint) DO NOTHING
"""


def _upsert_sql(table: str, columns: dict[str, str], key: Sequence[str]) -> str:
    cols = ", ".join(columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    # A later revision wins; the same revision again is a no-op, so re-runs rewrite nothing.
    return (
        f"INSERT INTO {table} AS x ({cols}) SELECT {cols} FROM {_records(columns)} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}, received_at = now() "
        "WHERE x.rev < excluded.rev OR (x.rev = excluded.rev AND x.event_id <> excluded.event_id)"
    )


_UPSERT_TRANSCRIPTS = _upsert_sql("transcripts", rows.TRANSCRIPT_COLUMNS, ("session", "seg"))
_UPSERT_TRANSLATIONS = _upsert_sql(
    "translations", rows.TRANSLATION_COLUMNS, ("session", "seg", "target_lang", "model")
)


class Unavailable(Exception):
    """The server cannot be reached or went away; the batch may be retried as it is."""


@dataclass
class BatchResult:
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

    def write(self, items: Sequence[Item]) -> BatchResult:
        """Commit `items` (retrying in halves around bad rows); Unavailable if the server is gone."""
        import psycopg

        result = BatchResult()
        try:
            self._write_isolating(self._connection(), list(items), result)
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
        return result

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
        if stored:
            records = "[" + ",".join(rows.event_record(n, i) for n, i in enumerate(stored)) + "]"
            counted = conn.execute(_INSERT_EVENTS, (records,))
            with conn.cursor() as cur:
                self._write_typed(cur, stored)
        if rejected:
            source = self.settings.source
            with conn.cursor() as cur:
                cur.executemany(_INSERT_DEAD_LETTER, [rows.dead_letter_row(r, source) for r in rejected])
        return counted

    def _write_typed(self, cur: psycopg.Cursor, stored: list[Stored]) -> None:
        transcripts = _latest(filter(rows.is_final_transcript, stored), rows.transcript_key)
        if transcripts:
            cur.execute(_UPSERT_TRANSCRIPTS, (_json(map(rows.transcript_record, transcripts)),))
        translations = _latest(filter(rows.is_final_translation, stored), rows.translation_key)
        if translations:
            cur.execute(_UPSERT_TRANSLATIONS, (_json(map(rows.translation_record, translations)),))
        sessions = sorted(filter(None, map(rows.session_row, stored)), key=lambda row: row[0])
        if sessions:
            cur.executemany(_UPSERT_SESSION, sessions)
        audio = {i.event.id: rows.audio_row(i) for i in stored if rows.is_audio(i)}
        if audio:
            cur.executemany(_UPSERT_AUDIO, [audio[k] for k in sorted(audio)])


def _json(records) -> str:
    return json.dumps(list(records), ensure_ascii=False)


def _latest(items, key: Callable[[Stored], tuple]) -> list[Stored]:
    """One item per natural key, the highest revision (the later one on a tie); sorted for a stable lock order."""
    chosen: dict[tuple, Stored] = {}
    for item in items:
        k = key(item)
        if k not in chosen or item.event.rev >= chosen[k].event.rev:  # type: ignore[union-attr]
            chosen[k] = item
    return [chosen[k] for k in sorted(chosen)]


def _blames_rows(exc: BaseException) -> bool:
    import psycopg

    if isinstance(exc, (psycopg.DataError, psycopg.IntegrityError)):
        return True
    return (getattr(exc, "sqlstate", None) or "")[:2] in _ROW_PROBLEM_CLASSES
