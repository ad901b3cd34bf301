"""kill -9 of lt store mid-stream, several times, then a full re-run: every event exactly once,
and every event a killed store acknowledged (passed on by --tee) was already durable."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

from db_fixtures import ndjson, stream


def _killed_midway(data: list[bytes], stop_after: int) -> list[str]:
    """Feed lines to a store, SIGKILL it after `stop_after` of them; the ids it had acknowledged."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lt", "store", "--tee", "--batch-size", "40", "--flush-ms", "20"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    os.set_blocking(proc.stdout.fileno(), False)
    acknowledged = b""
    for n, line in enumerate(data):
        proc.stdin.write(line)
        if n % 50 == 0:
            proc.stdin.flush()
            acknowledged += proc.stdout.read() or b""
        if n == stop_after:
            break
    proc.stdin.flush()
    time.sleep(random.uniform(0.0, 0.3))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    acknowledged += proc.stdout.read() or b""
    # A line cut off by the kill was never acknowledged whole.
    return [json.loads(line)["id"] for line in acknowledged.split(b"\n") if line.endswith(b"}")]


def test_sigkill_at_random_points_then_a_full_rerun_stores_every_event_once(db_conn, run_lt, session_id):
    events = stream(session_id, 400)
    lines = ndjson(events).splitlines(keepends=True)
    rng = random.Random(5)
    acknowledged: list[str] = []
    for _ in range(3):
        acknowledged += _killed_midway(lines, rng.randrange(len(lines) // 4, len(lines)))
        stored = {r[0] for r in db_conn.execute("SELECT id FROM events WHERE session = %s", (session_id,))}
        assert set(acknowledged) <= stored
    assert acknowledged, "no kill happened after a commit: the test proved nothing"
    rerun = run_lt("store", input=b"".join(lines))
    assert rerun.code == 0, rerun.stderr
    ids = [r[0] for r in db_conn.execute("SELECT id FROM events WHERE session = %s", (session_id,))]
    assert sorted(ids) == sorted(e["id"] for e in events)
    finals = db_conn.execute("SELECT count(*), count(DISTINCT seg) FROM transcripts WHERE session = %s", (session_id,))
    assert finals.fetchone() == (400, 400)
