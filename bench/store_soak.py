"""Soak of `lt store` under what goes wrong: outages, a hung server, ten concurrent writers, memory while
the database is away. Each case checks what went in against what was kept (tests/history.py).

    .venv/bin/python bench/store_soak.py [--seconds 60] [--cases outage,hang,lasting-hang,writers,memory]

- outage: a paced feeder (200 events/s) for --seconds while the server is stopped for 3 s every 10 s
  (its own embedded server); exit code, retries, time unavailable, lost and duplicated.
- hang: the same with a proxy that stops forwarding for 3 s every 10 s (`--timeout 1`).
- lasting-hang: the proxy stops for good: the time to exit 4, and database + spill against the input.
- writers: ten processes writing the same 20,000 events in different orders: wall time, deadlocks
  retried, outages reported (must be 0), exactly one of each.
- memory: the database away, 900 KB events fed as fast as the store reads them for --seconds / 3
  (ASCII, then emoji text): the resident set, steady (median of the second half) and peak, against
  the --buffer bound (64 MiB).

Runs in a scratch LT_HOME with its own embedded server, stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import psutil  # noqa: E402
from db_fixtures import ndjson, stream  # noqa: E402
from history import History, check  # noqa: E402
from machine import describe  # noqa: E402
from tcp_proxy import Proxy, upstream_of  # noqa: E402

UNREACHABLE = "postgresql://lt@127.0.0.1:1/lt"


def lt(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lt", *args], env={**os.environ, **env}, capture_output=True, **kwargs)


def start_store(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lt", "store", "-v", *args], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env={**os.environ, **env},
    )


class Feeder(threading.Thread):
    """Writes lines at `rate` a second until they run out or the store stops reading; records what it wrote."""

    def __init__(self, proc: subprocess.Popen, lines: list[bytes], rate: float):
        super().__init__(daemon=True)
        self.proc, self.lines, self.rate = proc, lines, rate
        self.history = History()

    def run(self) -> None:
        began = time.monotonic()
        try:
            for n, line in enumerate(self.lines):
                time.sleep(max(0.0, began + n / self.rate - time.monotonic()))
                self.proc.stdin.write(line)
                self.proc.stdin.flush()
                self.history.add_line(line)
            self.proc.stdin.close()
        except BrokenPipeError:
            pass


def summary_of(stderr: str) -> str:
    found = re.search(r"stored (\d+) events .*?(\d+) retries \(([\d.]+) s unavailable\); (\d+) deadlocks", stderr)
    return f"retries {found.group(2)}, {found.group(3)} s unavailable, deadlocks {found.group(4)}" if found else "no summary"


def interrupted(seconds: float, env: dict, url: str, stop, start, name: str, *args: str) -> None:
    session = f"soak-{name}-{random.getrandbits(32):08x}"
    rate = 200.0
    lines = ndjson(stream(session, int(seconds * rate / 3) + 1)).splitlines(keepends=True)
    proc = start_store(env, "--db", url, "--retry-for", "60", *args)
    feeder = Feeder(proc, lines, rate)
    feeder.start()
    cycles = 0
    began = time.monotonic()
    while feeder.is_alive() and time.monotonic() - began < seconds:
        time.sleep(7)
        stop()
        time.sleep(3)
        start()
        cycles += 1
    feeder.join()
    stderr = proc.stderr.read()  # the feeder closed stdin: communicate() would flush it
    proc.wait(timeout=120)
    report = check(feeder.history, url_of(env))
    print(f"{name}: {len(feeder.history)} events in {time.monotonic() - began:.0f} s, {cycles} interruptions of 3 s; "
          f"exit {proc.returncode}; {summary_of(stderr.decode())}; {report}")


def lasting_hang(env: dict, proxy: Proxy, url: str) -> None:
    session = f"soak-lasting-{random.getrandbits(32):08x}"
    lines = ndjson(stream(session, 1000)).splitlines(keepends=True)
    proc = start_store(env, "--db", url, "--timeout", "1", "--retry-for", "5")
    feeder = Feeder(proc, lines, 500.0)
    feeder.start()
    time.sleep(2)
    proxy.pause()
    paused = time.monotonic()
    stderr = proc.stderr.read()
    proc.wait(timeout=120)
    took = time.monotonic() - paused
    feeder.join()
    proxy.resume()
    message = stderr.decode()
    spills = [Path(p) for p in dict.fromkeys(re.findall(r"(/\S+\.ndjson)", message))]
    report = check(feeder.history, url_of(env), files=spills, unread_tail=True)
    print(f"lasting hang: exit {proc.returncode} {took:.1f} s after the hang began (--timeout 1, --retry-for 5); "
          f"{len(spills)} spill files; {report}")


def writers(env: dict, url: str) -> None:
    session = f"soak-writers-{random.getrandbits(32):08x}"
    lines = ndjson(stream(session, 6666)).splitlines(keepends=True)
    history = History().add_lines(lines)
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for n in range(10):
            order = lines[:]
            random.Random(n).shuffle(order)
            paths.append(Path(folder) / f"{n}.ndjson")
            paths[-1].write_bytes(b"".join(order))
        began = time.monotonic()
        procs = [subprocess.Popen([sys.executable, "-m", "lt", "store", "-v", "--db", url], stdin=p.open("rb"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **env})
                 for p in paths]
        errors = [p.communicate(timeout=600)[1].decode() for p in procs]
    took = time.monotonic() - began
    deadlocks = sum(int(m) for e in errors for m in re.findall(r"(\d+) deadlocks retried", e))
    outages = sum(e.count("database unavailable") for e in errors)
    print(f"writers: 10 x {len(lines)} events in {took:.1f} s; exits {sorted({p.returncode for p in procs})}; "
          f"deadlocks retried {deadlocks}, outages reported {outages}; {check(history, url_of(env))}")


def memory(seconds: float, env: dict) -> None:
    for name, text in (("ASCII", "a" * 900_000), ("emoji", "\U0001f389" * 225_000)):
        event = stream("soak-memory", 1)[2]
        proc = start_store({**env, "LT_DATABASE_URL": UNREACHABLE}, "-q", "--retry-for", str(seconds + 30))
        samples: list[int] = []
        stop = threading.Event()

        def feed() -> None:
            try:
                for n in range(10**9):
                    if stop.is_set():
                        break
                    proc.stdin.write(json.dumps({**event, "id": f"m{n}", "text": text}, ensure_ascii=False).encode() + b"\n")
            except (BrokenPipeError, ValueError):
                pass

        threading.Thread(target=feed, daemon=True).start()
        watched = psutil.Process(proc.pid)
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            samples.append(watched.memory_info().rss)
            time.sleep(0.25)
        stop.set()
        proc.kill()
        proc.wait()
        steady = statistics.median(samples[len(samples) // 2:])
        print(f"memory, database away, 900 KB {name} events, --buffer 64M: RSS steady {steady / 2**20:.0f} MiB, "
              f"peak {max(samples) / 2**20:.0f} MiB")


def url_of(env: dict) -> str:
    return lt("db", "url", "--show-password", env=env, check=True).stdout.decode().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--cases", default="outage,hang,lasting-hang,writers,memory")
    args = parser.parse_args()
    cases = args.cases.split(",")
    print(describe())
    with tempfile.TemporaryDirectory() as home:
        env = {"LT_HOME": home}
        url = url_of(env)
        try:
            if "outage" in cases:
                interrupted(args.seconds, env, url, lambda: lt("db", "stop", env=env), lambda: url_of(env), "outage")
            with Proxy(upstream_of(url)) as proxy:
                through = proxy.url_for(url)
                if "hang" in cases:
                    interrupted(args.seconds, env, through, proxy.pause, proxy.resume, "hang", "--timeout", "1")
                if "lasting-hang" in cases:
                    lasting_hang(env, proxy, through)
            if "writers" in cases:
                writers(env, url)
            if "memory" in cases:
                memory(args.seconds / 3, env)
        finally:
            lt("db", "stop", env=env)


if __name__ == "__main__":
    main()
