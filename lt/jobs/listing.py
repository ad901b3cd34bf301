"""The jobs as people look at them: the queue's rows joined with what each job recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lt.errors import LtError
from lt.jobs.queue import state_name
from lt.jobs.spec import TASKS

if TYPE_CHECKING:
    import psycopg

FINAL = ("succeeded", "failed", "cancelled", "aborted")

_JOBS = """
SELECT j.id, j.status::text AS status, j.queue_name AS queue, j.task_name AS task, j.priority, j.attempts AS retries,
       j.args, j.scheduled_at, r.session, r.source_session, r.step, r.percent, r.model, r.fallbacks, r.steps, r.counts,
       r.attempt, r.worker, r.error, r.started_at, r.updated_at, ev.submitted, ev.first_started, ev.ended
FROM procrastinate_jobs j
LEFT JOIN job_runs r ON r.job_id = j.id
LEFT JOIN LATERAL (
    SELECT min(at) FILTER (WHERE type = 'deferred') AS submitted,
           min(at) FILTER (WHERE type = 'started') AS first_started,
           max(at) FILTER (WHERE type IN ('succeeded', 'failed', 'cancelled', 'aborted')) AS ended
    FROM procrastinate_events e WHERE e.job_id = j.id
) ev ON true
WHERE j.task_name = ANY(%(tasks)s)
  AND (cardinality(%(statuses)s::text[]) = 0 OR j.status::text = ANY(%(statuses)s))
  AND (cardinality(%(ids)s::bigint[]) = 0 OR j.id = ANY(%(ids)s))
ORDER BY j.id DESC
LIMIT %(limit)s
"""


def list_jobs(conn: psycopg.Connection, *, statuses: Sequence[str] = (), ids: Sequence[int] = (), limit: int = 50) -> list[dict[str, Any]]:
    """The newest jobs first, in the shape `lt jobs --json` prints."""
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_JOBS, {"tasks": list(TASKS), "statuses": list(statuses), "ids": list(ids), "limit": limit}).fetchall()
    return [_shaped(row) for row in rows]


def _shaped(row: dict[str, Any]) -> dict[str, Any]:
    args = row.pop("args") or {}
    state = state_name(row.pop("status"))
    ended = row["ended"] if state in FINAL else None
    started = row["started_at"]
    percent = 100.0 if state == "succeeded" else (row["percent"] or 0.0)
    return {
        "id": row["id"],
        "state": state,
        "kind": "file" if args.get("kind") == "file" else "session",
        "input": args.get("input"),
        "session": row["session"] or args.get("session"),
        "model": row["model"] or args.get("model"),
        "targets": args.get("targets") or [],
        "step": row["step"] or ("queued" if state == "queued" else None),
        "percent": round(percent, 1),
        "attempt": row["attempt"] or 0,
        "attempts_allowed": int(args.get("retries", 0)) + 1,
        "queue": row["queue"],
        "priority": row["priority"],
        "worker": row["worker"],
        "fallbacks": row["fallbacks"] or [],
        "steps": row["steps"] or {},
        "counts": row["counts"] or {},
        "error": row["error"] if state != "succeeded" else None,
        "submitted": row["submitted"],
        "started": started,
        "ended": ended,
        "retry_at": row["scheduled_at"] if state == "queued" and row["attempt"] else None,
        "seconds": _seconds(started, ended if ended is not None else (dt.datetime.now(dt.timezone.utc) if state == "running" else None)),
        "source_session": row["source_session"] or (args.get("input") if args.get("kind") == "session" else None),
    }


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 2)


def job_detail(conn: psycopg.Connection, job_id: int) -> dict[str, Any]:
    """One job with its whole history (the queue's events: deferred, started, retried, ...)."""
    found = list_jobs(conn, ids=[job_id], limit=1)
    if not found:
        raise LtError(f"no job {job_id}", hint="`lt jobs` lists the jobs")
    job = found[0]
    job["history"] = [
        {"event": kind, "at": at}
        for kind, at in conn.execute("SELECT type::text, at FROM procrastinate_events WHERE job_id = %s ORDER BY id", (job_id,))
    ]
    return job


def active(jobs: Sequence[dict[str, Any]]) -> bool:
    return any(job["state"] in ("queued", "running") for job in jobs)
