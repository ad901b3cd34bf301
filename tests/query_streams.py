"""Event streams for the query-side tests, stored the way users store them: piped into `lt store`.

tests/data/meeting-stream.ndjson was recorded from
`lt capture examples/meeting.wav | lt transcribe --model tiny.en --mode stream --keep-audio /tmp/qaudio | lt translate --to pt`.
Tests share one database, so each stores its own copy under a fresh session id.
"""

from __future__ import annotations

import json
import uuid

from conftest import DATA, lt
from lt.events import event_id, from_dict

RECORDED = DATA / "meeting-stream.ndjson"


def fresh_session(prefix: str = "q") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def recorded(session: str) -> list[dict]:
    """The recorded meeting stream, moved to `session` (ids derived anew, so copies never collide)."""
    return [renamed(json.loads(line), session) for line in RECORDED.read_text().splitlines() if line.strip()]


def renamed(event: dict, session: str) -> dict:
    return {**event, "session": session, "id": event_id(session, "copy", event["id"])}


def ndjson(events: list[dict]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events).encode()


def store(events: list[dict], *args: str) -> None:
    result = lt("store", *args, input=ndjson(events))
    assert result.code == 0, result.stderr


def final(session: str, seg: int, text: str, *, start: float | None, end: float | None, lang: str | None = "en", **extra) -> dict:
    """A final transcript in the form the stages write it (every field present)."""
    return as_written({
        "v": 1, "type": "transcript", "session": session, "id": event_id(session, "transcript", seg), "seg": seg,
        "rev": 0, "start": start, "end": end, "text": text, "lang": lang, "final": True, "t": {}, **extra,
    })


def translation(session: str, seg: int, text: str, *, lang: str, start: float | None, end: float | None, model: str = "m1") -> dict:
    return as_written({
        "v": 1, "type": "translation", "session": session, "id": event_id(session, "translation", seg, lang, model),
        "seg": seg, "source_lang": "en", "target_lang": lang, "text": text, "source_text": "", "engine": "test",
        "model": model, "final": True, "start": start, "end": end, "t": {},
    })


def as_written(event: dict) -> dict:
    return from_dict(event).to_dict()


def json_lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]
