"""History and checker: what went into a stage against what came out (the database, spill files, a stream).

Record what went in, then compare it with what was kept:

    history = History()
    history.add_lines(lines_the_feeder_wrote)        # bytes or str NDJSON lines; bad lines are noted apart
    ...
    report = check(history, db_conn)                 # every session of the history, read from `events`
    assert_kept(history, db_conn, files=[spill])     # or: raise with a message naming what went wrong

The report names events lost (sent, found nowhere), duplicated (found more
than once in one place, e.g. a stream or a spill file), changed (a body that
differs from what was sent), and unexpected (found in the history's sessions,
never sent). Bodies compare as JSON values; by default stages may add stamps
to `t` (t.store, an overlay's trace) but not change or drop the ones sent, and
`data` of audio events is not compared (the store keeps it apart).

`unread_tail=True` is for a stage stopped mid-input (a signal, a kill):
lines the stage never read are not its loss, so the sent events after the
last one found anywhere count as `unread`, not lost; anything missing before
that point is still lost.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IGNORED_FIELDS = ("data",)


@dataclass
class History:
    """What was sent, in order: each event's id and body, plus the lines that were not events."""

    events: dict[str, dict] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    bad: list[tuple[int, bytes]] = field(default_factory=list)  # (1-based line number, raw line)
    resent: Counter = field(default_factory=Counter)  # ids sent more than once (allowed: replays)
    lines: int = 0

    def add(self, event: dict) -> None:
        event_id = event["id"]
        if event_id in self.events:
            self.resent[event_id] += 1
            return
        self.events[event_id] = event
        self.order.append(event_id)

    def add_line(self, line: bytes | str) -> None:
        raw = line.encode() if isinstance(line, str) else line
        self.lines += 1
        if not raw.strip():
            return
        event = _event_or_none(raw)
        if event is None:
            self.bad.append((self.lines, raw))
        else:
            self.add(event)

    def add_lines(self, lines: Iterable[bytes | str]) -> History:
        for line in lines:
            self.add_line(line)
        return self

    @classmethod
    def of(cls, events: Iterable[dict] = (), lines: Iterable[bytes | str] = ()) -> History:
        history = cls()
        for event in events:
            history.add(event)
        return history.add_lines(lines)

    @property
    def sessions(self) -> list[str]:
        return sorted({e["session"] for e in self.events.values() if isinstance(e.get("session"), str)})

    def __len__(self) -> int:
        return len(self.order)


@dataclass
class Report:
    sent: int
    found: int
    lost: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    duplicated: dict[str, int] = field(default_factory=dict)  # "place: id" -> times found there
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # id -> (sent, found)
    unexpected: list[str] = field(default_factory=list)
    where: dict[str, int] = field(default_factory=dict)  # place -> distinct ids of the history found there

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.changed or self.unexpected)

    def __str__(self) -> str:
        places = ", ".join(f"{n} in {p}" for p, n in self.where.items()) or "nowhere"
        parts = [f"sent {self.sent}, found {self.found} ({places})"]
        for name, items in (("lost", self.lost), ("unread (after the last found)", self.unread),
                            ("duplicated", list(self.duplicated)), ("changed", list(self.changed)),
                            ("unexpected", self.unexpected)):
            if items:
                parts.append(f"{len(items)} {name}: {_sample(items)}")
        for event_id, (sent, found) in list(self.changed.items())[:3]:
            parts.append(f"{event_id} sent {_short(sent)} found {_short(found)}")
        return "; ".join(parts)


def stored_events(conn, sessions: Iterable[str]) -> list[tuple[str, dict]]:
    """(id, body) of every event of `sessions` in the database's `events` log, in arrival order."""
    rows = conn.execute(
        "SELECT id, body FROM events WHERE session = ANY(%s) ORDER BY seq", (list(sessions),)
    ).fetchall()
    return [(event_id, body) for event_id, body in rows]


def file_events(path: Path | str) -> list[tuple[str, dict]]:
    """(id, body) of each event line of an NDJSON file (a spill, a --tee capture); other lines skipped."""
    return stream_events(Path(path).read_bytes().splitlines())


def stream_events(lines: Iterable[bytes | str]) -> list[tuple[str, dict]]:
    found = []
    for line in lines:
        raw = line.encode() if isinstance(line, str) else line
        event = _event_or_none(raw)
        if event is not None:
            found.append((event["id"], event))
    return found


def check(
    history: History,
    conn=None,
    *,
    files: Iterable[Path | str] = (),
    found: dict[str, list[tuple[str, dict]]] | None = None,
    unread_tail: bool = False,
    compare_bodies: bool = True,
    extra_stamps: bool = True,
    ignore: tuple[str, ...] = IGNORED_FIELDS,
) -> Report:
    """Compare `history` with the database (`conn`: a psycopg connection or URL), files and other places.

    `found` adds places of your own: name -> [(id, body)]. An id may be in several places (stored and
    also spilled is not a loss); found twice in one place is a duplicate.
    """
    places: dict[str, list[tuple[str, dict]]] = dict(found or {})
    if conn is not None:
        places["database"] = _from_database(conn, history.sessions)
    for path in files:
        if Path(path).exists():
            places[str(path)] = file_events(path)
    sessions = set(history.sessions)
    report = Report(sent=len(history), found=0)
    seen: dict[str, dict] = {}
    for place, items in places.items():
        counts = Counter(event_id for event_id, _ in items)
        report.duplicated.update({f"{place}: {i}": n for i, n in counts.items() if n > 1 and i in history.events})
        report.where[place] = sum(1 for i in counts if i in history.events)
        for event_id, body in items:
            if event_id not in history.events:
                if place == "database" or body.get("session") in sessions:
                    report.unexpected.append(f"{place}: {event_id}")
                continue
            seen.setdefault(event_id, body)
            if compare_bodies and not _same(history.events[event_id], body, extra_stamps, ignore):
                report.changed[event_id] = (history.events[event_id], body)
    report.found = len(seen)
    missing = [i for i in history.order if i not in seen]
    if unread_tail:
        last = max((n for n, i in enumerate(history.order) if i in seen), default=-1)
        report.lost = [i for i in history.order[: last + 1] if i not in seen]
        report.unread = history.order[last + 1:]
    else:
        report.lost = missing
    return report


def assert_kept(history: History, conn=None, **options) -> Report:
    """check(), raising AssertionError with the report when anything was lost, duplicated, changed or unexpected."""
    report = check(history, conn, **options)
    assert report.ok, f"history check failed: {report}"
    return report


def _from_database(conn, sessions: list[str]) -> list[tuple[str, dict]]:
    if isinstance(conn, str):
        import psycopg

        with psycopg.connect(conn) as own:
            return stored_events(own, sessions)
    return stored_events(conn, sessions)


def _event_or_none(raw: bytes) -> dict | None:
    try:
        event = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if isinstance(event, dict) and isinstance(event.get("id"), str) and event["id"]:
        return event
    return None


def _same(sent: dict, found: dict, extra_stamps: bool, ignore: tuple[str, ...]) -> bool:
    a = {k: v for k, v in sent.items() if k not in ignore}
    b = {k: v for k, v in found.items() if k not in ignore}
    if extra_stamps and isinstance(a.get("t"), dict) and isinstance(b.get("t"), dict):
        b["t"] = {k: v for k, v in b["t"].items() if k in a["t"]}
    elif extra_stamps and "t" not in a and isinstance(b.get("t"), dict):
        b.pop("t")
    return a == b


def _sample(items: list[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (f", … ({len(items) - n} more)" if len(items) > n else "")


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "…"
