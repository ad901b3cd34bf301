from __future__ import annotations

import logging
import os
from typing import Annotated, Optional

import typer

from lt.log import setup_logging
from lt.commands.options import ComputeDevice, ComputeType, Database, Quiet, Verbose, verbosity

# procrastinate's own lines about each job's outcome repeat lt's (and carry tracebacks)
_REPEATED = frozenset({"job_error", "job_error_retry", "job_success", "job_aborted", "job_aborted_retry"})


def worker(
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, max=64, envvar="LT_WORKER_CONCURRENCY", help="Jobs run at once by this worker (each holds its own copy of its model).")] = 1,
    queue: Annotated[Optional[list[str]], typer.Option("--queue", envvar="LT_QUEUE", help="Take jobs from this queue (repeatable; default: lt).", show_default=False)] = None,
    once: Annotated[bool, typer.Option("--once", help="Stop when no job is waiting (retries scheduled for later included) and none of this worker's runs; exit 3 if a job it ran failed for good.")] = False,
    stalled_after: Annotated[float, typer.Option("--stalled-after", min=1, help="Seconds without a heartbeat after which a worker counts as dead and its running jobs are queued again.")] = 30.0,
    device: ComputeDevice = "auto",
    compute_type: ComputeType = "auto",
    db: Database = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Run jobs from the queue: each one as the pipeline's stages, into the store.

    Every worker connected to the same database shares the queue, on this
    machine or others (--db / LT_DATABASE_URL). Ctrl-C or SIGTERM: finish the
    running jobs, then stop; a second time: stop at once (they run again later).

    Examples:

      lt worker --once

      lt worker --concurrency 2

      LT_DATABASE_URL=postgresql://lt:secret@dbhost/lt lt worker --queue backfill
    """
    from lt.db.connect import connect, resolve
    from lt.jobs.queue import QUEUE, ensure_schema
    from lt.jobs.worker import WorkerSettings, run_worker

    setup_logging(verbosity(verbose, quiet))
    _quiet_procrastinate(verbose)
    target = resolve(db)
    with connect(target) as conn:
        ensure_schema(conn)
    settings = WorkerSettings(
        concurrency=concurrency, queues=tuple(dict.fromkeys(queue or [QUEUE])), once=once,
        stalled_after=stalled_after, device=device, compute_type=compute_type,
    )
    return run_worker(target, settings)


def _quiet_procrastinate(verbose: int) -> None:
    """procrastinate's warnings and errors go to stderr like lt's; its lines about each job only with -vv."""
    import sys

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    if verbose < 2:
        handler.addFilter(lambda record: getattr(record, "action", None) not in _REPEATED)
    if os.environ.get("LT_DEBUG") != "1":
        handler.addFilter(_no_traceback)
    queue_logger = logging.getLogger("procrastinate")
    queue_logger.handlers = [handler]
    queue_logger.setLevel(logging.DEBUG if verbose >= 2 else logging.WARNING)
    queue_logger.propagate = False


def _no_traceback(record: logging.LogRecord) -> bool:
    record.exc_info = None
    record.exc_text = None
    return True


def register(app: typer.Typer) -> None:
    app.command()(worker)
