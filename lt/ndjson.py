"""The one NDJSON reader and the one writer that every stage uses.

The reader keeps line numbers, caps a line's length so a multi-megabyte line
or binary garbage cannot exhaust memory, and applies the bad-line policy:

- `fail`: stop with an error naming the line;
- `skip`: warn on stderr and go on;
- `emit`: pass an `error` event downstream in its place and go on.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lt.errors import ExitCode, LtError
from lt.events import AnyEvent, ErrorEvent, EventError, event_id, from_dict

DEFAULT_MAX_LINE = 1 << 20
RAW_KEEP = 1000  # bytes of a rejected line kept for error events and dead letters


class OnBad(str, enum.Enum):
    fail = "fail"
    skip = "skip"
    emit = "emit"


@dataclass(frozen=True)
class Line:
    """One input line: its event, or why it was rejected (and the start of the raw bytes)."""

    number: int
    event: AnyEvent | None
    error: str | None
    raw: str
    # The whole line as read, newline included (empty for a line over the length limit): the store
    # keeps it as the event's body and spills it as it came, instead of serialising the event again.
    data: bytes = b""


@dataclass
class ReadStats:
    lines: int = 0
    events: int = 0
    rejected: int = 0


def max_line_bytes() -> int:
    return int(os.environ.get("LT_MAX_LINE_BYTES", DEFAULT_MAX_LINE))


def read_lines(stream: BinaryIO, *, max_line: int | None = None, stats: ReadStats | None = None) -> Iterator[Line]:
    """Parse every line; never raises for bad input, only reports it in `Line.error`."""
    limit = max_line or max_line_bytes()
    stats = stats if stats is not None else ReadStats()
    number = 0
    while True:
        chunk = stream.readline(limit + 1)
        if not chunk:
            return
        number += 1
        stats.lines += 1
        if len(chunk) > limit and not chunk.endswith(b"\n"):
            size = len(chunk) + _discard_rest_of_line(stream, limit)
            stats.rejected += 1
            yield Line(number, None, f"line is {size} bytes, longer than the limit of {limit} (LT_MAX_LINE_BYTES)", _keep(chunk))
            continue
        if not chunk.strip():
            continue
        line = _parse(number, chunk)
        if line.event is None:
            stats.rejected += 1
        else:
            stats.events += 1
        yield line


def _discard_rest_of_line(stream: BinaryIO, limit: int) -> int:
    skipped = 0
    while True:
        piece = stream.readline(limit)
        skipped += len(piece)
        if not piece or piece.endswith(b"\n"):
            return skipped


def _keep(chunk: bytes) -> str:
    return chunk[:RAW_KEEP].decode("utf-8", errors="replace").rstrip("\r\n")


def _parse(number: int, chunk: bytes) -> Line:
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Line(number, None, f"not UTF-8 text (byte {exc.start})", _keep(chunk), chunk)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Line(number, None, f"not valid JSON: {exc.msg} at column {exc.colno}", _keep(chunk), chunk)
    except RecursionError:
        return Line(number, None, "not valid JSON: nested too deeply", _keep(chunk), chunk)
    try:
        return Line(number, from_dict(data), None, _keep(chunk), chunk)
    except EventError as exc:
        return Line(number, None, str(exc), _keep(chunk), chunk)


def read_events(
    stream: BinaryIO,
    *,
    stage: str,
    on_bad: OnBad = OnBad.emit,
    stats: ReadStats | None = None,
    max_line: int | None = None,
) -> Iterator[AnyEvent]:
    """Good events, with bad lines handled by the policy (an ErrorEvent in their place for `emit`)."""
    log = logging.getLogger(f"lt.{stage}")
    session = "unknown"
    for line in read_lines(stream, max_line=max_line, stats=stats):
        if line.event is not None:
            session = line.event.session or session
            yield line.event
            continue
        if on_bad is OnBad.fail:
            raise LtError(
                f"input line {line.number}: {line.error}",
                hint="fix the input, or use --on-bad skip|emit to carry on past bad lines",
                code=ExitCode.ERROR,
            )
        if on_bad is OnBad.skip:
            log.warning("skipped input line %d: %s", line.number, line.error)
            continue
        log.warning("input line %d: %s (passed on as an error event)", line.number, line.error)
        yield bad_line_event(line, stage=stage, session=session)


def bad_line_event(line: Line, *, stage: str, session: str) -> ErrorEvent:
    return ErrorEvent(
        session=session,
        id=event_id(session, "error", stage, "line", line.number),
        stage=stage,
        message=f"input line {line.number}: {line.error}",
        line=line.number,
        raw=line.raw,
    ).stamped(stage)


def rejected_exit_code(stats: ReadStats) -> int:
    return ExitCode.REJECTED_INPUT if stats.rejected else ExitCode.OK


class EventWriter:
    """Writes one event per line and flushes it, so the next stage sees it at once."""

    def __init__(self, stream: BinaryIO | None = None):
        self.stream = stream if stream is not None else sys.stdout.buffer
        self.count = 0

    def write(self, event: AnyEvent) -> None:
        self.stream.write(json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        self.stream.flush()
        self.count += 1

    def write_all(self, events: Iterable[AnyEvent]) -> None:
        for event in events:
            self.write(event)
