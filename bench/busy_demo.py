"""The demo's pipeline on a busy machine: word end to stable caption, `--adapt` against `--no-adapt`.

    .venv/bin/python bench/busy_demo.py [--rounds 3] [--busy 2] [--audio examples/meeting.wav]

Runs what `scripts/demo.sh` runs, as separate processes joined by pipes:

    lt capture AUDIO --realtime | lt transcribe [--no-adapt] | lt translate --to pt
      | lt store --tee | lt overlay --clock events --sink video --trace TRACE

with `--busy` CPU-bound loops (`python3 -c "while 1: pass"`) beside it, one per
core taken, alternating the two variants round by round so that both see the
same hour's load. After each run the overlay's trace is stored, as the demo
does, and the session's events are read back from the store: the figure is
the demo report's "word end → stable caption" (`lt.latency.stable_words`).
Prints each run (p50, p95, decodes made light, WER of the finals), then the
median p50 of each variant and their ratio (< 1.0: `--adapt` is ahead).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from chain import Chain  # noqa: E402
from machine import describe  # noqa: E402

from lt.events import new_session_id  # noqa: E402
from lt.latency import percentile, stable_words  # noqa: E402
from lt.wer import wer  # noqa: E402

VARIANTS = {"adapt": [], "no-adapt": ["--no-adapt"]}


def lt(*args: str, stdin=None) -> str:
    return subprocess.run([sys.executable, "-m", "lt", *args], stdin=stdin, capture_output=True, text=True, check=True).stdout


def run_once(audio: str, flags: list[str], busy: int, work: Path) -> dict:
    session = "bench-busy-" + new_session_id()
    trace = work / f"{session}.ndjson"
    loops = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(busy)]
    try:
        chain = Chain(
            ["capture", audio, "--realtime"],
            ["transcribe", *flags],
            ["translate", "--to", "pt"],
            ["store", "--tee"],
            ["overlay", "--clock", "events", "--sink", "video", "--out", str(work / f"{session}.mp4"),
             "--audio", audio, "--trace", str(trace)],
            env={"LT_SESSION": session, "HF_HUB_OFFLINE": "1"},
        ).start()
        codes = chain.wait(timeout=600)
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    if codes != [0] * len(codes):
        for stage in chain.stages:
            print(f"--- {stage.name} exited {stage.process.returncode}\n{stage.stderr()[-1500:]}", file=sys.stderr)
        sys.exit(1)
    with open(trace) as frames:
        lt("store", "-q", stdin=frames)
    events = [json.loads(line) for line in lt("replay", session).splitlines() if line.strip()]
    stable = stable_words(events)
    end = next(e for e in events if e.get("type") == "session" and e.get("stage") == "transcribe" and e.get("kind") == "end")
    finals = " ".join(e["text"] for e in events if e.get("type") == "transcript" and e.get("final"))
    return {
        "p50": percentile(stable, 50), "p95": percentile(stable, 95),
        "light": end["stats"].get("light_decodes", 0), "decodes": end["stats"]["decodes"], "finals": finals,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audio", default=str(ROOT / "examples" / "meeting.wav"))
    parser.add_argument("--reference", type=Path, default=ROOT / "examples" / "meeting.txt")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--busy", type=int, default=2, help="CPU-bound loops beside the pipeline")
    args = parser.parse_args()
    reference = args.reference.read_text()
    work = Path(tempfile.mkdtemp(prefix="lt-busy-"))
    print(f"machine: {describe()}; {args.busy} busy loops; audio {Path(args.audio).name}")
    print(f"{'round':<7}{'variant':<10}{'stable p50 s':>13}{'p95 s':>8}{'light decodes':>15}{'WER':>7}")
    p50s: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_ in range(1, args.rounds + 1):
        for name, flags in VARIANTS.items():
            r = run_once(args.audio, flags, args.busy, work)
            p50s[name].append(r["p50"])
            light = f"{r['light']}/{r['decodes']}"
            print(f"{round_:<7}{name:<10}{r['p50']:>13.2f}{r['p95']:>8.2f}{light:>15}{wer(reference, r['finals']):>7.3f}", flush=True)
    medians = {name: statistics.median(values) for name, values in p50s.items()}
    print("median stable p50: " + ", ".join(f"{name} {m:.2f} s" for name, m in medians.items())
          + f"; ratio adapt / no-adapt {medians['adapt'] / medians['no-adapt']:.2f}")


if __name__ == "__main__":
    main()
