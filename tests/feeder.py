"""A paced feeder of recorded events, the first stage of a pipeline under test (tests and bench).

    python tests/feeder.py --session S --every 0.005 --history sent.ndjson | lt translate --to pt | ...

Loops over tests/data/meeting-stream.ndjson (its own translations left out:
the pipeline's translate makes them) with the session renamed and, per loop,
new ids and later segments and times, so every event it writes is new. Each
line is appended to `--history` only once it was written to stdout, so the
history is exactly what the pipeline was given. Like an lt stage, it stops
at SIGINT (130) and SIGTERM (143), and at a closed pipe (141).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import sys
import time
from pathlib import Path

RECORDING = Path(__file__).resolve().parent / "data" / "meeting-stream.ndjson"
SEGMENTS_PER_LOOP = 1000
SECONDS_PER_LOOP = 60.0

_stop: list[int] = []


def recorded() -> list[dict]:
    events = [json.loads(line) for line in RECORDING.read_text().splitlines() if line.strip()]
    return [e for e in events if e["type"] != "translation"]


def renamed(event: dict, session: str, loop: int) -> dict:
    out = {**event, "session": session}
    out["id"] = hashlib.sha256(f"{session}\x1f{loop}\x1f{event['id']}".encode()).hexdigest()[:24]
    if isinstance(out.get("seg"), int):
        out["seg"] += loop * SEGMENTS_PER_LOOP
    for key in ("start", "end"):
        if isinstance(out.get(key), (int, float)):
            out[key] = round(out[key] + loop * SECONDS_PER_LOOP, 3)
    if isinstance(out.get("words"), list):
        out["words"] = [{**w, "start": w["start"] + loop * SECONDS_PER_LOOP if w.get("start") is not None else None,
                         "end": w["end"] + loop * SECONDS_PER_LOOP if w.get("end") is not None else None}
                        for w in out["words"]]
    return out


def lines(session: str, limit: int | None):
    events = recorded()
    count, loop = 0, 0
    while limit is None or count < limit:
        for event in events:
            if limit is not None and count >= limit:
                return
            yield json.dumps(renamed(event, session, loop), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            count += 1
        loop += 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--session", required=True)
    parser.add_argument("--every", type=float, default=0.005, help="seconds between lines")
    parser.add_argument("--count", type=int, default=None, help="stop after this many lines (default: never)")
    parser.add_argument("--history", type=Path, required=True)
    args = parser.parse_args()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, frame: _stop.append(signum))
    out = sys.stdout.buffer
    with open(args.history, "wb") as history:
        for line in lines(args.session, args.count):
            if _stop:
                break
            try:
                out.write(line)
                out.flush()
            except BrokenPipeError:
                return 141
            history.write(line)
            history.flush()
            time.sleep(args.every)
    if _stop:
        return 130 if _stop[0] == signal.SIGINT else 143
    return 0


if __name__ == "__main__":
    code = main()
    try:
        sys.stdout.close()
    except BrokenPipeError:
        code = 141
    sys.exit(code)
