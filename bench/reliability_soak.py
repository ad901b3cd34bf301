"""Reliability soak: a live pipeline interrupted again and again; nothing read may be lost.

    .venv/bin/python bench/reliability_soak.py [--ctrl-c 20] [--sigterm 3] [--run-for 1,4]

    tests/feeder.py (paced recorded events) | lt translate --to pt | lt store --tee
      | lt overlay --sink null --trace T

Each round starts the pipeline, lets captions flow for a while (cycling through
--run-for seconds), then sends Ctrl-C to the whole process group (--ctrl-c
rounds) or SIGTERM to one stage, each stage in turn (--sigterm rounds per
stage). Per round it checks the documented exit codes, that no stage wrote
"Fatal Python error", a traceback or "Exception ignored", and, with
tests/history.py, that the database holds every event the feeder wrote (for
SIGTERM to one stage: every event up to the last one stored, with no gap)
and a translation or an error event for every stored final. It prints one
line per round and a summary: rounds clean, events checked, and the time from
the signal to the last stage's exit (p50, max; after SIGTERM to translate or
store, the overlay after it still gives its last captions their reading time).
"Never read" counts lines still in a pipe when the signalled stage stopped
reading: written by the feeder, read by nobody, not a loss of any stage.
Exit status 1 if any round was not clean. tests/test_signals.py runs a few of these rounds in the suite.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from interrupts import expected_codes, interrupted  # noqa: E402
from machine import describe  # noqa: E402

from lt.db.connect import connect, resolve  # noqa: E402
from lt.events import new_session_id  # noqa: E402
from lt.latency import percentile  # noqa: E402


def rounds(ctrl_c: int, sigterm: int) -> list[tuple[int, str | None]]:
    plan: list[tuple[int, str | None]] = [(signal.SIGINT, None)] * ctrl_c
    for _ in range(sigterm):
        plan += [(signal.SIGTERM, stage) for stage in ("translate", "store", "overlay")]
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ctrl-c", type=int, default=20, help="rounds of Ctrl-C to the whole pipeline")
    parser.add_argument("--sigterm", type=int, default=3, help="rounds of SIGTERM to each stage in turn")
    parser.add_argument("--run-for", default="0.5,1,2,4", help="seconds of captions before the signal, cycled")
    parser.add_argument("--grace", type=float, default=1.0, help="LT_SHUTDOWN_GRACE for the SIGTERM rounds")
    args = parser.parse_args()
    waits = [float(x) for x in args.run_for.split(",")]

    print(describe())
    conn = connect(resolve())
    clean, checked, exit_seconds = 0, 0, []
    plan = rounds(args.ctrl_c, args.sigterm)
    for n, (sig, stage) in enumerate(plan):
        work = Path(tempfile.mkdtemp(prefix="lt-reliability-"))
        session = "reliability-" + new_session_id()
        outcome = interrupted(conn, session, work, sig=sig, stage=stage, run_for=waits[n % len(waits)],
                              grace=args.grace if stage else None)
        problems = outcome.problems(expected_codes(sig, stage))
        clean += not problems
        checked += outcome.report.found
        exit_seconds.append(outcome.exit_seconds)
        what = "Ctrl-C to all" if stage is None else f"SIGTERM to {stage}"
        codes = " ".join(f"{name} {code}" for name, code in outcome.codes.items())
        report = outcome.report
        print(f"round {n + 1:2d}/{len(plan)} {what:20s} exit: {codes}; sent {report.sent}, stored {report.found}, "
              f"lost {len(report.lost)}, never read {len(report.unread)}; all exited {outcome.exit_seconds:.2f} s "
              f"after the signal" + ("" if not problems else "\n    PROBLEMS: " + "; ".join(problems)), flush=True)
    print(f"\n{clean}/{len(plan)} rounds clean; {checked} events checked against the database; "
          f"signal to last exit p50 {percentile(exit_seconds, 50):.2f} s, max {max(exit_seconds):.2f} s")
    sys.exit(0 if clean == len(plan) else 1)


if __name__ == "__main__":
    main()
