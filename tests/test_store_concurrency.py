"""Ten lt store processes into one database at once: no loss, no duplicates."""

from __future__ import annotations

import os
import subprocess
import sys

from db_fixtures import ndjson, stream

WRITERS = 10
SEGMENTS = 340  # 3 events a segment and 2 session events: 1,022 events a writer


def test_ten_concurrent_stores_lose_nothing_and_duplicate_nothing(db_conn, db_target, tmp_path, session_id):
    sessions = [f"{session_id}-{n}" for n in range(WRITERS)]
    inputs = []
    for session in sessions:
        path = tmp_path / f"{session}.ndjson"
        # Every writer also carries the first writer's opening events: they must still be stored once.
        path.write_bytes(ndjson(stream(session, SEGMENTS)) + ndjson(stream(sessions[0], 3)))
        inputs.append(path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "lt", "store", "--batch-size", "100"],
            stdin=path.open("rb"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy(),
        )
        for path in inputs
    ]
    errors = [p.communicate(timeout=240)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * WRITERS, errors
    per_writer = len(stream("x", SEGMENTS))
    counts = dict(db_conn.execute(
        "SELECT session, count(*) FROM events WHERE session = ANY(%s) GROUP BY session", (sessions,)
    ).fetchall())
    assert counts == {s: per_writer for s in sessions}
    assert db_conn.execute(
        "SELECT count(*), count(DISTINCT (session, seg)) FROM transcripts WHERE session = ANY(%s)", (sessions,)
    ).fetchone() == (WRITERS * SEGMENTS, WRITERS * SEGMENTS)


def test_ten_writers_of_the_same_events_in_different_orders_store_each_once(db_conn, tmp_path, session_id):
    import random

    from history import History, assert_kept

    lines = ndjson(stream(session_id, 700)).splitlines(keepends=True)  # 2,102 events
    history = History().add_lines(lines)
    inputs = []
    for n in range(WRITERS):
        order = lines[:]
        random.Random(n).shuffle(order)
        path = tmp_path / f"order-{n}.ndjson"
        path.write_bytes(b"".join(order))
        inputs.append(path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "lt", "store", "-v", "--batch-size", "100", "--retry-for", "60"],
            stdin=path.open("rb"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy(),
        )
        for path in inputs
    ]
    errors = [p.communicate(timeout=240)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * WRITERS, errors
    assert not [e for e in errors if "database unavailable" in e], "a deadlock was reported as an outage"
    assert_kept(history, db_conn)
    assert db_conn.execute(
        "SELECT count(*), count(DISTINCT seg) FROM transcripts WHERE session = %s", (session_id,)
    ).fetchone() == (700, 700)
