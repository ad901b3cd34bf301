"""What machine a benchmark ran on, for the figures it prints."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def describe() -> str:
    return f"{os.cpu_count()} cores, {cpu_name()}, {platform.machine()}, Python {platform.python_version()}"
