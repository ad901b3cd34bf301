"""lt jobs on the real queue: the embedded PostgreSQL, procrastinate, real `lt worker` processes
(one of them SIGKILLed mid-job) and the bundled tiny.en model on short clips of the example."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import lt

pytestmark = pytest.mark.slow
OFFLINE = {"HF_HUB_OFFLINE": "1"}


@pytest.fixture(scope="module")
def clips(tmp_path_factory, example_wav) -> list[Path]:
    """Four 8-second WAV clips, one of 30 seconds and one of 2 minutes (the example looped),
    cut from the example with lt's own capture."""
    import numpy as np
    import soundfile as sf

    from lt.capture import CaptureSettings, capture

    folder = tmp_path_factory.mktemp("clips")
    cuts = [(0, 8), (10, 8), (20, 8), (30, 8), (5, 30), (0, 120)]
    paths = []
    for n, (start, seconds) in enumerate(cuts):
        pcm = b"".join(capture(CaptureSettings(str(example_wav), start=start, duration=seconds, loop=True)))
        path = folder / f"clip{n}.wav"
        sf.write(path, np.frombuffer(pcm, dtype="<i2"), 16000, subtype="PCM_16")
        paths.append(path)
    return paths


def new_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def submit(*args: str) -> list[dict]:
    result = lt("jobs", "submit", *args, "--json")
    assert result.code == 0, result.stderr
    return json.loads(result.text)


def jobs_by_id(*ids: int) -> dict[int, dict]:
    result = lt("jobs", "--json", "--limit", "1000")
    assert result.code == 0, result.stderr
    return {job["id"]: job for job in json.loads(result.text) if job["id"] in ids}


def start_worker(*args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lt", "worker", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(log, "wb"),
        env={**os.environ, **OFFLINE, "PYTHONUNBUFFERED": "1"},
    )


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def batch(clips, tmp_path_factory):
    """Two clips translated to pt, a corrupt file, and a clip whose model is missing: then `lt worker --once`."""
    corrupt = tmp_path_factory.mktemp("bad") / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + os.urandom(3000))
    queue = new_queue()
    good = submit(str(clips[0]), str(clips[1]), "--to", "pt", "--model", "tiny.en", "--queue", queue)
    bad = submit(str(corrupt), "--model", "tiny.en", "--queue", queue)
    fallback = submit(str(clips[2]), "--model", "small", "--fallback", "tiny.en", "--queue", queue, "--priority", "5")
    worker = lt("worker", "--once", "--queue", queue, env=OFFLINE, timeout=400)
    return {"queue": queue, "good": good, "bad": bad[0], "fallback": fallback[0], "worker": worker}


def test_submit_then_worker_once_stores_every_session_with_the_job_id_on_every_event(batch, db_conn):
    assert batch["worker"].code == 3, batch["worker"].stderr  # finished, but one input was rejected
    listed = jobs_by_id(*(j["id"] for j in batch["good"]))
    for job in batch["good"]:
        shown = listed[job["id"]]
        assert shown["state"] == "succeeded" and shown["percent"] == 100.0 and shown["attempt"] == 1
        assert set(shown["steps"]) == {"capture", "transcribe", "translate", "store"}
        assert shown["steps"]["capture"]["audio_seconds"] == pytest.approx(8.0, abs=0.1)
        counts = dict(db_conn.execute(
            "SELECT type, count(*) FILTER (WHERE body->>'job' = %s) - count(*) FROM events WHERE session = %s GROUP BY type",
            (str(job["id"]), job["session"]),
        ).fetchall())
        assert set(counts) == {"session", "transcript", "translation"}
        assert set(counts.values()) == {0}  # no stored event without the job's id
        finals, translated = db_conn.execute(
            "SELECT (SELECT count(*) FROM transcripts WHERE session = %(s)s), "
            "(SELECT count(*) FROM translations WHERE session = %(s)s AND target_lang = 'pt')",
            {"s": job["session"]},
        ).fetchone()
        assert finals >= 1 and translated == finals
        assert shown["counts"]["finals"] == finals and shown["counts"]["translations"] == translated


def test_a_corrupt_file_fails_its_own_job_with_the_decoders_message_and_is_not_retried(batch, db_conn):
    job = lt("jobs", "show", str(batch["bad"]["id"]), "--json")
    shown = json.loads(job.text)
    assert shown["state"] == "failed" and shown["attempt"] == 1
    assert shown["error"].startswith(f"cannot decode {batch['bad']['input']}: ")
    assert [h["event"] for h in shown["history"]] == ["deferred", "started", "failed"]
    assert db_conn.execute("SELECT count(*) FROM events WHERE session = %s", (batch["bad"]["session"],)).fetchone()[0] == 0
    assert f"job {batch['bad']['id']}: failed: cannot decode" in batch["worker"].stderr
    assert "Traceback" not in batch["worker"].stderr


