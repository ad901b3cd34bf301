"""The database going away mid-stream: lt store waits, pushes back on its input, retries and loses nothing;
if it stays away, what was read goes to a spill file that lt store accepts again.

These tests stop and start an embedded server of their own (its own LT_HOME), never the shared one.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from db_fixtures import count_events, ndjson, stream, wait_for


@pytest.fixture(scope="module")
def own_server(tmp_path_factory, lt_home):
    home = tmp_path_factory.mktemp("outage-home")
    env = {"LT_HOME": str(home)}
    from conftest import lt

    url = lt("db", "url", "--show-password", env=env).text.strip()
    assert lt("db", "migrate", env=env).code == 0
    yield env, url, lt
    lt("db", "stop", env=env)


def _start_store(env: dict, log: Path, *args: str) -> subprocess.Popen:
    import os

    return subprocess.Popen(
        [sys.executable, "-m", "lt", "store", "--batch-size", "50", "--flush-ms", "20", *args],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log.open("wb"), env={**os.environ, **env},
    )


def test_server_restart_mid_stream_loses_nothing_and_pushes_back(own_server, tmp_path, session_id):
    env, url, lt = own_server
    lines = ndjson(stream(session_id, 1000)).splitlines(keepends=True)
    head, rest = lines[:200], lines[200:]
    log = tmp_path / "store.log"
    proc = _start_store(env, log, "--buffer", "300", "--retry-for", "60")
    proc.stdin.write(b"".join(head))
    proc.stdin.flush()
    wait_for(lambda: count_events(url, session_id) == len(head))
    memory_before = psutil.Process(proc.pid).memory_info().rss

    assert lt("db", "stop", env=env).code == 0
    feeder = threading.Thread(target=lambda: (proc.stdin.write(b"".join(rest)), proc.stdin.close()))
    feeder.start()
    time.sleep(3)
    assert feeder.is_alive(), "lt store read everything while the database was down: no backpressure"
    assert psutil.Process(proc.pid).memory_info().rss - memory_before < 30 << 20

    assert lt("db", "url", env=env).code == 0
    feeder.join(timeout=60)
    assert proc.wait(timeout=60) == 0, log.read_text()
    assert count_events(url, session_id) == len(lines)
    summary = log.read_text()
    assert int(re.search(r"(\d+) retries", summary).group(1)) > 0
    assert "database unavailable" in summary and "database back after" in summary


def test_giving_up_spills_what_was_read_and_the_spill_replays(own_server, tmp_path, session_id):
    env, url, lt = own_server
    lines = ndjson(stream(session_id, 100)).splitlines(keepends=True)
    log = tmp_path / "store.log"
    proc = _start_store(env, log, "--retry-for", "1")
    proc.stdin.write(b"".join(lines[:100]))
    proc.stdin.flush()
    wait_for(lambda: count_events(url, session_id) == 100)

    assert lt("db", "stop", env=env).code == 0
    proc.stdin.write(b"".join(lines[100:]))
    proc.stdin.close()
    assert proc.wait(timeout=60) == 4
    message = log.read_text()
    spill = Path(re.search(r"written to (\S+\.ndjson)", message).group(1))
    assert len(spill.read_bytes().splitlines()) == len(lines) - 100
    assert f"lt store < {spill}" in message

    assert lt("db", "url", env=env).code == 0
    replay = lt("store", input=spill.read_bytes(), env=env)
    assert replay.code == 0, replay.stderr
    assert count_events(url, session_id) == len(lines)


UNREACHABLE = "postgresql://lt@127.0.0.1:1/lt"


def _trickle(proc: subprocess.Popen, lines: list[bytes], pause: float) -> list[bytes]:
    """Write lines one at a time until the store stops reading; the lines that went into the pipe."""
    written = []
    try:
        for line in lines:
            proc.stdin.write(line)
            proc.stdin.flush()
            written.append(line)
            time.sleep(pause)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    return written


@pytest.mark.parametrize("buffer", ["100", "64k", "64M"])
def test_an_outage_with_trickling_input_ends_in_exit_4_and_spills_what_was_read(tmp_path, session_id, buffer):
    from history import History, assert_kept

    lines = ndjson(stream(session_id, 1000)).splitlines(keepends=True)
    log = tmp_path / "store.log"
    proc = _start_store({"LT_DATABASE_URL": UNREACHABLE, "LT_HOME": str(tmp_path)}, log,
                        "--retry-for", "1.5", "--buffer", buffer)
    history = History().add_lines(_trickle(proc, lines, 0.002))
    assert proc.wait(timeout=60) == 4, log.read_text()
    message = log.read_text()
    assert "Fatal Python error" not in message and "the database stayed unavailable for 1.5 s" in message
    spill = Path(re.search(r"written to (\S+\.ndjson)", message).group(1))
    # What the store never read (still in the pipe when it gave up) is the tail; before it, nothing is missing.
    report = assert_kept(history, files=[spill], unread_tail=True)
    assert report.found == int(re.search(r"(\d+) events not stored were written", message).group(1)) > 0
