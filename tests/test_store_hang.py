"""A hung server (the network or the server stops answering, connections stay open): --timeout turns the
hang into a retry, --retry-for bounds it, and nothing read is lost: stored, or spilled and replayed.

The hang is a TCP proxy in front of the test database that stops forwarding (tests/tcp_proxy.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from db_fixtures import count_events, ndjson, stream, wait_for
from history import History, assert_kept
from tcp_proxy import Proxy, upstream_of


@pytest.fixture
def proxy(db_target):
    with Proxy(upstream_of(db_target.url)) as running:
        yield running


def _hung_mid_stream(db_conn, url: str, proxy: Proxy, log: Path, session: str, *args: str):
    """A store that committed the first 100 events, then the hang, then the rest of the input."""
    lines = ndjson(stream(session, 100)).splitlines(keepends=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lt", "store", "--db", proxy.url_for(url), "--batch-size", "50", "--flush-ms", "20", *args],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log.open("wb"), env=os.environ.copy(),
    )
    proc.stdin.write(b"".join(lines[:100]))
    proc.stdin.flush()
    wait_for(lambda: count_events(db_conn, session) == 100)
    proxy.pause()
    proc.stdin.write(b"".join(lines[100:]))
    proc.stdin.close()
    return proc, History().add_lines(lines)


def test_a_hang_that_ends_is_retried_and_loses_nothing(db_conn, db_target, proxy, tmp_path, session_id):
    log = tmp_path / "store.log"
    proc, history = _hung_mid_stream(db_conn, db_target.url, proxy, log, session_id, "--timeout", "1", "--retry-for", "60")
    time.sleep(2.5)  # more than --timeout: the batch in flight is cut and retried while the hang lasts
    proxy.resume()
    assert proc.wait(timeout=60) == 0, log.read_text()
    assert "no answer from the server within 1 s" in log.read_text()
    assert_kept(history, db_conn)


def test_a_hang_that_lasts_ends_in_exit_4_with_everything_read_spilled(db_conn, db_target, proxy, run_lt, tmp_path, session_id):
    log = tmp_path / "store.log"
    began = time.monotonic()
    proc, history = _hung_mid_stream(db_conn, db_target.url, proxy, log, session_id, "--timeout", "1", "--retry-for", "2")
    assert proc.wait(timeout=60) == 4, log.read_text()
    assert time.monotonic() - began < 30, "the hang was not bounded by --timeout and --retry-for"
    message = log.read_text()
    assert "Fatal Python error" not in message
    spills = [Path(p) for p in re.findall(r"(\S+\.ndjson)", message.split("Error:")[-1])]
    assert spills and f"{len(history) - 100} events not stored were written to" in message
    assert_kept(history, db_conn, files=spills)

    proxy.resume()
    for spill in set(spills):
        assert run_lt("store", input=spill.read_bytes()).code == 0
    assert_kept(history, db_conn)

