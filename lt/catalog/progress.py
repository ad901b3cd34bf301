"""Download progress on stderr: a rich bar on a terminal, one line per file otherwise."""

from __future__ import annotations

import sys
import time


def progress_for(quiet: bool = False):
    """The progress display that suits stderr now."""
    if quiet:
        return Silent()
    if sys.stderr.isatty():
        return Bar()
    return Lines()


class Silent:
    def start(self, label: str, total: int | None, done: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self, label: str, message: str) -> None:
        pass

    def close(self) -> None:
        pass


class Lines(Silent):
    """For logs and pipes: nothing animated, one line when each file is done."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self._started = time.monotonic()

    def start(self, label: str, total: int | None, done: int) -> None:
        self._started = time.monotonic()

    def finish(self, label: str, message: str) -> None:
        seconds = time.monotonic() - self._started
        print(f"{label}: {message} ({seconds:.1f} s)", file=self.stream, flush=True)


class Bar(Silent):
    """A rich progress bar per file: bytes, speed and time left."""

    def __init__(self):
        from rich.console import Console
        from rich.progress import (
            BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn,
        )

        self._console = Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), console=self._console, transient=True,
        )
        self._progress.start()
        self._task = None

    def start(self, label: str, total: int | None, done: int) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(label, total=total, completed=done)

    def advance(self, n: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def finish(self, label: str, message: str) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None
        self._progress.console.print(f"{label}: {message}", markup=False, highlight=False)

    def close(self) -> None:
        self._progress.stop()
