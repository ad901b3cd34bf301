"""Bad input never stops lt store: every bad line ends in dead_letters, every good row is committed."""

from __future__ import annotations

import json

from db_fixtures import ndjson, stream


def _bad_lines(session: str) -> dict[str, bytes]:
    final = {
        "v": 1, "type": "transcript", "session": session, "seg": 900, "rev": 0, "start": 1.0, "end": 2.0,
        "text": "x", "final": True,
    }
    return {
        "malformed JSON": b'{"type": "transcript", "session": ',
        "wrong type": json.dumps({**final, "id": f"{session}-wrong", "seg": "nine"}).encode(),
        "missing start": json.dumps({k: v for k, v in {**final, "id": f"{session}-nostart"}.items() if k != "start"}).encode(),
        "10 MB line": b'{"text": "' + b"a" * (10 << 20) + b'"}',
        "binary garbage": bytes(b for b in range(256) if b != ord("\n")) * 4,
        "out of range (refused by the database)": json.dumps({**final, "id": f"{session}-huge", "seg": 2**40}).encode(),
        "NUL in text (refused by the database)": json.dumps({**final, "id": f"{session}-nul", "seg": 901, "text": "a\u0000b"}).encode(),
        "null t stamp": json.dumps({**final, "id": f"{session}-nullt", "t": {"transcribe": None}}).encode(),
        "unknown type without an id": json.dumps({"type": "note", "session": session}).encode(),
    }


def _mixed(session: str) -> tuple[bytes, list[dict], dict[str, bytes]]:
    good = stream(session, 6)
    bad = _bad_lines(session)
    lines = [json.dumps(e).encode() for e in good]
    for offset, raw in enumerate(bad.values()):
        lines.insert(2 + offset * 2, raw)
    return b"\n".join(lines) + b"\n", good, bad


def test_every_bad_line_is_dead_lettered_and_every_good_row_committed(db_conn, run_lt, session_id):
    data, good, bad = _mixed(session_id)
    result = run_lt("store", "--batch-size", "1000", input=data)
    assert result.code == 3, result.stderr
    stored_ids = {r[0] for r in db_conn.execute("SELECT id FROM events WHERE session = %s", (session_id,))}
    assert stored_ids == {e["id"] for e in good}
    letters = db_conn.execute(
        "SELECT line, error, raw, event_id FROM dead_letters WHERE session = %s ORDER BY line", (session_id,)
    ).fetchall()
    assert len(letters) == len(bad)
    errors = " | ".join(r[1] for r in letters)
    for expected in ("not valid JSON", "expected an integer", "missing field 'start'", "expected a number, got null",
                     "longer than the limit", "not UTF-8", "out of range for type integer", "needs a non-empty string"):
        assert expected in errors
    assert "cannot contain NUL" in errors or "unsupported Unicode escape" in errors
    assert all(len(r[2]) <= 1000 for r in letters)
    assert f"{len(bad)} dead letters" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_same_bad_input_again_adds_no_dead_letters(db_conn, run_lt, session_id):
    data, _, bad = _mixed(session_id)
    run_lt("store", input=data)
    run_lt("store", input=data)
    assert db_conn.execute("SELECT count(*) FROM dead_letters WHERE session = %s", (session_id,)).fetchone() == (len(bad),)


def test_null_and_missing_timestamps_are_stored_as_null(db_conn, run_lt, session_id):
    events = stream(session_id, 2)
    transcript = next(e for e in events if e["type"] == "transcript")
    transcript.update(start=None, end=None, t={})
    translation = next(e for e in events if e["type"] == "translation")
    del translation["start"], translation["end"]
    assert run_lt("store", input=ndjson(events)).code == 0
    rows = {r[0]: r[1:] for r in db_conn.execute(
        "SELECT id, audio_start, audio_end, wall_time IS NULL FROM events WHERE id = ANY(%s)",
        ([transcript["id"], translation["id"]],),
    )}
    assert rows == {transcript["id"]: (None, None, True), translation["id"]: (None, None, False)}


def test_on_bad_fail_stops_at_the_first_bad_line_after_storing_what_came_before(db_conn, run_lt, session_id):
    good = stream(session_id, 3)
    data = ndjson(good[:4]) + b"this is not json\n" + ndjson(good[4:])
    result = run_lt("store", "--on-bad", "fail", input=data)
    assert result.code == 3
    assert "input line 5: not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr
    stored = [r[0] for r in db_conn.execute("SELECT id FROM events WHERE session = %s ORDER BY seq", (session_id,))]
    assert stored == [e["id"] for e in good[:4]]


def test_on_bad_fail_stops_at_an_event_the_database_refuses(db_conn, run_lt, session_id):
    good = stream(session_id, 2)
    refused = {**good[1], "id": f"{session_id}-huge", "seg": 2**40}
    result = run_lt("store", "--on-bad", "fail", input=ndjson([good[0], refused, *good[1:]]))
    assert result.code == 3
    assert "input line 2: rejected by the database: " in result.stderr
    assert "out of range for type integer" in result.stderr
    assert "stored 1 events" in result.stderr
    stored = [r[0] for r in db_conn.execute("SELECT id FROM events WHERE session = %s ORDER BY seq", (session_id,))]
    assert stored == [good[0]["id"]]