def test_a_model_that_cannot_load_falls_back_down_the_chain_and_the_job_says_so(batch, db_conn):
    shown = json.loads(lt("jobs", "show", str(batch["fallback"]["id"]), "--json").text)
    assert shown["state"] == "succeeded" and shown["model"] == "tiny.en"
    assert [f["model"] for f in shown["fallbacks"]] == ["small"]
    assert "not available offline" in shown["fallbacks"][0]["error"]
    (model,) = db_conn.execute("SELECT model FROM sessions WHERE session = %s", (batch["fallback"]["session"],)).fetchone()
    assert model == "tiny.en"
    text = lt("jobs", "show", str(batch["fallback"]["id"])).text
    assert "fell back from small" in text and "tiny.en (after small)" in text


def test_jobs_list_filters_by_state_and_watch_in_a_pipe_prints_each_change(batch):
    failed = json.loads(lt("jobs", "--state", "failed", "--json", "--limit", "1000").text)
    assert batch["bad"]["id"] in {j["id"] for j in failed}
    assert {j["state"] for j in failed} == {"failed"}
    table = lt("jobs", "--limit", "1000")
    assert table.lines()[0].split("\t")[:3] == ["job", "state", "input"]
    ids = [str(j["id"]) for j in batch["good"]]
    watched = lt("jobs", "watch", *ids, timeout=60)
    assert watched.code == 0, watched.stderr
    assert sorted(line.split("\t")[0] for line in watched.lines()) == sorted(ids)
    assert all(line.split("\t")[1:4] == ["succeeded", "done", "100%"] for line in watched.lines())
    bad = lt("jobs", "--state", "done")
    assert bad.code == 1 and "unknown job state 'done'" in bad.stderr


def test_rerun_with_another_model_then_compare_and_a_translate_rerun_stores_nothing_twice(batch, db_conn, tmp_path):
    source = batch["good"][0]["session"]
    queue = new_queue()
    rerun = submit("--sessions", source, "--model", "base", "--queue", queue)
    again = submit("--sessions", source, "--to", "pt", "--queue", queue)
    assert rerun[0]["session"] == f"{source}-base" and again[0]["session"] == source
    worker = lt("worker", "--once", "--queue", queue, env=OFFLINE, timeout=300)
    assert worker.code == 0, worker.stderr
    listed = jobs_by_id(rerun[0]["id"], again[0]["id"])
    assert listed[rerun[0]["id"]]["state"] == "succeeded" and listed[rerun[0]["id"]]["model"] == "base"
    retranslated = listed[again[0]["id"]]
    assert retranslated["state"] == "succeeded" and retranslated["counts"]["new"] == 0  # the same translations: stored once
    compared = lt("compare", source, f"{source}-base", "--json")
    assert compared.code == 0, compared.stderr
    result = json.loads(compared.text)
    assert result["a"]["model"] == "tiny.en" and result["b"]["model"] == "base"
    assert 0.0 <= result["wer"] < 0.5 and result["errors"]["reference_words"] == result["a"]["words"] > 10
    table = lt("compare", source, f"{source}-base")
    assert "WER of B against A" in table.text and "model\ttiny.en\tbase" in table.text
    report = tmp_path / "report.html"
    assert lt("report", source, "--compare", f"{source}-base", "--out", str(report)).code == 0
    html = report.read_text()
    assert 'id="compare"' in html and f"{result['wer']:.1%}" in html
    shown = lt("jobs", "show", str(rerun[0]["id"])).text
    assert f"compare: lt compare {source} {source}-base" in shown


def test_retry_and_cancel(batch):
    bad = batch["bad"]["id"]
    retried = lt("jobs", "retry", str(bad))
    assert retried.code == 0 and retried.text.strip() == str(bad)
    assert jobs_by_id(bad)[bad]["state"] == "queued"
    assert lt("jobs", "cancel", str(bad)).code == 0
    assert jobs_by_id(bad)[bad]["state"] == "cancelled"
    anew = lt("jobs", "retry", str(bad))  # a cancelled job runs again as a new job with the same arguments
    new_id = int(anew.text.strip())
    assert new_id != bad and jobs_by_id(new_id)[new_id]["session"] == batch["bad"]["session"]
    assert lt("jobs", "cancel", str(new_id)).code == 0
    succeeded = batch["good"][0]["id"]
    refused = lt("jobs", "cancel", str(succeeded))
    assert refused.code == 1 and f"job {succeeded} is succeeded already" in refused.stderr
    assert lt("jobs", "retry", "999999999").stderr.count("no job 999999999") == 1


def test_submit_refuses_bad_input_before_queueing_anything(tmp_path):
    missing = lt("jobs", "submit", str(tmp_path / "nope.wav"))
    assert missing.code == 1 and "no such file" in missing.stderr
    neither = lt("jobs", "submit")
    assert neither.code == 2 and "name recordings or --sessions QUERY" in neither.stderr
    what = lt("jobs", "submit", "--sessions", "no-such-session-*")
    assert what.code == 2 and "--sessions needs --model" in what.stderr
    unknown = lt("jobs", "submit", "--sessions", "no-such-session-*", "--model", "tiny.en")
    assert unknown.code == 1 and "no stored session matches" in unknown.stderr


