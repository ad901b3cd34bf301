"""Jobs at scale: N recordings through `lt jobs submit` + `lt worker`, against a plain shell loop.

    .venv/bin/python bench/jobs_throughput.py [--count 200] [--seconds 60] [--model tiny.en] [--kill-every 30]

Makes COUNT recordings of SECONDS each (the example, looped, from a different
offset each), then runs, in a fresh LT_HOME with its own embedded database:

1. baseline: `for f in files; do lt capture f | lt transcribe | lt store; done`
   (a new process chain, and a model load, per file);
2. `lt jobs submit` of every file, then 1 worker (`lt worker --once`);
3. the same with 2 worker processes at once;
4. 1 worker SIGKILLed every KILL_EVERY seconds and started again, until every
   job succeeded; then the exactly-once check: every file's session holds one
   start and one end, its finals numbered 0..n-1 each once, as many finals as
   the same file had in run 2, and no event stored twice.

Prints audio-hours per wall-hour for each, the ratio to the baseline, and the
queue's overhead per job: submission, and the wall time between jobs that no
job accounts for (fetching, status updates, the first model load).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from machine import describe  # noqa: E402

LT = [sys.executable, "-m", "lt"]


def make_recordings(folder: Path, count: int, seconds: float) -> list[Path]:
    import numpy as np
    import soundfile as sf

    from lt.capture import CaptureSettings, capture

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"rec{n:04d}.wav"
        settings = CaptureSettings(str(ROOT / "examples" / "meeting.wav"), start=float(n % 30), duration=seconds, loop=True)
        sf.write(path, np.frombuffer(b"".join(capture(settings)), dtype="<i2"), 16000, subtype="PCM_16")
        paths.append(path)
    return paths


def shell_loop(files: list[Path], model: str, env: dict) -> float:
    began = time.monotonic()
    for n, path in enumerate(files):
        command = (
            f"lt capture {path} -q | lt transcribe --model {model} --mode batch --session loop-{n:04d} -q | lt store -q"
        )
        subprocess.run(["bash", "-o", "pipefail", "-c", command], check=True, env=env)
    return time.monotonic() - began


def submit(files: list[Path], model: str, queue: str, env: dict) -> tuple[list[dict], float]:
    began = time.monotonic()
    out = subprocess.run(
        [*LT, "jobs", "submit", *map(str, files), "--model", model, "--queue", queue, "--json", "-q"],
        check=True, capture_output=True, env=env,
    )
    return json.loads(out.stdout), time.monotonic() - began


def workers(queue: str, count: int, env: dict) -> float:
    began = time.monotonic()
    procs = [subprocess.Popen([*LT, "worker", "--once", "--queue", queue, "-q"], env=env) for _ in range(count)]
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"a worker exited with {proc.returncode}")
    return time.monotonic() - began


def killed_every(queue: str, every: float, env: dict, conn) -> tuple[float, int]:
    """One worker at a time, SIGKILLed every `every` seconds, until nothing is left to do."""
    began = time.monotonic()
    kills = 0
    while True:
        proc = subprocess.Popen([*LT, "worker", "--once", "--queue", queue, "--stalled-after", "3", "-q"], env=env)
        try:
            proc.wait(timeout=every)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            continue
        left = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = %s AND status <> 'succeeded'", (queue,)
        ).fetchone()[0]
        if not left:
            return time.monotonic() - began, kills
        time.sleep(3.5)  # a killed worker's last job waits for --stalled-after before it is queued again


def job_seconds(conn, queue: str) -> float:
    """Wall time spent inside jobs that succeeded, from the queue's own events."""
    (seconds,) = conn.execute(
        "SELECT coalesce(sum(extract(epoch FROM r.updated_at - r.started_at)), 0) FROM job_runs r "
        "JOIN procrastinate_jobs j ON j.id = r.job_id WHERE j.queue_name = %s AND j.status = 'succeeded'",
        (queue,),
    ).fetchone()
    return float(seconds)


