"""Stamps of later stages join an event already stored (the overlay's first-frame trace)."""

import json

from db_fixtures import ndjson, stream


def _stamps(conn, session):
    return {
        event_id: body["t"]
        for event_id, body in conn.execute("SELECT id, body FROM events WHERE session = %s", (session,)).fetchall()
    }


def test_new_stage_stamps_are_added_and_nothing_else_changes(db_conn, run_lt, session_id):
    events = stream(session_id, 3)
    assert run_lt("store", input=ndjson(events)).code == 0
    before = _stamps(db_conn, session_id)
    finals = [e for e in events if e.get("final")]
    traced = [{**e, "text": "changed text is not taken", "t": {**e["t"], "transcribe": 1.0, "frame": 9e9}} for e in finals]

    result = run_lt("store", input=ndjson(traced))
    assert result.code == 0, result.stderr
    assert "0 new" in result.stderr
    after = _stamps(db_conn, session_id)
    for event in finals:
        assert after[event["id"]] == {**before[event["id"]], "frame": 9e9}, "earlier stamps must win"
    texts = {r[0] for r in db_conn.execute("SELECT body->>'text' FROM events WHERE session = %s", (session_id,))}
    assert "changed text is not taken" not in texts

    again = run_lt("store", input=ndjson(traced))
    assert again.code == 0 and _stamps(db_conn, session_id) == after


def test_status_shows_the_frame_hop(db_conn, run_lt, session_id):
    events = stream(session_id, 2)
    run_lt("store", input=ndjson(events))
    traced = [{**e, "t": {**e["t"], "frame": e["t"]["transcribe"] + 0.25}} for e in events if e.get("final")]
    run_lt("store", input=ndjson(traced))
    status = json.loads(run_lt("status", session_id, "--json").text)
    assert "frame" in json.dumps(status["latency"])
