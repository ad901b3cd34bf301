"""One way to stop on Ctrl-C or SIGTERM: finish what was read, then exit with the signal's code.

A stage that reads events (through lt.ndjson) is not aborted by the first
signal: its input ends instead. On a pipe the reader goes on reading until the
stage before closes it (when the whole pipeline is interrupted, that stage got
the signal too and is passing on what it had read) or until the grace time
(`LT_SHUTDOWN_GRACE`, default 5 s) is up; a file or a terminal ends at once.
The stage then passes on, or stores, everything it read, as at the end of its
input, and exits 130 (SIGINT) or 143 (SIGTERM). A second signal aborts at once
with KeyboardInterrupt or Terminated, which the stages handle as before (the
store spills what it could not commit).

Stages that read no events (capture, transcribe, the query commands) are
aborted by the first signal, as they always were.

The reader waits in select() on its input and on a pipe that the handler
writes to, never inside a buffered file object: a thread blocked in
BufferedReader.read holds its lock, and Python aborts at exit ("Fatal Python
error: _enter_buffered_busy") when it finds it held.
"""

from __future__ import annotations

import os
import select
import signal
import stat
import time

from lt.errors import ExitCode, Terminated

DEFAULT_GRACE_S = 5.0
_CODES = {signal.SIGINT: ExitCode.INTERRUPTED, signal.SIGTERM: ExitCode.TERMINATED}

_received: int | None = None  # the first signal, once a stage chose to finish on it
_deadline = 0.0
_finishing = False
_wake: tuple[int, int] | None = None  # the pipe the handler writes to, so waiting readers look up


def install() -> None:
    """Handle SIGINT and SIGTERM in this process (the `lt` command; never in a library caller)."""
    global _wake
    if _wake is None:
        _wake = os.pipe()
        os.set_blocking(_wake[1], False)
    for signum in _CODES:
        signal.signal(signum, _on_signal)


def finish_on_signal() -> None:
    """From now on the first signal ends this stage's input instead of aborting it."""
    global _finishing
    _finishing = True


def grace() -> float:
    try:
        return max(0.0, float(os.environ.get("LT_SHUTDOWN_GRACE", DEFAULT_GRACE_S)))
    except ValueError:  # read inside the signal handler: a typo must not turn into a crash there
        return DEFAULT_GRACE_S


def _on_signal(signum: int, frame: object) -> None:
    global _received, _deadline
    if not _finishing or _received is not None:
        raise KeyboardInterrupt() if signum == signal.SIGINT else Terminated()
    _received = signum
    _deadline = time.monotonic() + grace()
    try:
        os.write(_wake[1], b"!")
    except OSError:  # the pipe is full of earlier wake-ups: readers are awake already
        pass


def requested() -> bool:
    """A signal asked this stage to finish."""
    return _received is not None


def overdue() -> bool:
    """The grace time after the signal is up: skip what can be skipped (translating), just pass on."""
    return _received is not None and time.monotonic() >= _deadline


def exit_code() -> ExitCode | None:
    return _CODES.get(_received) if _received is not None else None


def wait_readable(fd: int) -> bool:
    """Wait until `fd` has data or has ended; False when the input should end now (a signal asked)."""
    try:
        return _wait(fd)
    except (OSError, ValueError):  # no select() for this descriptor (a pipe on Windows): read blocks instead
        return _received is None


def _wait(fd: int) -> bool:
    while _received is None:
        watched = [fd] if _wake is None else [fd, _wake[0]]
        ready, _, _ = select.select(watched, [], [])
        if fd in ready:
            return True
    if not _is_stream(fd):
        return False
    left = _deadline - time.monotonic()
    return left > 0 and bool(select.select([fd], [], [], left)[0])


def _is_stream(fd: int) -> bool:
    """A pipe or a socket: a stage before may still be passing on what it read."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
