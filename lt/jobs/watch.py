"""`lt jobs watch`: the jobs' progress, as a live table on a terminal, as lines in a pipe.

On a terminal the table is redrawn every interval until no job shown is
queued or running. In a pipe, a line (id, state, step, percent) is printed
whenever one of them changes, so a log keeps the history.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from lt.jobs.listing import active

STATE_STYLES = {"queued": "dim", "running": "cyan", "succeeded": "green", "failed": "bold red", "cancelled": "yellow", "aborted": "yellow"}


def table(jobs: Sequence[dict[str, Any]]) -> Table:
    grid = Table(title=_title(jobs), title_justify="left", expand=False)
    for name in ("job", "state", "input", "step", "progress", "try", "model", "time", "session / error"):
        grid.add_column(name, no_wrap=name in ("job", "progress"), overflow="fold")
    for job in jobs:
        detail = Text(job["error"], style="red") if job["error"] else Text(job["session"] or "")
        grid.add_row(
            str(job["id"]),
            Text(job["state"], style=STATE_STYLES.get(job["state"], "")),
            Text(short_input(job)),
            Text(job["step"] or "–"),
            _bar(job),
            f"{job['attempt']}/{job['attempts_allowed']}" if job["attempt"] else "–",
            Text(model_label(job)),
            "–" if job["seconds"] is None else f"{job['seconds']:.0f} s",
            detail,
        )
    return grid


def _bar(job: dict[str, Any]) -> Table:
    cell = Table.grid(padding=(0, 1))
    cell.add_row(ProgressBar(total=100, completed=job["percent"], width=20), f"{job['percent']:5.1f}%")
    return cell


def _title(jobs: Sequence[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job["state"]] = counts.get(job["state"], 0) + 1
    return "jobs: " + (", ".join(f"{n} {state}" for state, n in counts.items()) or "none")


def short_input(job: dict[str, Any]) -> str:
    text = job["input"] or ""
    return os.path.basename(text) if job["kind"] == "file" and "://" not in text else text


def model_label(job: dict[str, Any]) -> str:
    if not job["model"]:
        return "–"
    fell = [f["model"] for f in job["fallbacks"]]
    return f"{job['model']} (after {', '.join(fell)})" if fell else job["model"]


def watch_live(fetch: Callable[[], list[dict[str, Any]]], console: Console, interval: float) -> list[dict[str, Any]]:
    from rich.live import Live

    jobs = fetch()
    with Live(table(jobs), console=console, refresh_per_second=4, transient=False) as live:
        while active(jobs):
            time.sleep(interval)
            jobs = fetch()
            live.update(table(jobs))
    return jobs


def watch_lines(fetch: Callable[[], list[dict[str, Any]]], write: Callable[[str], None], interval: float) -> list[dict[str, Any]]:
    seen: dict[int, tuple] = {}
    while True:
        jobs = fetch()
        for job in sorted(jobs, key=lambda j: j["id"]):
            state = (job["state"], job["step"], round(job["percent"]))
            if seen.get(job["id"]) != state:
                seen[job["id"]] = state
                write("\t".join([str(job["id"]), job["state"], job["step"] or "-", f"{job['percent']:.0f}%", short_input(job)]))
        if not active(jobs):
            return jobs
        time.sleep(interval)
