"""Spill files: what `lt store` read but could not store, as NDJSON that `lt store` accepts again.

Each line is written as it came (a dead letter's too, so replaying a spill
dead-letters it again). A file appears whole or not at all: it is written
under a temporary name, synced, then renamed, so a full disk never leaves a
truncated last line. Before writing, the free space of a folder is checked;
what does not fit goes to the next folder: `LT_HOME/spill`, then
`LT_SPILL_DIR`, by default `lt-spill-UID` in the temporary directory. What fits nowhere is
counted, with its input line numbers, in the message: nothing is dropped
silently.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lt.db.rows import Item
from lt.home import lt_home

log = logging.getLogger("lt.store")

# Left free on a file system after a spill, so the spill does not take the last bytes others need.
RESERVE_BYTES = 1 << 20


@dataclass
class Spilled:
    files: list[tuple[Path, int]] = field(default_factory=list)  # each file and how many lines it holds
    lost: list[int] = field(default_factory=list)  # input line numbers that fit nowhere
    problems: list[str] = field(default_factory=list)  # why a folder took nothing, or not all

    @property
    def kept(self) -> int:
        return sum(count for _, count in self.files)

    def __str__(self) -> str:
        parts = []
        if len(self.files) == 1:
            parts.append(f"{self.kept} events not stored were written to {self.files[0][0]}")
        elif self.files:
            parts.append(f"{self.kept} events not stored were written: " + " and ".join(
                f"{count} to {path}" for path, count in self.files))
        if self.lost:
            parts.append(f"{len(self.lost)} events could not be kept anywhere (input lines {_ranges(self.lost)})")
        if self.problems:
            parts.append("; ".join(self.problems))
        return "; ".join(parts) or "no events were waiting to be stored"

    def replay_hint(self) -> str:
        return " && ".join(f"lt store < {path}" for path, _ in self.files)


def folders() -> list[Path]:
    """Where spills go, in order of preference."""
    second = os.environ.get("LT_SPILL_DIR") or Path(tempfile.gettempdir()) / f"lt-spill-{os.getuid()}"
    return list(dict.fromkeys([lt_home() / "spill", Path(second)]))


def spill(items: Sequence[Item], places: Sequence[Path] | None = None) -> Spilled:
    """Write `items` (in order) to the first folders with room; what was kept where, and what was not."""
    result = Spilled()
    lines = [item.spilled() for item in items]
    start = 0
    for folder in places if places is not None else folders():
        if start == len(lines):
            break
        try:
            path, count = _write(folder, lines[start:])
        except OSError as exc:
            result.problems.append(f"{folder}: {exc.strerror or exc}")
            continue
        result.files.append((path, count))
        if start + count < len(lines):
            result.problems.append(f"{folder}: room for {count} of {len(lines) - start}")
        start += count
    result.lost = [item.line for item in items[start:]]
    return result


def _write(folder: Path, lines: list[bytes]) -> tuple[Path, int]:
    """The lines that fit, as one file written atomically in `folder`; OSError when none fits."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stats = os.statvfs(folder)
    if stats.f_flag & os.ST_RDONLY:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))
    room = stats.f_bavail * stats.f_frsize - RESERVE_BYTES
    count, size = 0, 0
    for line in lines:
        if size + len(line) > room:
            break
        size += len(line)
        count += 1
    if count == 0:
        raise OSError(errno.ENOSPC, f"no room ({max(0, room + RESERVE_BYTES)} bytes free, {len(lines[0])} needed)")
    path = folder / f"store-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}.ndjson"
    temporary = path.with_name(f".{path.name}.part")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.writelines(lines[:count])
            out.flush()
            os.fsync(out.fileno())
        os.rename(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(folder)
    return path, count


def _sync_folder(folder: Path) -> None:
    """Make the rename durable too (a crash right after could otherwise lose the file's name)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        log.debug("syncing %s: %s", folder, exc)
    finally:
        os.close(fd)


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 7 -> '1-3, 7' (at most a few ranges, then a count)."""
    ranges: list[str] = []
    first = previous = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == previous + 1:
            previous = n
            continue
        ranges.append(str(first) if first == previous else f"{first}-{previous}")
        if n is not None:
            first = previous = n
    shown = ", ".join(ranges[:5])
    return shown + (f" and {len(ranges) - 5} more ranges" if len(ranges) > 5 else "")
