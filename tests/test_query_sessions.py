"""lt sessions and lt status, the report's queries, hostile strings in every field, and secrets."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from conftest import lt
from lt.db import queries
from lt.errors import ExitCode
from query_streams import final, fresh_session, json_lines, ndjson, recorded, store, translation

pytestmark = pytest.mark.slow

BAD_LINE = b"this line is not JSON\n"


@pytest.fixture(scope="module")
def meeting():
    """The recorded meeting, stored with one bad line at its end (a dead letter of the session)."""
    session = fresh_session("status")
    events = recorded(session)
    result = lt("store", input=ndjson(events) + BAD_LINE)
    assert result.code == ExitCode.REJECTED_INPUT, result.stderr
    return session, events


def finals_of(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "transcript" and e["final"]]


def audio_seconds(events: list[dict]) -> float:
    return max(e["end"] for e in finals_of(events))


def run_json(*args: str):
    result = lt(*args, "--json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_sessions_lists_counts_and_languages(meeting):
    session, events = meeting
    (row,) = [r for r in run_json("sessions", "--limit", "1000") if r["session"] == session]
    assert (row["finals"], row["translations"], row["dead_letters"]) == (10, 10, 1)
    assert row["languages"] == ["en", "pt"]
    assert row["model"] == "tiny.en" and row["audio_seconds"] == pytest.approx(audio_seconds(events))
    started = dt.datetime.fromisoformat(row["start"]).timestamp()
    assert started == pytest.approx(min(events[0]["t"].values()), abs=0.01)


def test_sessions_filter_by_day():
    session = fresh_session("day")
    noon = dt.datetime(2020, 1, 15, 12, 0).astimezone().timestamp()
    store([{
        "v": 1, "type": "session", "session": session, "id": f"{session}-start", "kind": "start",
        "stage": "transcribe", "t": {"transcribe": noon},
    }])

    def listed(*window: str) -> bool:
        return session in {r["session"] for r in run_json("sessions", *window, "--limit", "1000")}

    assert listed("--since", "2020-01-15", "--until", "2020-01-15")
    assert listed("--since", "2020-01-15T11:00", "--until", "2020-01-15T13:00")
    assert not listed("--until", "2020-01-14")
    assert not listed("--since", "yesterday")
    bad = lt("sessions", "--since", "last tuesday")
    assert bad.code == 1 and "cannot read 'last tuesday' as a date" in bad.stderr


def test_status_reports_progress_and_health(meeting):
    session, events = meeting
    status = run_json("status", session, "--gap", "0.3")
    assert status["ended"] is True and status["audio_seconds"] == pytest.approx(audio_seconds(events))
    counts = {c["type"]: (c["events"], c["final"]) for c in status["counts"]}
    for kind in ("transcript", "translation", "audio"):
        of_kind = [e for e in events if e["type"] == kind]
        assert counts[kind] == (len(of_kind), sum(bool(e.get("final")) for e in of_kind))
    finals = finals_of(events)
    gaps = [(a["seg"], b["seg"], b["start"] - a["end"]) for a, b in zip(finals, finals[1:]) if b["start"] - a["end"] > 0.3]
    assert gaps, "the recording has pauses between its sentences"
    assert [(g["after_seg"], g["before_seg"]) for g in status["gaps"]] == [(a, b) for a, b, _ in gaps]
    assert [g["seconds"] for g in status["gaps"]] == pytest.approx([seconds for _, _, seconds in gaps])
    assert status["dead_letters"] == 1 and status["recent_dead_letters"][0]["raw"] == BAD_LINE.decode().strip()
    hops = {h["hop"]: h for h in status["latency"]}
    assert set(hops) == {"transcribe", "translate", "total"} and hops["total"]["count"] == 10
    assert hops["total"]["p50"] <= hops["total"]["p95"] <= hops["total"]["max"]
    assert any("dead letter" in problem for problem in status["problems"])


def test_status_as_a_table(meeting):
    result = lt("status", meeting[0])
    assert result.code == 0, result.stderr
    assert meeting[0] in result.text and "latency (s)\tcaptions\tp50" in result.text


def test_status_of_a_missing_session():
    result = lt("status", "nope-" + uuid.uuid4().hex)
    assert result.code == 1 and "lt sessions" in result.stderr and result.stdout == b""


def test_the_report_queries(meeting, db_conn):
    session, events = meeting
    assert queries.session_events(db_conn, session) == events
    (letter,) = queries.dead_letters(db_conn, session)
    assert set(letter) == {"line", "error", "raw", "source", "received_at"}
    assert letter["line"] == len(events) + 1 and "not valid JSON" in letter["error"] and letter["source"] == "stdin"


HOSTILE = "x'; DROP TABLE events; --"


def test_sql_injection_in_every_text_field_is_stored_verbatim_and_harms_nothing(db_conn):
    session = f"{HOSTILE} {uuid.uuid4().hex[:8]}"
    nasty = "Robert'); DROP TABLE transcripts; -- \\x00 $$ %s %(q)s {0} <b>"
    events = [
        final(session, 0, f"budget {nasty}", start=0.0, end=2.0, lang=HOSTILE, speaker=nasty, flags=[nasty]),
        translation(session, 0, f"orçamento {nasty}", lang=HOSTILE, start=0.0, end=2.0, model=nasty),
        {"v": 1, "type": nasty, "session": session, "id": f"{HOSTILE}{session}", nasty: nasty},
    ]
    store(events)
    assert json_lines(lt("replay", session).stdout) == events
    assert lt("export", session, "--format", "txt").text == f"budget {nasty}\n"
    assert lt("export", session, "--format", "txt", "--lang", HOSTILE, "--model", nasty).text == f"orçamento {nasty}\n"
    (row,) = [r for r in run_json("sessions", "--limit", "1000") if r["session"] == session]
    assert row["languages"] == [HOSTILE]
    assert {h["text"] for h in run_json("search", "budget orçamento OR budget", "--session", session)} == {f"budget {nasty}"}
    assert run_json("status", session)["counts"]
    assert run_json("search", HOSTILE, "--session", session) is not None
    for table in ("events", "sessions", "transcripts", "translations", "dead_letters"):
        assert db_conn.execute(f"SELECT to_regclass('{table}')").fetchone()[0] is not None
    assert db_conn.execute("SELECT count(*) FROM events WHERE session = %s", (session,)).fetchone() == (3,)


def test_the_password_never_appears_in_any_output():
    for args in (("sessions",), ("status", "s"), ("replay", "s"), ("export", "s"), ("search", "q")):
        result = lt(*args, "--db", "postgresql://lt:hunter2-secret@127.0.0.1:9/lt")
        assert result.code == ExitCode.UNAVAILABLE, result.stderr
        assert "hunter2" not in result.stderr + result.text and "***" in result.stderr
