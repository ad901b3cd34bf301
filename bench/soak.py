"""Soak: a long stream of speech through the whole chain, without real-time pacing.

    .venv/bin/python bench/soak.py [--minutes 60] [--model tiny.en] [--csv rss.csv]

    lt capture examples/meeting.wav --loop --duration MINUTES*60 | lt transcribe --mode stream
      | lt translate --to pt | lt store --tee | lt overlay --sink null --clock events --trace TRACE

Samples every stage's resident memory every few seconds (the RSS curve goes
to --csv), then reports per stage: the median RSS over the first tenth of the
run (after start-up), the tenth before the middle and the last tenth (flat =
no growth), the latency of each hop in the
first and the last quarter of the audio (no growth in latency), and from the
database: finals stored, and finals stored more than once (must be 0).
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
from lt.latency import summarize  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--min-chunk", default="2")
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lt-soak-"))
    trace = work / "frames.ndjson"
    session = "soak-" + new_session_id()
    seconds = args.minutes * 60
    chain = Chain(
        ["capture", str(ROOT / "examples" / "meeting.wav"), "--loop", "--duration", str(seconds)],
        ["transcribe", "--model", args.model, "--mode", "stream", "--language", "en", "--min-chunk", args.min_chunk],
        ["translate", "--to", "pt"],
        ["store", "--tee"],
        ["overlay", "--sink", "null", "--clock", "events", "--size", "1280x720", "--trace", str(trace)],
        env={"LT_SESSION": session, "HF_HUB_OFFLINE": "1"},
    ).start(sample_every=args.every)
    chain.wait_or_exit(timeout=seconds * 3 + 600)
    wall = max(t for stage in chain.stages for t, _ in stage.rss)

    print(f"soak: {args.minutes:g} min of audio, model {args.model}, in {wall / 60:.1f} min; {describe()}")
    print(f"{'stage':<12}{'RSS MiB, 1st tenth':>19}{'middle':>8}{'last tenth':>11}{'growth':>8}")
    for stage in chain.stages:
        at = _rss_at(stage.rss)
        print(f"{stage.name:<12}{at(0.1):>19.0f}{at(0.5):>8.0f}{at(1.0):>11.0f}{at(1.0) - at(0.1):>+8.0f}")
    if args.csv:
        with args.csv.open("w") as out:
            out.write("seconds,stage,rss_mib\n")
            for stage in chain.stages:
                out.writelines(f"{t:.1f},{stage.name},{rss / 2**20:.1f}\n" for t, rss in stage.rss)
        print(f"RSS curve: {args.csv}")

    events = [json.loads(line) for line in trace.read_text().splitlines() if line.strip()]
    first = [e for e in events if (e.get("end") or 0) < seconds / 4]
    last = [e for e in events if (e.get("end") or 0) >= seconds * 3 / 4]
    print(f"{'hop':<12}{'p50 first quarter s':>21}{'p50 last quarter s':>20}")
    early = {s.hop: s for s in summarize(first)}
    for s in summarize(last):
        if s.hop in early:
            print(f"{s.hop:<12}{early[s.hop].p50:>21.2f}{s.p50:>20.2f}")
    _report_storage(session)


def _rss_at(samples: list[tuple[float, int]]):
    """Median RSS (MiB) over the tenth of the run around `fraction`: single samples catch
    a decode's transient buffers, the median shows the level the process returns to."""

    def at(fraction: float) -> float:
        n = len(samples)
        lo = max(0, min(n - 1, int((fraction - 0.1) * n)))
        window = sorted(rss for _, rss in samples[lo:lo + max(1, n // 10)])
        return window[len(window) // 2] / 2**20 if window else float("nan")

    return at


def _report_storage(session: str) -> None:
    from lt.db.connect import connect

    with connect() as conn:
        finals, twice = conn.execute(
            "SELECT count(*), count(*) - count(DISTINCT seg) FROM events"
            " WHERE session = %s AND type = 'transcript' AND final",
            (session,),
        ).fetchone()
        rows = conn.execute("SELECT count(*) FROM transcripts WHERE session = %s", (session,)).fetchone()[0]
    print(f"stored: {finals} final transcripts in the log, {rows} in transcripts, {twice} stored more than once")


if __name__ == "__main__":
    main()
