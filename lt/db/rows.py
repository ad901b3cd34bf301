"""What `lt store` makes of each input line: an event to store, or a dead letter."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from lt.events import AnyEvent, AudioEvent, SessionEvent
from lt.ndjson import RAW_KEEP, Line


@dataclass(frozen=True)
class Stored:
    """A good event, serialised once on arrival; `size` counts toward the buffer's byte bound."""

    line: int
    event: AnyEvent
    body: str
    timeline: tuple  # wall_time, audio_start, audio_end, seg, final
    audio: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.audio or b"")


@dataclass(frozen=True)
class Rejected:
    """Input that goes to dead_letters instead."""

    line: int
    error: str
    raw: str
    session: str | None = None
    event_id: str | None = None

    @property
    def size(self) -> int:
        return len(self.raw) + len(self.error)


Item = Stored | Rejected


def item_from_line(line: Line, *, last_session: str | None, audio_bytes: bool) -> Item:
    if line.event is None:
        return Rejected(line.number, line.error or "unreadable line", line.raw, session=last_session)
    event = line.event
    if not (isinstance(event.session, str) and event.session and isinstance(event.id, str) and event.id):
        return Rejected(
            line.number, f"{event.type}: an event needs a non-empty string 'session' and 'id' to be stored",
            line.raw, session=last_session,
        )
    data = event.to_dict()
    audio = None
    if isinstance(event, AudioEvent) and event.data is not None:
        # The bytes live in audio_chunks.data (with --audio-bytes), never twice in the log.
        data = {k: v for k, v in data.items() if k != "data"}
        if audio_bytes:
            try:
                audio = base64.b64decode(event.data, validate=True)
            except (binascii.Error, ValueError) as exc:
                return Rejected(line.number, f"audio: field 'data' is not base64: {exc}", line.raw, event.session, event.id)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Stored(line.number, event, body, _timeline(data), audio)


def rejected_from_stored(item: Stored, error: str) -> Rejected:
    return Rejected(item.line, error, item.body[:RAW_KEEP], item.event.session, item.event.id)


def batch_document(items: list[Stored]) -> str:
    """The batch as the JSON array batch_sql.WRITE_BATCH reads, each body spliced in as it was serialised."""
    return "[" + ",".join(_event_record(n, item) for n, item in enumerate(items)) + "]"


def _event_record(ord_: int, item: Stored) -> str:
    wall_time, audio_start, audio_end, seg, final = item.timeline
    fields = {
        "ord": ord_, "id": item.event.id, "session": item.event.session, "type": item.event.type,
        "wall_time": wall_time, "audio_start": audio_start, "audio_end": audio_end, "seg": seg, "final": final,
    }
    return json.dumps(fields, ensure_ascii=False)[:-1] + ',"body":' + item.body + "}"


def _timeline(data: dict[str, Any]) -> tuple:
    """The columns copied out of the body for timeline queries; None where the event has none."""
    t = data.get("t")
    stamps = [v for v in t.values() if _is_number(v)] if isinstance(t, dict) else []
    seg, final = data.get("seg"), data.get("final")
    return (
        min(stamps) if stamps else None, _number(data, "start"), _number(data, "end"),
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


def _number(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if not _is_number(value):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float: not a usable time
        return None
