"""Whether other work is taking the CPU from the decoder, from the kernel's own count.

Linux counts, per thread, the time it ran and the time it was ready to run but
waited for a CPU (`/proc/self/task/*/schedstat`). Over the time since the last
decode, the share of the process's runnable time spent waiting is the share
other work took: near 0 on a quiet machine, about 0.4 with two busy loops
beside a one-thread decoder on two cores. A thread asleep (on input, on
another thread) counts neither way, so the share does not depend on how many
threads decode. Where the count is not there (not Linux), nothing is measured
and the machine counts as quiet.
"""

from __future__ import annotations

import os
from collections.abc import Callable

BUSY = 0.2  # waiting this share of the time (smoothed over decodes), the machine is busy ...
QUIET = 0.1  # ... and quiet again once under this
SMOOTHING = 0.3  # weight of the newest decode's share
TASKS = "/proc/self/task"


def cpu_times() -> tuple[float, float] | None:
    """Seconds this process's threads have run and have waited for a CPU, summed; None where unknown."""
    ran = waited = 0
    try:
        threads = os.listdir(TASKS)
    except OSError:
        return None
    for thread in threads:
        try:
            with open(f"{TASKS}/{thread}/schedstat") as f:
                on_cpu, on_queue, _ = f.read().split()
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
        ran += int(on_cpu)
        waited += int(on_queue)
    return ran / 1e9, waited / 1e9


class Contention:
    """`update()` after each decode: the smoothed share of waiting, and whether the machine is busy."""

    def __init__(self, read: Callable[[], tuple[float, float] | None] = cpu_times):
        self.read = read
        self.share = 0.0
        self.busy = False
        self._last = read()

    def update(self) -> bool:
        now = self.read()
        last, self._last = self._last, now
        if now is None or last is None:
            return self.busy
        ran, waited = now[0] - last[0], now[1] - last[1]
        if ran < 0 or waited < 0 or ran + waited <= 0:  # a thread ended and took its count with it
            return self.busy
        self.share += SMOOTHING * (waited / (ran + waited) - self.share)
        if self.share >= BUSY:
            self.busy = True
        elif self.share < QUIET:
            self.busy = False
        return self.busy
