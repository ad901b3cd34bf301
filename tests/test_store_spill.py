"""Spilling when the disk is full or read-only: space checked first, each file whole (never a truncated
last line), what does not fit goes to the next folder, and the message says exactly what went where.

The full and read-only folders are small tmpfs mounts, which needs root; skipped otherwise.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from db_fixtures import ndjson, stream
from history import History, assert_kept, check

from lt.db.spill import RESERVE_BYTES

UNREACHABLE = "postgresql://lt@127.0.0.1:1/lt"


@pytest.fixture
def mount_tmpfs():
    mounted: list[Path] = []

    def mount(path: Path, size: int, *, read_only: bool = False) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a small tmpfs needs root")
        path.mkdir(parents=True, exist_ok=True)
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], check=False)


def _events(session: str) -> bytes:
    events = stream(session, 100)
    for event in events:
        if "text" in event:
            event["text"] = f"{event['text']} " + "x" * 8000  # ~ 3 MB in all
    return ndjson(events)


def _store(data: bytes, home: Path, fallback: Path) -> tuple[int, str]:
    env = {**os.environ, "LT_HOME": str(home), "LT_SPILL_DIR": str(fallback), "LT_DATABASE_URL": UNREACHABLE}
    done = subprocess.run([sys.executable, "-m", "lt", "store", "--retry-for", "0.5"], input=data,
                          capture_output=True, env=env, timeout=60)
    return done.returncode, done.stderr.decode()


def _files(message: str) -> list[Path]:
    return [Path(p) for p in dict.fromkeys(re.findall(r"(/\S+\.ndjson)", message))]


def _whole_lines(path: Path) -> None:
    data = path.read_bytes()
    assert data.endswith(b"\n") and not list(path.parent.glob(".*.part")), f"{path} is not whole"


def test_a_full_spill_folder_overflows_into_the_next(mount_tmpfs, tmp_path):
    data = _events(f"spill-{uuid.uuid4().hex[:8]}")
    home = tmp_path / "home"
    mount_tmpfs(home / "spill", RESERVE_BYTES + (1 << 20))
    code, message = _store(data, home, tmp_path / "fallback")
    assert code == 4, message
    files = _files(message)
    assert [f.parent for f in files] == [home / "spill", tmp_path / "fallback"], message
    counts = [int(n) for n in re.findall(r"(\d+) to /", message)]
    assert sum(counts) == len(data.splitlines()) and all(counts), message
    for path, count in zip(files, counts):
        _whole_lines(path)
        assert len(path.read_bytes().splitlines()) == count
    assert_kept(History().add_lines(data.splitlines()), files=files)


def test_a_read_only_spill_folder_is_skipped_and_said(mount_tmpfs, tmp_path):
    data = _events(f"spill-{uuid.uuid4().hex[:8]}")
    home = tmp_path / "home"
    mount_tmpfs(home / "spill", 8 << 20, read_only=True)
    code, message = _store(data, home, tmp_path / "fallback")
    assert code == 4, message
    assert "Read-only file system" in message
    (spill,) = _files(message)
    _whole_lines(spill)
    assert_kept(History().add_lines(data.splitlines()), files=[spill])


def test_no_room_anywhere_counts_what_was_not_kept(mount_tmpfs, tmp_path):
    data = _events(f"spill-{uuid.uuid4().hex[:8]}")
    home = tmp_path / "home"
    mount_tmpfs(home / "spill", RESERVE_BYTES + (1 << 20))
    mount_tmpfs(tmp_path / "fallback", 8 << 20, read_only=True)
    code, message = _store(data, home, tmp_path / "fallback")
    assert code == 4, message
    assert "Fatal" not in message and "unexpected" not in message
    (spill,) = _files(message)
    _whole_lines(spill)
    kept = len(spill.read_bytes().splitlines())
    lost = int(re.search(r"(\d+) events could not be kept anywhere \(input lines (\d+)-(\d+)\)", message).group(1))
    assert kept + lost == len(data.splitlines())
    report = check(History().add_lines(data.splitlines()), files=[spill])
    assert len(report.lost) == lost and report.found == kept
