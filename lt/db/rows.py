"""What `lt store` makes of each input line: an event to store, or a dead letter.

A good event keeps its input line as it came (UTF-8 bytes) as the body it is
stored with and spilled as; only events that change on the way in (audio
with inline bytes) or that came from a library caller without a line are
serialised again. A batch travels to the server as one JSON document
(`batch_document`) with those bodies spliced in, so nothing is encoded twice.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from lt.events import AnyEvent, AudioEvent, Event, SessionEvent
from lt.ndjson import RAW_KEEP, Line


# Bytes a held event costs beyond its encoded line (the parsed event, bookkeeping), so that many
# tiny events count for what they take too: tracemalloc measured about 1.5 KiB an event on
# bench/store_throughput.py's mix. A large event's parsed text costs about its encoded size again.
ITEM_OVERHEAD = 2048


@dataclass(frozen=True)
class Stored:
    """A good event and its body (JSON, UTF-8, no newline); `size` counts toward the buffer's byte bound."""

    line: int
    event: AnyEvent
    body: bytes
    timeline: tuple  # wall_time, audio_start, audio_end, seg, final
    audio: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.audio or b"") + ITEM_OVERHEAD

    def spilled(self) -> bytes:
        return self.body + b"\n"


@dataclass(frozen=True)
class Rejected:
    """Input that goes to dead_letters instead."""

    line: int
    error: str
    raw: str
    session: str | None = None
    event_id: str | None = None
    data: bytes = b""  # the whole line as it came, when it was kept

    @property
    def size(self) -> int:
        return len(self.data or self.raw.encode("utf-8", "replace")) + len(self.error) + ITEM_OVERHEAD

    def spilled(self) -> bytes:
        """The line again as it came, so a replay of the spill dead-letters it again (or stores a fixed one)."""
        data = self.data or self.raw.encode("utf-8", "replace")
        return data if data.endswith(b"\n") else data + b"\n"


Item = Stored | Rejected


def item_from_line(line: Line, *, last_session: str | None, audio_bytes: bool) -> Item:
    if line.event is None:
        return Rejected(line.number, line.error or "unreadable line", line.raw, session=last_session, data=line.data)
    event = line.event
    if not (isinstance(event.session, str) and event.session and isinstance(event.id, str) and event.id):
        return Rejected(
            line.number, f"{event.type}: an event needs a non-empty string 'session' and 'id' to be stored",
            line.raw, session=last_session, data=line.data,
        )
    audio = None
    if isinstance(event, AudioEvent) and event.data is not None:
        # The bytes live in audio_chunks.data (with --audio-bytes), never twice in the log.
        data = {k: v for k, v in event.to_dict().items() if k != "data"}
        if audio_bytes:
            try:
                audio = base64.b64decode(event.data, validate=True)
            except (binascii.Error, ValueError) as exc:
                return Rejected(
                    line.number, f"audio: field 'data' is not base64: {exc}", line.raw, event.session, event.id, line.data,
                )
        body = _serialised(data)
    elif line.data:
        body = line.data.rstrip(b"\r\n")
    else:
        body = _serialised(event.to_dict())
    return Stored(line.number, event, body, _timeline(event), audio)


def _serialised(data: dict[str, Any]) -> bytes:
    # ASCII with escapes: a lone surrogate reaches the server, which refuses that row (a dead letter).
    return json.dumps(data, separators=(",", ":")).encode()


def rejected_from_stored(item: Stored, error: str) -> Rejected:
    raw = item.body[:RAW_KEEP].decode("utf-8", "replace")
    return Rejected(item.line, error, raw, item.event.session, item.event.id, item.spilled())


def batch_document(items: list[Stored]) -> str:
    """The batch as the JSON array batch_sql.WRITE_BATCH reads, each body spliced in as it came."""
    return b"[" + b",".join(_event_record(n, item) for n, item in enumerate(items)) + b"]"


def _event_record(ord_: int, item: Stored) -> bytes:
    wall_time, audio_start, audio_end, seg, final = item.timeline
    event = item.event
    fields = {
        "ord": ord_, "id": event.id, "session": event.session, "type": event.type,
        "wall_time": wall_time, "audio_start": audio_start, "audio_end": audio_end, "seg": seg, "final": final,
    }
    # ASCII with escapes, as _serialised: an id with a lone surrogate is a row the server refuses.
    return json.dumps(fields)[:-1].encode() + b',"body":' + item.body + b"}"


def _timeline(event: AnyEvent) -> tuple:
    """The columns copied out of the body for timeline queries; None where the event has none."""
    if isinstance(event, Event):  # validated: finite floats, an int seg, a bool final, or None
        return (
            min(event.t.values()) if event.t else None, getattr(event, "start", None), getattr(event, "end", None),
            getattr(event, "seg", None), getattr(event, "final", None),
        )
    data = event.data  # an unknown type: whatever its fields hold
    t = data.get("t")
    stamps = [v for v in t.values() if _is_number(v)] if isinstance(t, dict) else []
    seg, final = data.get("seg"), data.get("final")
    return (
        _float(min(stamps)) if stamps else None, _float(data.get("start")), _float(data.get("end")),
        seg if _is_number(seg) and isinstance(seg, int) else None,
        final if isinstance(final, bool) else None,
    )


def audio_row(item: Stored) -> tuple:
    e: AudioEvent = item.event  # type: ignore[assignment]
    return (e.id, e.session, e.start, e.end, e.sha256, e.path, e.format, e.sample_rate, item.audio)


def is_audio(item: Item) -> bool:
    return isinstance(item, Stored) and isinstance(item.event, AudioEvent)


def session_row(item: Stored) -> tuple | None:
    """(session, started, ended, source, model, language) for a `session` event, else None."""
    e = item.event
    if not isinstance(e, SessionEvent):
        return None
    when = min(e.t.values()) if e.t else None
    return (
        e.session, when if e.kind == "start" else None, when if e.kind == "end" else None,
        e.source, e.model, e.language,
    )


def dead_letter_row(item: Rejected, source: str) -> tuple:
    raw = _clean(item.raw)
    # The same bad line of the same input again is the same dead letter, so re-runs add none.
    fingerprint = hashlib.sha256(
        "\x1f".join([source, str(item.line), item.session or "", raw]).encode("utf-8", "replace")
    ).hexdigest()
    return (fingerprint, source, item.line, _clean(item.session), _clean(item.event_id), _clean(item.error), raw)


def _clean(text: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL; binary garbage keeps its shape with U+FFFD instead."""
    return None if text is None else text.replace("\x00", "\ufffd")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _float(value: Any) -> float | None:
    if not _is_number(value):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer beyond any float: not a usable time
        return None
    return value if math.isfinite(value) else None
