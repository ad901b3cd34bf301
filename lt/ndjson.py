"""The one NDJSON reader and the one writer that every stage uses.

The reader keeps line numbers, caps a line's length so a multi-megabyte line
or binary garbage cannot exhaust memory, refuses values that parse but that no
later stage could write or store (see `_parse`), ends its input when Ctrl-C or
SIGTERM asks the stage to finish (lt.shutdown), and applies the one bad-line
policy (`BadLines`):

- `fail`: stop with an error naming the line (exit code 3);
- `skip`: warn on stderr and go on;
- `emit`: keep the line as an error: an `error` event downstream in its place
  (the store: a dead letter) and go on.
"""

from __future__ import annotations

import enum
import io
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lt import shutdown
from lt.errors import ExitCode, LtError
from lt.events import AnyEvent, ErrorEvent, Event, EventError, event_id, from_dict

DEFAULT_MAX_LINE = 1 << 20
RAW_KEEP = 1000  # bytes of a rejected line kept for error events and dead letters
CHUNK_BYTES = io.DEFAULT_BUFFER_SIZE  # what a buffered stdin held: no more read ahead of the stage than before


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


def read_lines(
    stream: BinaryIO,
    *,
    max_line: int | None = None,
    stats: ReadStats | None = None,
    decode: Callable[[bytes], Event | None] | None = None,
) -> Iterator[Line]:
    """Parse every line; never raises for bad input, only reports it in `Line.error`.

    A line longer than the limit is counted and rejected, but never held: only its first
    RAW_KEEP bytes are kept. The input ends early when a signal asks the stage to finish
    (lt.shutdown). `decode`, a faster parser, may decide a line first (the event, or None
    to leave it to this one's rules and messages)."""
    limit = max_line or max_line_bytes()
    stats = stats if stats is not None else ReadStats()
    for number, (head, size) in enumerate(_split(_chunks(stream), limit), start=1):
        stats.lines += 1
        if size > limit:
            stats.rejected += 1
            yield Line(number, None, f"line is {size} bytes, longer than the limit of {limit} (LT_MAX_LINE_BYTES)", _keep(head))
            continue
        if not head.strip():
            continue
        event = decode(head) if decode is not None else None
        line = Line(number, event, None, _keep(head), head) if event is not None else _parse(number, head)
        if line.event is None:
            stats.rejected += 1
        else:
            stats.events += 1
        yield line


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The input as it arrives. A real file or pipe is read with os.read on its descriptor
    (nothing may have been read through `stream` before), waiting in lt.shutdown's select."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk
        return
    shutdown.finish_on_signal()
    while shutdown.wait_readable(fd):
        chunk = os.read(fd, CHUNK_BYTES)
        if not chunk:
            return
        yield chunk


def _split(chunks: Iterable[bytes], limit: int) -> Iterator[tuple[bytes, int]]:
    """(the line with its newline, or its first RAW_KEEP bytes when it is over `limit`; its size
    without the newline)."""
    line = bytearray()
    size = 0
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            size = _grow(line, size, chunk, start, end + 1, limit + 1)
            yield bytes(line), size - 1
            line.clear()
            size = 0
            start = end + 1
        size = _grow(line, size, chunk, start, len(chunk), limit + 1)
    if size:
        yield bytes(line), size


def _grow(line: bytearray, size: int, chunk: bytes, start: int, end: int, limit: int) -> int:
    if size <= limit:
        line += chunk[start:end]
        if len(line) > limit:
            del line[RAW_KEEP:]
    return size + end - start


def _keep(chunk: bytes) -> str:
    return chunk[:RAW_KEEP].decode("utf-8", errors="replace").rstrip("\r\n")


def _parse(number: int, chunk: bytes) -> Line:
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Line(number, None, f"not UTF-8 text (byte {exc.start})", _keep(chunk), chunk)
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        return Line(number, None, "not valid JSON: nested too deeply", _keep(chunk), chunk)
    except json.JSONDecodeError as exc:
        return Line(number, None, f"not valid JSON: {exc.msg} at column {exc.colno}", _keep(chunk), chunk)
    except ValueError as exc:  # Python's limit on the digits of an integer, or NaN/Infinity
        reason = "an integer of more than 4,300 digits" if "digits" in str(exc) else str(exc)
        return Line(number, None, f"not valid JSON: {reason}", _keep(chunk), chunk)
    try:
        _check_text(data, text)
        return Line(number, from_dict(data), None, _keep(chunk), chunk)
    except EventError as exc:
        return Line(number, None, str(exc), _keep(chunk), chunk)
    except RecursionError:
        return Line(number, None, "not valid JSON: nested too deeply", _keep(chunk), chunk)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_text(data: object, text: str) -> None:
    """Refuse a lone UTF-16 surrogate (`\\ud800`): it decodes, but has no UTF-8 form to write
    on or store. Looked for only when the line has such an escape, so other lines cost nothing."""
    if _SURROGATE_ESCAPE.search(text):
        _find_surrogates(data)


def _find_surrogates(value: object) -> None:
    if isinstance(value, str):
        if _SURROGATE.search(value):
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise EventError(f"a lone surrogate in {shown!r} is not Unicode text")
    elif isinstance(value, dict):
        for key, item in value.items():
            _find_surrogates(key)
            _find_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _find_surrogates(item)


class BadLines:
    """The one bad-line policy, for every stage that reads events.

    `check` takes each line as read: a good line comes back as it is; a bad one
    stops the input under `fail` (LtError naming the line, exit code 3), is
    dropped with a warning under `skip`, or comes back under `emit` for the
    stage to keep in its own way: `read_events` passes an error event on in
    its place, the store writes it to dead letters."""

    def __init__(self, on_bad: OnBad, stage: str, kept_as: str = "passed on as an error event"):
        self.on_bad = on_bad
        self.log = logging.getLogger(f"lt.{stage}")
        self.kept_as = kept_as
        self.rejected = 0

    def check(self, line: Line) -> Line | None:
        if line.event is not None:
            return line
        self.rejected += 1
        if self.on_bad is OnBad.fail:
            raise LtError(
                f"input line {line.number}: {line.error}",
                hint="fix the input, or use --on-bad skip|emit to carry on past bad lines",
                code=ExitCode.REJECTED_INPUT,
            )
        if self.on_bad is OnBad.skip:
            self.log.warning("skipped input line %d: %s", line.number, line.error)
            return None
        self.log.warning("input line %d: %s (%s)", line.number, line.error, self.kept_as)
        return line


def read_events(
    stream: BinaryIO,
    *,
    stage: str,
    on_bad: OnBad = OnBad.emit,
    stats: ReadStats | None = None,
    max_line: int | None = None,
) -> Iterator[AnyEvent]:
    """Good events, with bad lines handled by the policy (an ErrorEvent in their place for `emit`)."""
    policy = BadLines(on_bad, stage)
    session = "unknown"
    for line in read_lines(stream, max_line=max_line, stats=stats):
        line = policy.check(line)
        if line is None:
            continue
        if line.event is None:
            yield bad_line_event(line, stage=stage, session=session)
            continue
        session = line.event.session or session
        yield line.event


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
