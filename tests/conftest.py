"""Shared fixtures: an isolated LT_HOME, the example recording, and ways to run lt."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"

pytest_plugins = ["db_fixtures"]


@pytest.fixture(scope="session", autouse=True)
def lt_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One LT_HOME for the whole run, so the user's models and database are never touched,
    while joined models and the embedded database are set up once, not per test."""
    home = Path(os.environ.get("LT_TEST_HOME") or tmp_path_factory.mktemp("lt-home"))
    os.environ["LT_HOME"] = str(home)
    for name in ("LT_SESSION", "LT_ON_BAD", "LT_VERBOSE", "LT_QUIET", "LT_DEBUG"):
        os.environ.pop(name, None)
    return home


@pytest.fixture(scope="session")
def example_wav() -> Path:
    return EXAMPLES / "meeting.wav"


@pytest.fixture(scope="session")
def example_text() -> str:
    return (EXAMPLES / "meeting.txt").read_text().strip()


@dataclass
class Result:
    code: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode()

    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]


def lt(*args: str, input: bytes | None = None, env: dict | None = None, timeout: float = 300) -> Result:
    """Run `python -m lt ARGS` as a real process, through real pipes."""
    proc = subprocess.run(
        [sys.executable, "-m", "lt", *args],
        input=input,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))


@pytest.fixture
def run_lt():
    return lt
