"""Word end to caption on the frame, through the whole live pipeline at real-time pace.

    .venv/bin/python bench/e2e_latency.py [--model base] [--audio examples/meeting.wav] [--duration S]

Runs, as separate processes joined by pipes:

    lt capture AUDIO --realtime | lt transcribe --model M | lt translate --to pt
      | lt store --tee | lt overlay --sink null --clock live --trace TRACE

and reads the overlay's trace: each final caption with the stamp of every
stage it went through (capture = its last word's audio arrived, transcribe,
translate, store = committed, frame = first frame that showed it). Prints
p50/p95/max per hop and for the total, each caption counted once along its
longest path, and the total's p50 as a ratio of the 3 s target (<= 1.0 meets it).

Two figures a viewer feels, from the same trace (every caption event the overlay
drew, partials included, with its first frame's wall time):

- word end -> stable on screen: per word of the finals, the first frame that
  showed it stable (in a partial's stable prefix, or in its final) minus the
  wall time its audio arrived (the event's capture stamp, less the audio after
  the word);
- sentence end -> translation on screen: per translation, its first frame minus
  the arrival of its sentence's last word.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from chain import Chain  # noqa: E402
from machine import describe  # noqa: E402

from lt.events import new_session_id  # noqa: E402
from lt.latency import TOTAL, stable_words, summarize  # noqa: E402
from stream_metrics import spread  # noqa: E402

TARGET_P50 = 3.0


def translation_on_screen(events: list[dict]) -> list[float]:
    return [e["t"]["frame"] - e["t"]["capture"] for e in events
            if e.get("type") == "translation" and e.get("final") and {"frame", "capture"} <= set(e.get("t") or {})]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--audio", default=str(ROOT / "examples" / "meeting.wav"))
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--to", default="pt")
    parser.add_argument("--threads", type=int, default=0, help="lt transcribe --threads (0: its default)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lt-e2e-"))
    trace = work / "frames.ndjson"
    session = "bench-e2e-" + new_session_id()
    capture = ["capture", args.audio, "--realtime", *(["--duration", str(args.duration)] if args.duration else [])]
    chain = Chain(
        capture,
        ["transcribe", "--model", args.model, "--mode", "stream", "--threads", str(args.threads)],
        ["translate", "--to", args.to],
        ["store", "--tee"],
        ["overlay", "--sink", "null", "--clock", "live", "--size", "1280x720", "--trace", str(trace)],
        env={"LT_SESSION": session, "HF_HUB_OFFLINE": "1"},
    ).start(sample_every=1.0)
    chain.wait_or_exit(timeout=1800)

    events = [json.loads(line) for line in trace.read_text().splitlines() if line.strip()]
    summary = summarize(events)
    print(f"machine: {describe()}; model {args.model} int8; "
          f"audio {Path(args.audio).name}; session {session}")
    print(f"{'hop':<28}{'n':>4}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for s in summary:
        print(f"{s.hop:<28}{s.count:>4}{s.p50:>9.2f}{s.p95:>9.2f}{s.max:>9.2f}")
    total = next((s for s in summary if s.hop == TOTAL), None)
    if total is not None:
        print(f"word end -> caption on frame: p50 {total.p50:.2f} s = {total.p50 / TARGET_P50:.2f}x the 3 s target; "
              f"p95 {total.p95:.2f} s")
    for name, values in (("word end -> stable on screen", stable_words(events)),
                         ("sentence end -> translation on screen", translation_on_screen(events))):
        figures = spread(values)
        print(f"{name}: p50 {figures['p50']:.2f} s, p95 {figures['p95']:.2f} s, max {figures['max']:.2f} s, n {figures['n']}")
    for stage in chain.stages:
        if stage.rss:
            print(f"peak RSS {stage.name:<11}{max(r for _, r in stage.rss) / 2**20:8.0f} MiB")
    print(f"trace: {trace}")


if __name__ == "__main__":
    main()
