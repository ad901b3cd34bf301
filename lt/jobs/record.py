"""The `job_runs` row of a running job: its step, progress, model, timings and error.

Progress is a percent of the whole job. Reading the audio is the first 5 %,
transcribing up to 85 %, translating and storing the rest, counted by the
finals committed. Whisper's batch decode says nothing until it is done, so
while it runs the percent is an estimate from the audio's length and the
speed this worker measured on its last job with the same model. Writes are
throttled (at most one a second, besides step changes), and the estimate is
refreshed by a small thread while the decode runs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from lt.errors import redact
from lt.jobs.spec import JobSpec

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("lt.worker")

STEPS = ("capture", "transcribe", "translate", "store")
# Where each step starts and ends, in percent of the job.
SHARES = {"capture": (0.0, 5.0), "transcribe": (5.0, 85.0), "translate": (85.0, 100.0), "store": (85.0, 100.0)}
WRITE_EVERY_S = 1.0
# Real-time factors assumed for a model this worker has not run yet (a 2-core CPU, int8).
GUESSED_RTF = {"tiny.en": 0.08, "tiny": 0.08, "base": 0.2, "base.en": 0.2, "small": 0.6}
_measured_rtf: dict[str, float] = {}

_BEGIN = """
INSERT INTO job_runs AS r (job_id, kind, input, session, source_session, step, percent, attempt, worker, started_at, updated_at)
VALUES (%(job_id)s, %(kind)s, %(input)s, %(session)s, %(source_session)s, 'starting', 0, %(attempt)s, %(worker)s, now(), now())
ON CONFLICT (job_id) DO UPDATE SET step = 'starting', percent = 0, steps = '{}', counts = '{}', fallbacks = '[]',
    model = NULL, error = NULL, attempt = excluded.attempt, worker = excluded.worker, started_at = now(), updated_at = now()
"""


class JobRecord:
    def __init__(self, conn: psycopg.Connection, job_id: int, spec: JobSpec):
        self.conn = conn
        self.job_id = job_id
        self.spec = spec
        self.step = "starting"
        self.percent = 0.0
        self.steps: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._written = 0.0
        self._decode: tuple[float, float] | None = None  # (began, expected seconds)
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    def begin(self, attempt: int, worker: str) -> None:
        spec = self.spec
        self._execute(_BEGIN, {
            "job_id": self.job_id, "kind": spec.kind, "input": spec.input, "session": spec.session,
            "source_session": spec.input if spec.kind == "session" else None, "attempt": attempt, "worker": worker,
        })

    def enter(self, step: str) -> None:
        self.step = step
        self.percent = max(self.percent, SHARES[step][0])
        self._write(force=True)

    def finished_step(self, step: str, seconds: float, **details: Any) -> None:
        self.steps[step] = {"seconds": round(seconds, 3), **details}
        self.percent = max(self.percent, SHARES[step][1])
        self._write(force=True)

    def model(self, model: str, fallbacks: list[dict[str, str]]) -> None:
        self._execute(
            "UPDATE job_runs SET model = %s, fallbacks = %s::jsonb, updated_at = now() WHERE job_id = %s",
            (model, json.dumps(fallbacks), self.job_id),
        )

    def decoding(self, model: str, audio_seconds: float) -> None:
        """The decode of `audio_seconds` began: estimate its progress on a thread until `decoded`."""
        rtf = _measured_rtf.get(model, GUESSED_RTF.get(model, 0.5))
        self._decode = (time.monotonic(), max(0.1, audio_seconds * rtf))
        self._ticker = threading.Thread(target=self._tick, daemon=True, name=f"lt-job-{self.job_id}-progress")
        self._ticker.start()

    def decoded(self, model: str, audio_seconds: float, seconds: float) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if audio_seconds > 0:
            _measured_rtf[model] = seconds / audio_seconds

    def _tick(self) -> None:
        low, high = SHARES["transcribe"]
        while not self._stop.wait(WRITE_EVERY_S):
            began, expected = self._decode
            # Never claims the decode is done before it is: at most 95 % of its share.
            fraction = min(0.95, (time.monotonic() - began) / expected)
            self.percent = max(self.percent, low + (high - low) * fraction)
            self._write()

    def stored(self, done: float, counts: dict[str, int]) -> None:
        """Events committed: the last part of the job advances with the share `done` of them."""
        low, high = SHARES["store"]
        self.counts = dict(counts)
        self.percent = max(self.percent, low + (high - low) * min(1.0, done) * 0.99)
        self._write()

    def succeeded(self) -> None:
        self.step, self.percent = "done", 100.0
        self._write(force=True)

    def failed(self, message: str) -> None:
        self._stop.set()
        self._execute(
            "UPDATE job_runs SET error = %s, steps = %s::jsonb, counts = %s::jsonb, updated_at = now() WHERE job_id = %s",
            (message, json.dumps(self.steps), json.dumps(self.counts), self.job_id),
        )

    def _write(self, force: bool = False) -> None:
        """Progress is for people watching: a write that fails is logged, and the job goes on."""
        import psycopg

        now = time.monotonic()
        if not force and now - self._written < WRITE_EVERY_S:
            return
        self._written = now
        try:
            self._progress()
        except psycopg.Error as exc:
            log.debug("job %d: progress not recorded: %s", self.job_id, redact(str(exc)).strip())

    def _progress(self) -> None:
        self._execute(
            "UPDATE job_runs SET step = %s, percent = %s, steps = %s::jsonb, counts = %s::jsonb, updated_at = now() "
            "WHERE job_id = %s",
            (self.step, round(min(self.percent, 100.0), 1), json.dumps(self.steps), json.dumps(self.counts), self.job_id),
        )

    def _execute(self, sql: str, params: Any) -> None:
        with self._lock:
            self.conn.execute(sql, params)
