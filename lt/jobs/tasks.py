"""The queue's two tasks, a recording and a stored session re-run, and how a failed job is retried.

A job that fails is retried with exponential backoff (5 s, 10 s, 20 s, ...,
with jitter) up to its `retries`, except when its input cannot be used (a
missing or undecodable file): running it again cannot help, so it fails at
once with the decoder's message and the other jobs go on.
"""

from __future__ import annotations

import logging
import random

from procrastinate import BaseRetryStrategy, RetryDecision

from lt.jobs.run import InputRejected, Runtime, reason
from lt.jobs.spec import TASKS, JobSpec

RETRY_FIRST_S = 5.0

log = logging.getLogger("lt.worker")


class Backoff(BaseRetryStrategy):
    def __init__(self) -> None:
        self.failed: set[int] = set()  # the jobs of this process that failed for good

    def get_retry_decision(self, *, exception: BaseException, job) -> RetryDecision | None:
        retries = int(job.task_kwargs.get("retries", 0))
        why = reason(exception)
        if isinstance(exception, InputRejected) or job.attempts >= retries:
            log.error("job %d: failed: %s", job.id, why)
            self.failed.add(job.id)
            return None
        delay = RETRY_FIRST_S * 2**job.attempts * random.uniform(0.8, 1.2)
        log.warning("job %d: attempt %d of %d failed: %s; retrying in %.0f s", job.id, job.attempts + 1, retries + 1, why, delay)
        return RetryDecision(retry_in={"seconds": delay})


def run_task(context, **args) -> dict[str, int]:
    runtime: Runtime = context.additional_context["runtime"]
    return runtime.run(JobSpec.from_args(args), context.job.id, context.job.attempts, context.should_abort)


def register(app) -> None:
    for name in TASKS:
        app.task(name=name, pass_context=True, retry=Backoff())(run_task)


def failed_jobs(app) -> set[int]:
    """The jobs this process ran that failed for good."""
    return set().union(*(app.tasks[name].retry_strategy.failed for name in TASKS))