def test_two_workers_share_the_queue(clips, tmp_path):
    queue = new_queue()
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    workers = [start_worker("--queue", queue, log=log) for log in logs]
    try:
        wait_for(lambda: all("on queue" in log.read_text() for log in logs), 120, "both workers to start")
        submitted = submit(*map(str, clips[:4]), "--model", "tiny.en", "--queue", queue)
        ids = [j["id"] for j in submitted]
        done = wait_for(lambda: (lambda jobs: jobs if all(j["state"] == "succeeded" for j in jobs.values()) and len(jobs) == 4 else None)(jobs_by_id(*ids)), 300, "the jobs")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
    assert [w.wait(timeout=60) for w in workers] == [143, 143]
    assert len({job["worker"] for job in done.values()}) == 2, [log.read_text() for log in logs]


def test_a_worker_killed_mid_job_leaves_it_to_another_and_nothing_is_stored_twice(clips, tmp_path, db_conn):
    queue = new_queue()
    (job,) = submit(str(clips[4]), "--model", "tiny.en", "--to", "pt", "--queue", queue)
    first = start_worker("--queue", queue, "--stalled-after", "2", log=tmp_path / "first.log")
    try:
        wait_for(lambda: db_conn.execute("SELECT step = 'transcribe' FROM job_runs WHERE job_id = %s", (job["id"],)).fetchone(), 120, "the job to be transcribing")
    finally:
        first.kill()
    assert first.wait(timeout=30) == -signal.SIGKILL
    assert jobs_by_id(job["id"])[job["id"]]["state"] == "running"  # as far as the queue knows
    second = lt("worker", "--once", "--queue", queue, "--stalled-after", "2", env=OFFLINE, timeout=300)
    assert second.code == 0, second.stderr
    assert f"job {job['id']}: its worker stopped sending heartbeats; queued again" in second.stderr
    shown = json.loads(lt("jobs", "show", str(job["id"]), "--json").text)
    assert shown["state"] == "succeeded" and shown["attempt"] == 2
    assert "deferred_for_retry" in [h["event"] for h in shown["history"]]
    segs = [seg for (seg,) in db_conn.execute("SELECT seg FROM transcripts WHERE session = %s ORDER BY seg", (job["session"],))]
    assert segs == list(range(len(segs))) and len(segs) >= 3
    per_type = dict(db_conn.execute(
        "SELECT type, count(*) FROM events WHERE session = %s GROUP BY type", (job["session"],)
    ).fetchall())
    assert per_type == {"session": 2, "transcript": len(segs), "translation": len(segs)}


def test_cancelling_a_running_job_stops_it_at_its_next_step(clips, tmp_path, db_conn):
    queue = new_queue()
    (job,) = submit(str(clips[5]), "--model", "tiny.en", "--queue", queue)
    worker = start_worker("--queue", queue, log=tmp_path / "worker.log")
    try:
        wait_for(lambda: db_conn.execute("SELECT step = 'transcribe' FROM job_runs WHERE job_id = %s", (job["id"],)).fetchone(), 120, "the job to be transcribing")
        cancelled = lt("jobs", "cancel", str(job["id"]))
        assert cancelled.code == 0 and "asked to stop" in cancelled.stderr
        shown = wait_for(lambda: (lambda j: j if j["state"] != "running" else None)(jobs_by_id(job["id"])[job["id"]]), 120, "the job to stop")
    finally:
        worker.terminate()
    assert worker.wait(timeout=60) == 143
    assert shown["state"] == "aborted" and shown["error"] == "cancelled while it ran"
    assert f"job {job['id']}: cancelled, stopping" in (tmp_path / "worker.log").read_text()


def test_a_failing_job_is_retried_with_backoff_and_once_waits_for_the_retry(clips):
    queue = new_queue()
    (job,) = submit(str(clips[0]), "--model", "small", "--fallback", "", "--retries", "1", "--queue", queue)
    began = time.monotonic()
    worker = lt("worker", "--once", "--queue", queue, env=OFFLINE, timeout=300)
    assert worker.code == 3, worker.stderr
    assert time.monotonic() - began >= 4  # the retry waited about 5 s, and --once waited for it
    assert f"job {job['id']}: attempt 1 of 2 failed: no Whisper model of the chain could load" in worker.stderr
    shown = json.loads(lt("jobs", "show", str(job["id"]), "--json").text)
    assert shown["state"] == "failed" and shown["attempt"] == 2
    history = [h["event"] for h in shown["history"]]
    assert history.count("started") == 2 and "deferred_for_retry" in history and history[-1] == "failed"
    assert "small: Whisper model 'small' is not available offline" in shown["error"]
