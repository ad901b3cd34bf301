"""Run lt stages as separate processes joined by real pipes, as a shell would, and watch them.

Used by the end-to-end and soak tests and by the bench scripts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Stage:
    args: list[str]
    process: subprocess.Popen | None = None
    stderr_path: Path | None = None
    rss: list[tuple[float, int]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return Path(self.args[1]).stem if self.external else self.args[0]

    @property
    def external(self) -> bool:
        """A stage given as a whole command line (`[sys.executable, "tests/feeder.py", ...]`), not lt's."""
        return self.args[0] == sys.executable

    @property
    def command(self) -> list[str]:
        return self.args if self.external else [sys.executable, "-m", "lt", *self.args]

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path else ""


class Chain:
    """`lt A | lt B | ...`: each stage a process; the last one's stdout goes to `stdout_path`.

    `group`: the stages share a process group of their own, as a shell's pipeline does, so
    `interrupt()` is a Ctrl-C at the terminal."""

    def __init__(self, *stages: list[str], stdout_path: Path | None = None, env: dict | None = None, group: bool = False):
        self.stages = [Stage(list(args)) for args in stages]
        self.stdout_path = stdout_path
        self.group = group
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self._logs = Path(tempfile.mkdtemp(prefix="lt-chain-"))
        self._sampler: threading.Thread | None = None
        self._stop = threading.Event()
        self.started = 0.0

    def start(self, sample_every: float | None = None) -> "Chain":
        self.started = time.monotonic()
        upstream = None
        out = open(self.stdout_path, "wb") if self.stdout_path else subprocess.DEVNULL
        for i, stage in enumerate(self.stages):
            last = i == len(self.stages) - 1
            stage.stderr_path = self._logs / f"{i}-{stage.name}.stderr"
            stage.process = subprocess.Popen(
                stage.command,
                stdin=upstream or subprocess.DEVNULL,
                stdout=out if last else subprocess.PIPE,
                stderr=open(stage.stderr_path, "wb"),
                env=self.env,
                process_group=(self.stages[0].process.pid if i else 0) if self.group else None,
            )
            if upstream is not None:
                upstream.close()  # only the child holds it now, so a dead reader gives its writer EPIPE
            upstream = stage.process.stdout
        if sample_every:
            self._sampler = threading.Thread(target=self._sample, args=(sample_every,), daemon=True)
            self._sampler.start()
        return self

    def _sample(self, every: float) -> None:
        import psutil

        while not self._stop.wait(every):
            now = time.monotonic() - self.started
            for stage in self.stages:
                try:
                    stage.rss.append((now, psutil.Process(stage.process.pid).memory_info().rss))
                except psutil.Error:
                    continue

    def kill(self, index: int, sig: int = signal.SIGKILL) -> None:
        self.stages[index].process.send_signal(sig)

    def interrupt(self, sig: int = signal.SIGINT) -> None:
        """The signal to every stage at once, as Ctrl-C at a terminal sends SIGINT to the pipeline's group."""
        os.killpg(self.stages[0].process.pid, sig)

    def wait(self, timeout: float = 600) -> list[int]:
        deadline = time.monotonic() + timeout
        try:
            codes = [stage.process.wait(timeout=max(1.0, deadline - time.monotonic())) for stage in self.stages]
        finally:
            self._stop.set()
            for stage in self.stages:
                if stage.process.poll() is None:
                    stage.process.kill()
        return codes

    def wait_or_exit(self, timeout: float = 600) -> None:
        """For the bench scripts: wait; if a stage failed, show each stage's exit code and the end of
        its stderr, and exit 1."""
        if self.wait(timeout) != [0] * len(self.stages):
            for stage in self.stages:
                print(f"--- {stage.name} exited {stage.process.returncode}\n{stage.stderr()[-1500:]}", file=sys.stderr)
            sys.exit(1)
