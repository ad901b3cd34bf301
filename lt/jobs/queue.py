"""The queue itself: a procrastinate App on the database in use, its schema, and the
operations on jobs that are not running a worker (submit, retry, cancel, requeue).

The queue's tables (`procrastinate_jobs`, `procrastinate_events`, ...) live
beside lt's own in the same database; they are created on first use, once,
under an advisory lock so that several processes meeting a fresh database
agree.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lt.db.connect import Target
from lt.errors import LtError, missing_extra
from lt.jobs.spec import JobSpec

if TYPE_CHECKING:
    import procrastinate
    import psycopg

QUEUE = "lt"
SCHEMA_LOCK = 0x6C74_6A62

log = logging.getLogger("lt.jobs")


def _procrastinate():
    try:
        import procrastinate
    except ImportError:
        raise missing_extra("procrastinate", "jobs") from None
    return procrastinate


def make_app(target: Target, *, pool_size: int = 4) -> procrastinate.App:
    """An App on `target` with lt's tasks registered (opened by the caller)."""
    procrastinate = _procrastinate()
    from lt.jobs import tasks

    connector = procrastinate.PsycopgConnector(
        conninfo=target.url, kwargs={"application_name": "lt worker"}, min_size=1, max_size=pool_size,
    )
    app = procrastinate.App(connector=connector)
    tasks.register(app)
    return app


def ensure_schema(conn: psycopg.Connection) -> None:
    """Create the queue's tables unless they exist (lt's own come from lt.db.schema)."""
    if _has_queue(conn):
        return
    from procrastinate.schema import SchemaManager

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        if not _has_queue(conn):
            log.info("creating the job queue's tables (procrastinate) in the database")
            conn.execute(SchemaManager.get_schema())


def _has_queue(conn: psycopg.Connection) -> bool:
    (table,) = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
    return table is not None


def submit(app: procrastinate.App, specs: Sequence[JobSpec], *, queue: str = QUEUE, priority: int = 0) -> list[int]:
    """Defer one job per spec, in one statement per task; their ids in the order of `specs`."""
    ids: dict[int, int] = {}
    by_task: dict[str, list[int]] = {}
    for index, spec in enumerate(specs):
        by_task.setdefault(spec.task, []).append(index)
    for task, indexes in by_task.items():
        deferrer = app.configure_task(task, queue=queue, priority=priority)
        for index, job_id in zip(indexes, deferrer.batch_defer(*(specs[i].args() for i in indexes))):
            ids[index] = job_id
    return [ids[i] for i in range(len(specs))]


def status_of(conn: psycopg.Connection, job_id: int) -> str:
    row = conn.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", (job_id,)).fetchone()
    if row is None:
        raise LtError(f"no job {job_id}", hint="`lt jobs` lists the jobs")
    return row[0]


def retry(app: procrastinate.App, conn: psycopg.Connection, job_id: int) -> int:
    """Run a job that failed again (the same job, so the same session); a cancelled or aborted one
    is queued anew with the same arguments. The id of the job that will run."""
    status = status_of(conn, job_id)
    if status == "failed":
        app.job_manager.retry_job_by_id(job_id, retry_at=dt.datetime.now(dt.timezone.utc))
        return job_id
    if status in ("cancelled", "aborted"):
        task, queue, priority, args = conn.execute(
            "SELECT task_name, queue_name, priority, args FROM procrastinate_jobs WHERE id = %s", (job_id,)
        ).fetchone()
        return app.configure_task(task, queue=queue, priority=priority).defer(**args)
    raise LtError(
        f"job {job_id} is {state_name(status)}: only a failed, cancelled or aborted job can be retried",
        hint="a queued or running job runs anyway; a job of a worker that died is retried by the next worker by itself",
    )


def cancel(app: procrastinate.App, conn: psycopg.Connection, job_id: int) -> str:
    """Cancel a queued job, or ask a running one to stop at its next step; what happened."""
    status = status_of(conn, job_id)
    if status not in ("todo", "doing"):
        raise LtError(f"job {job_id} is {state_name(status)} already", hint="only a queued or running job can be cancelled")
    if not app.job_manager.cancel_job_by_id(job_id, abort=True):
        raise LtError(f"job {job_id} finished before it could be cancelled", hint="`lt jobs show` tells how it ended")
    return "cancelled" if status == "todo" else "asked to stop"


async def requeue_stalled(
    app: procrastinate.App, stalled_after: float, queues: Sequence[str] | None, own_worker: int | None = None,
) -> list[int]:
    """Put back on the queue the running jobs of workers whose heartbeat stopped (killed, or their
    machine lost): they run again from the start, into the same session.

    A heartbeat can also be late because its machine is starved of CPU, so a job is left alone when
    its worker is still alive as far as this machine can tell: the caller itself, or a process of
    this host that still exists."""
    requeued = []
    for queue in queues or [None]:
        for job in await app.job_manager.get_stalled_jobs(queue=queue, seconds_since_heartbeat=stalled_after):
            if own_worker is not None and job.worker_id == own_worker:
                continue
            row = await app.connector.execute_query_one_async(
                "SELECT (SELECT worker FROM job_runs WHERE job_id = %(id)s) AS worker", id=job.id,
            )
            if _alive_here(row["worker"]):
                log.debug("job %d: its worker %s missed heartbeats but is still running", job.id, row["worker"])
                continue
            await app.job_manager.retry_job(job)
            requeued.append(job.id)
    return requeued


def dead_here(worker: str | None) -> bool:
    """Was `worker` a process of this host that no longer runs?"""
    host, _, pid = (worker or "").rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _alive_here(worker)


def _alive_here(worker: str | None) -> bool:
    """Is `worker` (host:pid, as lt.jobs.worker names workers) a live process of this host?"""
    host, _, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        pass
    try:  # a reused pid is some other program
        return b"worker" in open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:  # no /proc here: trust the pid
        return True


# procrastinate's states, in the words lt shows
STATE_NAMES = {"todo": "queued", "doing": "running"}
STATES = ("queued", "running", "succeeded", "failed", "cancelled", "aborted")


def state_name(status: str) -> str:
    return STATE_NAMES.get(status, status)


def status_names(states: Sequence[str]) -> list[str]:
    """procrastinate's statuses for the states lt shows; LtError names an unknown one."""
    reverse = {v: k for k, v in STATE_NAMES.items()}
    out = []
    for state in states:
        if state not in STATES:
            raise LtError(f"unknown job state {state!r}", hint=f"use one of {', '.join(STATES)}")
        out.append(reverse.get(state, state))
    return out
