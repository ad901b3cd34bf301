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
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(
            console=stderr_console(), show_time=False, show_path=False, markup=False
        )
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def stderr_is_live() -> bool:
    """Animated output (progress bars) only when a person is watching stderr."""
    return sys.stderr.isatty() and logging.getLogger("lt").level <= logging.INFO