def finals_by_input(conn, queue: str) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT j.args->>'input', (SELECT count(*) FROM transcripts t WHERE t.session = j.args->>'session') "
        "FROM procrastinate_jobs j WHERE j.queue_name = %s", (queue,),
    ).fetchall())


def exactly_once(conn, queue: str, reference: dict[str, int]) -> list[str]:
    problems = []
    for path, session, status in conn.execute(
        "SELECT args->>'input', args->>'session', status::text FROM procrastinate_jobs WHERE queue_name = %s", (queue,)
    ).fetchall():
        segs = [s for (s,) in conn.execute("SELECT seg FROM transcripts WHERE session = %s ORDER BY seg", (session,))]
        ends = conn.execute("SELECT count(*) FROM events WHERE session = %s AND type = 'session'", (session,)).fetchone()[0]
        if status != "succeeded" or segs != list(range(len(segs))) or len(segs) != reference.get(path) or ends != 2:
            problems.append(f"{path}: {status}, {len(segs)} finals (clean run {reference.get(path)}), {ends} session events")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--kill-every", type=float, default=30.0)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="lt-jobs-bench-"))
    env = {**os.environ, "LT_HOME": str(home), "HF_HUB_OFFLINE": "1", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    os.environ.update(LT_HOME=str(home))
    print(f"machine: {describe()}")
    files = make_recordings(home / "recordings", args.count, args.seconds)
    audio_hours = args.count * args.seconds / 3600
    print(f"{args.count} recordings of {args.seconds:g} s ({audio_hours * 60:.0f} min of audio), model {args.model}")

    from lt.db.connect import connect, stop_embedded

    rows = []
    try:
        if not args.skip_baseline:
            loop_s = shell_loop(files, args.model, env)
            rows.append(("shell loop (capture | transcribe | store)", loop_s))
            print(f"baseline shell loop: {loop_s:.0f} s", flush=True)
        jobs, submit_s = submit(files, args.model, "bench-1", env)
        one_s = workers("bench-1", 1, env)
        rows.append(("lt jobs, 1 worker", one_s))
        print(f"1 worker: {one_s:.0f} s (submitting {len(jobs)} jobs took {submit_s:.2f} s)", flush=True)
        _, _ = submit(files, args.model, "bench-2", env)
        two_s = workers("bench-2", 2, env)
        rows.append(("lt jobs, 2 workers", two_s))
        print(f"2 workers: {two_s:.0f} s", flush=True)
        submit(files, args.model, "bench-kill", env)
        with connect() as conn:
            kill_s, kills = killed_every("bench-kill", args.kill_every, env, conn)
            rows.append((f"lt jobs, 1 worker SIGKILLed every {args.kill_every:g} s ({kills} kills)", kill_s))
            inside = job_seconds(conn, "bench-1")
            problems = exactly_once(conn, "bench-kill", finals_by_input(conn, "bench-1"))
            (duplicates,) = conn.execute("SELECT count(*) - count(DISTINCT id) FROM events").fetchone()
        baseline = rows[0][1] if not args.skip_baseline else None
        print()
        print(f"{'run':<62} {'wall s':>8} {'audio h / wall h':>17} {'vs loop':>8}")
        for name, wall in rows:
            ratio = f"{baseline / wall:.2f}x" if baseline else "–"
            print(f"{name:<62} {wall:8.0f} {audio_hours / (wall / 3600):17.1f} {ratio:>8}")
        print()
        print(f"queue overhead per job: submit {1000 * submit_s / len(jobs):.1f} ms; "
              f"between jobs (1 worker: wall minus time inside jobs) {1000 * (one_s - inside) / len(jobs):.0f} ms")
        print(f"kill run: {kills} SIGKILLs; exactly-once check: "
              + ("every file stored once, finals as in the clean run" if not problems else f"{len(problems)} problems"))
        for problem in problems[:20]:
            print("  " + problem)
        print(f"events stored more than once (whole database): {duplicates}")
    finally:
        stop_embedded(home / "pg")
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
