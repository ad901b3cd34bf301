"""lt store: a stream goes in, the same events come back out of the log; typed tables; idempotency."""

from __future__ import annotations

import io
import json
import threading

from db_fixtures import ndjson, stream

from lt.db.store import Store, StoreSettings, StoreStats
from lt.db.writer import TransactionGate
from lt.ndjson import read_lines


def _bodies(conn, session: str) -> list[dict]:
    return [r[0] for r in conn.execute("SELECT body FROM events WHERE session = %s ORDER BY seq", (session,))]


def test_round_trip_keeps_every_event_in_order(db_conn, run_lt, session_id):
    events = stream(session_id, 20, targets=("pt", "es"))
    result = run_lt("store", input=ndjson(events))
    assert result.code == 0, result.stderr
    assert result.stdout == b""
    assert f"stored {len(events)} events ({len(events)} new, 0 already stored)" in result.stderr
    assert _bodies(db_conn, session_id) == events


def test_typed_tables_hold_finals_and_the_session(db_conn, run_lt, session_id):
    assert run_lt("store", input=ndjson(stream(session_id, 5, targets=("pt", "es")))).code == 0
    transcripts = db_conn.execute(
        "SELECT seg, rev, text, lang, words, flags, speaker FROM transcripts WHERE session = %s ORDER BY seg",
        (session_id,),
    ).fetchall()
    assert [(r[0], r[1]) for r in transcripts] == [(seg, 1) for seg in range(5)]
    assert transcripts[0][2:] == (
        "the runners were running quickly in segment 0", "en",
        [{"w": "the", "start": 0.0, "end": 0.2, "p": 0.9}], [], None,
    )
    (translations,) = db_conn.execute(
        "SELECT count(*) FROM translations WHERE session = %s AND model = 'bergamot-en-pt'", (session_id,)
    ).fetchone()
    assert translations == 10
    session = db_conn.execute(
        "SELECT source, model, language, started_at IS NOT NULL, ended_at > started_at FROM sessions WHERE session = %s",
        (session_id,),
    ).fetchone()
    assert session == ("meeting.wav", "tiny.en", "en", True, True)


def test_tee_passes_on_committed_events_stamped_with_the_commit_time(db_conn, run_lt, session_id):
    events = stream(session_id, 3)
    result = run_lt("store", "--tee", input=ndjson(events))
    assert result.code == 0, result.stderr
    out = [json.loads(line) for line in result.lines()]
    assert [{**e, "t": {k: v for k, v in e["t"].items() if k != "store"}} for e in out] == events
    (received,) = db_conn.execute("SELECT extract(epoch FROM max(received_at)) FROM events WHERE session = %s", (session_id,)).fetchone()
    assert all(e["t"]["store"] >= float(received) for e in out)


def test_the_same_stream_twice_changes_nothing(db_conn, run_lt, session_id):
    data = ndjson(stream(session_id, 10))

    def snapshot():
        return [
            db_conn.execute(f"SELECT * FROM {table} WHERE session = %s ORDER BY 1, 2, 3", (session_id,)).fetchall()
            for table in ("events", "transcripts", "translations", "sessions")
        ]

    assert run_lt("store", input=data).code == 0
    before = snapshot()
    second = run_lt("store", input=data)
    assert second.code == 0
    assert "(0 new," in second.stderr
    assert snapshot() == before


def test_a_later_revision_wins_and_an_older_one_does_not_undo_it(db_conn, run_lt, session_id):
    final = next(e for e in stream(session_id, 1) if e["type"] == "transcript" and e["final"])
    revised = {**final, "id": final["id"] + "-r2", "rev": 2, "text": "revised text"}
    assert run_lt("store", input=ndjson([final, revised])).code == 0
    assert run_lt("store", input=ndjson([final])).code == 0
    assert db_conn.execute(
        "SELECT rev, text FROM transcripts WHERE session = %s", (session_id,)
    ).fetchone() == (2, "revised text")


def test_writers_in_one_process_share_the_transaction_bound(db_conn, db_target, session_id):
    gate = TransactionGate(1)
    sessions = [f"{session_id}-{n}" for n in range(3)]
    stats = [StoreStats() for _ in sessions]

    def write(session: str, stat: StoreStats) -> None:
        store = Store(db_target, StoreSettings(batch_size=20, flush_ms=5), stat, gate=gate)
        try:
            for _ in store.run(read_lines(io.BytesIO(ndjson(stream(session, 40))))):
                pass
        finally:
            store.finish()

    threads = [threading.Thread(target=write, args=pair) for pair in zip(sessions, stats)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = len(stream("x", 40))
    assert [s.stored for s in stats] == [expected] * 3
    for session in sessions:
        assert db_conn.execute("SELECT count(*) FROM events WHERE session = %s", (session,)).fetchone() == (expected,)
    assert gate.waits > 0


def test_max_rate_paces_the_stream(run_lt, session_id):
    events = stream(session_id, 4)
    result = run_lt("store", "--max-rate", "10", input=ndjson(events))
    assert result.code == 0, result.stderr
    assert "rate waits 0 (" not in result.stderr
