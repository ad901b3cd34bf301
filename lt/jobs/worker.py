"""`lt worker`: a procrastinate worker that runs lt's jobs, N at a time.

Each worker has a heartbeat in the database. A worker whose heartbeat is
older than `stalled_after` is taken for dead (killed, or its machine lost):
every worker looks for such jobs when it starts and then regularly, and puts
them back on the queue, to run again from the start into the same session.

`once`: work until no job is waiting on the worker's queues (retries
scheduled for later count as waiting) and none of its own is running, then
stop; the exit code is 3 when a job it ran failed for good (its input was
rejected, or its retries ran out), as for any stage that rejected input.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from dataclasses import dataclass

from lt.db.connect import Target
from lt.errors import ExitCode
from lt.jobs.queue import QUEUE, dead_here, make_app, requeue_stalled

log = logging.getLogger("lt.worker")

ONCE_POLL_S = 1.0


@dataclass(frozen=True)
class WorkerSettings:
    concurrency: int = 1
    queues: tuple[str, ...] = (QUEUE,)
    once: bool = False
    stalled_after: float = 30.0
    device: str = "auto"
    compute_type: str = "auto"

    @property
    def heartbeat(self) -> float:
        return max(0.2, self.stalled_after / 4)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(target: Target, settings: WorkerSettings) -> int:
    """Run until stopped (or, with `once`, until the queues are empty); the exit code."""
    return asyncio.run(_Worker(target, settings).run())


class _Worker:
    def __init__(self, target: Target, settings: WorkerSettings):
        from lt.jobs.engines import EnginePool
        from lt.jobs.run import Runtime

        self.target = target
        self.settings = settings
        self.runtime = Runtime(target, EnginePool(settings.device, settings.compute_type), worker_name())
        self.app = make_app(target, pool_size=settings.concurrency + 3)
        self.signals = 0
        self.code = ExitCode.OK

    async def run(self) -> int:
        from procrastinate.worker import Worker

        from lt.jobs.tasks import failed_jobs

        s = self.settings
        async with self.app.open_async():
            self.worker = Worker(
                app=self.app, queues=list(s.queues), name=self.runtime.worker, concurrency=s.concurrency,
                wait=True, fetch_job_polling_interval=1.0 if s.once else 5.0, abort_job_polling_interval=1.0,
                additional_context={"runtime": self.runtime}, install_signal_handlers=False,
                update_heartbeat_interval=s.heartbeat, stalled_worker_timeout=s.stalled_after,
            )
            self._on_signals()
            await self._requeue()
            log.info(
                "worker %s on queue %s, %d job(s) at a time%s", self.runtime.worker, ",".join(s.queues),
                s.concurrency, "; until the queue is empty" if s.once else "",
            )
            side = asyncio.create_task(self._until_empty() if s.once else self._keep_requeueing())
            try:
                await self.worker.run()
            finally:
                side.cancel()
        if self.code == ExitCode.OK and self.settings.once and failed_jobs(self.app):
            return ExitCode.REJECTED_INPUT
        return self.code

    async def _requeue(self) -> None:
        own = self.worker.worker_id
        for job_id in await requeue_stalled(self.app, self.settings.stalled_after, self.settings.queues, own):
            log.warning("job %d: its worker stopped sending heartbeats; queued again", job_id)

    async def _keep_requeueing(self) -> None:
        while True:
            await asyncio.sleep(self.settings.stalled_after / 2)
            await self._requeue()

    async def _until_empty(self) -> None:
        while True:
            await asyncio.sleep(ONCE_POLL_S)
            await self._requeue()
            if not await self._waiting():
                log.info("no job left on queue %s: stopping", ",".join(self.settings.queues))
                self.worker.stop()
                return

    async def _waiting(self) -> int:
        """Jobs still to run here: queued ones, this worker's, and those of a dead worker of this
        host, which go back on the queue once its heartbeat is missed."""
        rows = await self.app.connector.execute_query_all_async(
            "SELECT j.status, j.worker_id, r.worker FROM procrastinate_jobs j LEFT JOIN job_runs r ON r.job_id = j.id "
            "WHERE j.queue_name = ANY(%(queues)s) AND j.status IN ('todo', 'doing')",
            queues=list(self.settings.queues),
        )
        own = self.worker.worker_id
        return sum(
            row["status"] == "todo" or row["worker_id"] == own or dead_here(row["worker"])
            for row in rows
        )

    def _on_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for signum, code in ((signal.SIGINT, ExitCode.INTERRUPTED), (signal.SIGTERM, ExitCode.TERMINATED)):
            loop.add_signal_handler(signum, self._stop, code)

    def _stop(self, code: ExitCode) -> None:
        """The first signal lets running jobs finish; a second stops at once (they run again later)."""
        self.signals += 1
        self.code = code
        if self.signals == 1:
            log.warning("stopping once the running jobs finish (signal again to stop now; they would be retried)")
            self.worker.stop()
        else:
            log.warning("stopping now: the running jobs are queued again when this worker's heartbeat is missed")
            os._exit(code)
