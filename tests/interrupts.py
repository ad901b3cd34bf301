"""A live pipeline interrupted on purpose, and the check that nothing it read was lost.

    feeder (paced recorded events) | lt translate --to pt | lt store --tee | lt overlay --sink null --trace T

`interrupted(...)` starts it, waits until captions reach the overlay, sends a
signal (SIGINT to the whole process group, as Ctrl-C does, or a signal to one
stage) and waits for every stage to exit; then compares what the feeder wrote
with the database (tests/history.py) and checks that every stored final has
its translation or an error event saying why not. Used by
tests/test_signals.py and bench/reliability_soak.py.
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from chain import Chain
from history import History, Report, check, stored_events

FEEDER = Path(__file__).resolve().parent / "feeder.py"
STAGES = ("feeder", "translate", "store", "overlay")
FATAL = ("Fatal Python error", "Traceback", "Exception ignored")


@dataclass
class Outcome:
    codes: dict[str, int]
    stderr: dict[str, str]
    report: Report
    untranslated: list[int]  # segments of stored finals with neither a translation nor an error event
    exit_seconds: float  # from the signal to the last stage's exit

    def problems(self, expected: dict[str, int]) -> list[str]:
        found = [f"{name} exited {self.codes[name]}, not {code}" for name, code in expected.items() if self.codes[name] != code]
        found += [f"{name}: {marker}" for name, text in self.stderr.items() for marker in FATAL if marker in text]
        if not self.report.ok:
            found.append(f"history: {self.report}")
        if self.untranslated:
            found.append(f"finals stored without translation or error: segments {self.untranslated[:10]}")
        return found


def pipeline(session: str, work: Path, *, every: float = 0.004, grace: float | None = None) -> Chain:
    env = {"LT_SESSION": session, "HF_HUB_OFFLINE": "1"}
    if grace is not None:
        env["LT_SHUTDOWN_GRACE"] = str(grace)
    return Chain(
        [sys.executable, str(FEEDER), "--session", session, "--every", str(every), "--history", str(work / "sent.ndjson")],
        ["translate", "--to", "pt"],
        ["store", "--tee", "--flush-ms", "50"],
        ["overlay", "--sink", "null", "--size", "320x180", "--trace", str(work / "trace.ndjson")],
        env=env,
        group=True,
    )


def interrupted(
    conn, session: str, work: Path, *, sig: int = signal.SIGINT, stage: str | None = None,
    run_for: float = 1.0, grace: float | None = None, timeout: float = 90.0,
) -> Outcome:
    """Run the pipeline until captions flow plus `run_for` s, then `sig` to `stage` (None: the whole group)."""
    chain = pipeline(session, work, grace=grace).start()
    try:
        _wait_for_captions(chain, work / "trace.ndjson", timeout)
        time.sleep(run_for)
        if stage is None:
            chain.interrupt(sig)
        else:
            chain.kill(STAGES.index(stage), sig)
        signalled = time.monotonic()
        codes = chain.wait(timeout=timeout)
        exit_seconds = time.monotonic() - signalled
    finally:
        for running in chain.stages:
            if running.process.poll() is None:
                running.process.kill()
    history = History().add_lines((work / "sent.ndjson").read_bytes().splitlines())
    stored = stored_events(conn, [session])
    # Translations and translate's error events are new, made by the pipeline; the rest must be what was sent.
    passed_on = [(i, body) for i, body in stored if body.get("type") not in ("translation", "error")]
    report = check(history, found={"database": passed_on}, unread_tail=stage is not None)
    return Outcome(
        codes=dict(zip(STAGES, codes)),
        stderr={s.name: s.stderr() for s in chain.stages},
        report=report,
        untranslated=_untranslated(stored),
        exit_seconds=exit_seconds,
    )


def expected_codes(sig: int, stage: str | None) -> dict[str, int]:
    """README's table: the signalled stage 128 + signal; before it, a closed pipe (141); after it, a clean end."""
    code = 128 + sig
    if stage is None:
        return dict.fromkeys(STAGES, code)
    at = STAGES.index(stage)
    return {name: 141 if i < at else code if i == at else 0 for i, name in enumerate(STAGES)}


def _wait_for_captions(chain: Chain, trace: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not (trace.exists() and trace.stat().st_size > 0):
        dead = [s for s in chain.stages if s.process.poll() is not None]
        if dead or time.monotonic() > deadline:
            details = "; ".join(f"{s.name} exited {s.process.returncode}: {s.stderr()[-500:]}" for s in dead)
            raise AssertionError(f"no caption reached the overlay ({details or 'timed out'})")
        time.sleep(0.1)


def _untranslated(stored: list[tuple[str, dict]]) -> list[int]:
    finals = {b["seg"] for _, b in stored if b.get("type") == "transcript" and b.get("final") and b.get("text", "").strip()}
    covered = {b.get("seg") for _, b in stored if b.get("type") in ("translation", "error")}
    return sorted(finals - covered)
