"""SIGINT and SIGTERM: lt store commits what it has read, then exits with the signal's code."""

from __future__ import annotations

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
        [sys.executable, "-m", "lt", "store", "--batch-size", "100000", "--flush-ms", "600000"],
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
