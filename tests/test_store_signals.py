"""SIGINT and SIGTERM: lt store commits what it has read, then exits with the signal's code."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import time

import pytest
from db_fixtures import ndjson, stream


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_commits_what_was_read_then_exits(db_conn, session_id, sig, code):
    events = stream(session_id, 30)
    # Batches that would never fill nor age: only the signal can make it commit.
    proc = subprocess.Popen(
        [sys.executable, "-m", "lt", "store", "--batch-size", "100000", "--flush-ms", "600000", "--idle-ms", "600000"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    proc.stdin.write(ndjson(events))
    proc.stdin.flush()
    time.sleep(2.5)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr.decode()
    assert f"stored {len(events)} events" in stderr.decode()
    assert db_conn.execute("SELECT count(*) FROM events WHERE session = %s", (session_id,)).fetchone() == (len(events),)


def test_a_live_event_goes_on_when_the_input_pauses(db_conn, session_id):
    """Batches that would never fill nor age: a pause in the input commits what came, and --tee passes it on."""
    events = stream(session_id, 3)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lt", "store", "--tee", "--batch-size", "100000", "--flush-ms", "600000"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        for event in events[:4]:
            proc.stdin.write(ndjson([event]))
            proc.stdin.flush()
            # Long enough for any machine; without the pause rule nothing would come for 600 s.
            assert select.select([proc.stdout], [], [], 60)[0], "the event was not passed on while the input paused"
            assert json.loads(proc.stdout.readline())["id"] == event["id"]
        assert db_conn.execute("SELECT count(*) FROM events WHERE session = %s", (session_id,)).fetchone() == (4,)
    finally:
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr.decode()
