"""Ctrl-C, SIGTERM and a closed pipe on a live pipeline: the documented exit code, no fatal
error, and nothing a stage read lost (what the feeder wrote, against the database).

The pipeline: a paced feeder of recorded events | lt translate --to pt | lt store --tee
| lt overlay --sink null (tests/interrupts.py). bench/reliability_soak.py repeats these.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from history import History, check, stored_events
from interrupts import FATAL, FEEDER, expected_codes, interrupted

ROOT = Path(__file__).resolve().parent.parent
CTRL_C_REPEATS = 3  # bench/reliability_soak.py does 20


@pytest.mark.parametrize("attempt", range(CTRL_C_REPEATS))
def test_ctrl_c_of_the_whole_pipeline_loses_nothing(db_conn, session_id, tmp_path, attempt):
    outcome = interrupted(db_conn, session_id, tmp_path, sig=signal.SIGINT, run_for=0.5 + attempt)
    assert not outcome.problems(expected_codes(signal.SIGINT, None)), outcome.problems(expected_codes(signal.SIGINT, None))
    assert outcome.report.found > 0


@pytest.mark.parametrize("stage", ["translate", "store", "overlay"])
def test_sigterm_to_one_stage_stores_everything_it_read(db_conn, session_id, tmp_path, stage):
    outcome = interrupted(db_conn, session_id, tmp_path, sig=signal.SIGTERM, stage=stage, grace=1.0)
    expected = expected_codes(signal.SIGTERM, stage)
    assert not outcome.problems(expected), outcome.problems(expected)
    assert outcome.report.found > 0


def _statuses(command: str, env: dict | None = None) -> tuple[list[int], str]:
    """A shell pipeline: the exit code of each of its commands, and all they wrote on stderr."""
    read, write = os.pipe()
    try:
        done = subprocess.run(
            ["bash", "-c", f"{command}; echo ${{PIPESTATUS[@]}} >&{write}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(write,),
            env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, timeout=120,
        )
    finally:
        os.close(write)
    with os.fdopen(read) as statuses:
        codes = [int(code) for code in statuses.read().split()]
    return codes, done.stderr.decode(errors="replace")


LT = f"{sys.executable} -m lt"


def _feeder(session: str, history: Path, count: int | None = None) -> str:
    return f"{sys.executable} {FEEDER} --session {session} --every 0.001 --history {history}" + (f" --count {count}" if count else "")


def _quiet(stderr: str) -> None:
    for marker in FATAL:
        assert marker not in stderr, stderr[-2000:]


def test_capture_and_transcribe_into_a_closed_pipe_exit_141(example_wav):
    codes, stderr = _statuses(f"{LT} capture {example_wav} | {LT} transcribe --model tiny.en | head -c 100")
    assert codes[1:] == [141, 0] and codes[0] in (0, 141), stderr  # capture may have written it all already
    codes, stderr = _statuses(f"{LT} capture {example_wav} | head -c 100")
    assert codes == [141, 0], stderr
    _quiet(stderr)


def test_translate_into_a_closed_pipe_exits_141(tmp_path, session_id):
    codes, stderr = _statuses(f"{_feeder(session_id, tmp_path / 'sent')} | {LT} translate --to pt | head -c 100")
    assert codes == [141, 141, 0], stderr
    _quiet(stderr)


def test_store_into_a_closed_pipe_exits_141_having_stored_what_it_read(db_conn, tmp_path, session_id):
    sent = tmp_path / "sent.ndjson"
    codes, stderr = _statuses(f"{_feeder(session_id, sent)} | {LT} store --tee --flush-ms 20 | head -c 20000")
    assert codes == [141, 141, 0], stderr
    _quiet(stderr)
    report = check(History().add_lines(sent.read_bytes().splitlines()),
                   found={"database": stored_events(db_conn, [session_id])}, unread_tail=True)
    assert report.ok and report.found > 0, str(report)


def test_overlay_and_replay_into_a_closed_pipe_exit_141(db_conn, tmp_path, session_id):
    sent = tmp_path / "sent.ndjson"
    codes, stderr = _statuses(f"{_feeder(session_id, sent, count=300)} | {LT} overlay --sink y4m --out - --size 320x180 --clock events | head -c 100")
    assert codes == [0, 141, 0] or codes == [141, 141, 0], stderr
    _quiet(stderr)
    codes, stderr = _statuses(f"{LT} store < {sent}")
    assert codes == [0], stderr
    codes, stderr = _statuses(f"{LT} replay {session_id} | head -c 100")
    assert codes == [141, 0], stderr
    _quiet(stderr)


def _sigterm_while_open(args: list[str], data: bytes, *, after: float, env: dict | None = None) -> tuple[int, bytes, str]:
    """lt ARGS reading `data` from a pipe that stays open (a live stage before it), SIGTERM `after` s later."""
    proc = subprocess.Popen([sys.executable, "-m", "lt", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "LT_SHUTDOWN_GRACE": "1", **(env or {})})
    proc.stdin.write(data)
    proc.stdin.flush()
    time.sleep(after)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    _quiet(stderr.decode())
    return proc.returncode, stdout, stderr.decode()


def test_sigterm_on_a_stage_waiting_for_input_ends_it_after_the_grace_time():
    """The stage before keeps its end of the pipe open: the stage waits out the grace time, then exits 143."""
    line = json.dumps({"type": "note", "session": "s", "id": "x"}).encode() + b"\n"
    code, _, stderr = _sigterm_while_open(["overlay", "--sink", "null", "--size", "64x64"], line, after=3)
    assert code == 143, stderr


def test_sigterm_during_a_long_translation_passes_the_transcript_on_and_exits_143():
    from test_hostile_input import _final, _long_text

    final = _final("long", 0, _long_text(7000))
    code, stdout, stderr = _sigterm_while_open(["translate", "--to", "pt"], json.dumps(final).encode() + b"\n", after=4)
    assert code == 143, stderr
    out = [json.loads(line) for line in stdout.splitlines()]
    assert out[0]["id"] == final["id"]
    assert [e["type"] for e in out[1:]] in (["translation"], ["error"])
    if out[1]["type"] == "error":
        assert "interrupted" in out[1]["message"]


def test_sigterm_with_the_database_away_spills_everything_read(session_id):
    from db_fixtures import ndjson, stream

    events = stream(session_id, 20)
    code, _, stderr = _sigterm_while_open(["store", "--retry-for", "600"], ndjson(events), after=3,
                                          env={"LT_DATABASE_URL": "postgresql://lt@127.0.0.1:1/lt"})
    assert code == 4, stderr
    spill = Path(re.search(r"written to (\S+\.ndjson)", stderr)[1])
    assert check(History.of(events), files=[spill]).ok


def test_sigterm_to_a_live_capture_exits_143(example_wav):
    proc = subprocess.Popen([sys.executable, "-m", "lt", "capture", str(example_wav), "--realtime"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(32000)  # a second of audio: it is running
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr.decode()
    _quiet(stderr.decode())
