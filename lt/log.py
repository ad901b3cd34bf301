"""Diagnostics go to stderr, never stdout: a rich console on a terminal, plain lines in a pipe."""

from __future__ import annotations

import functools
import logging
import sys

from rich.console import Console


@functools.cache
def stderr_console() -> Console:
    # rich honours NO_COLOR by itself; highlight=False keeps numbers in messages uncoloured.
    return Console(stderr=True, highlight=False)


def setup_logging(verbosity: int) -> None:
    """verbosity: -1 quiet (warnings and errors), 0 normal (plus summaries), 1+ verbose (debug)."""
    level = {-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG)
    root = logging.getLogger("lt")
    root.handlers.clear()
    handler = _TerminalHandler() if sys.stderr.isatty() else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


class _TerminalHandler(logging.Handler):
    """A coloured level, then the message as one logical line: the terminal wraps it where it must,
    so a command in a hint is never broken by an inserted newline and copies whole."""

    STYLES = {logging.DEBUG: "dim", logging.INFO: "blue", logging.WARNING: "yellow", logging.ERROR: "bold red"}

    def emit(self, record: logging.LogRecord) -> None:
        from rich.text import Text

        try:
            level = Text(f"{record.levelname:<8}", style=self.STYLES.get(record.levelno, "bold red"))
            stderr_console().print(level, self.format(record), soft_wrap=True, markup=False)
        except Exception:
            self.handleError(record)


def stderr_is_live() -> bool:
    """Animated output (progress bars) only when a person is watching stderr."""
    return sys.stderr.isatty() and logging.getLogger("lt").level <= logging.INFO
