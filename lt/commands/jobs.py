from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Annotated, Optional

import typer

from lt.log import setup_logging
from lt.commands.options import Database, Json, Quiet, Verbose, verbosity

log = logging.getLogger("lt.jobs")

jobs_app = typer.Typer(name="jobs", no_args_is_help=False)

States = Annotated[
    Optional[str],
    typer.Option("--state", "-s", help="Only jobs in these states, comma-separated: queued, running, succeeded, failed, cancelled, aborted."),
]
Queue = Annotated[str, typer.Option("--queue", envvar="LT_QUEUE", help="The queue's name (workers take jobs from the queues they are given).")]


@jobs_app.callback(invoke_without_command=True)
def jobs(
    ctx: typer.Context,
    state: States = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many, newest first.")] = 50,
    db: Database = None,
    json_out: Json = False,
) -> None:
    """Bulk work on a task queue in the database: submit recordings, run workers, follow the jobs.

    With no command, lists the jobs, newest first: state, step, progress, attempts, model, session.

    Examples:

      lt jobs submit recordings/*.wav --to pt && lt worker --once

      lt jobs --state failed

      lt jobs watch
    """
    if ctx.invoked_subcommand is not None:
        return
    from lt.jobs.listing import list_jobs

    with _database(db) as (_, conn):
        rows = list_jobs(conn, statuses=_statuses(state), limit=limit)
    if json_out:
        from lt.commands.output import print_json

        print_json(rows)
        return
    _print_jobs(rows)


@jobs_app.command()
def submit(
    files: Annotated[Optional[list[str]], typer.Argument(help="Recordings: files, directories (searched for audio and video), globs, or - for paths on stdin.", show_default=False)] = None,
    to: Annotated[Optional[str], typer.Option("--to", "-t", help="Also translate into these languages, comma-separated (es,pt,de).")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Whisper model (default base for files; with --sessions, transcribe the stored audio again with it).", show_default=False)] = None,
    priority: Annotated[int, typer.Option("--priority", "-p", help="Higher runs first.")] = 0,
    sessions: Annotated[Optional[str], typer.Option("--sessions", metavar="QUERY", help="Re-run stored sessions instead: an id or a pattern (20261121T*, meeting-?), several comma-separated.")] = None,
    language: Annotated[Optional[str], typer.Option("--language", "-l", help="Spoken language code (default: detect).")] = None,
    fallback: Annotated[str, typer.Option("--fallback", envvar="LT_MODEL_FALLBACK", help="Models to fall back on, in order, when the job's model cannot load.")] = "small,base,tiny.en",
    retries: Annotated[int, typer.Option("--retries", min=0, max=20, help="Times a failed job is retried (with backoff: 5 s, 10 s, 20 s, ...).")] = 2,
    translate_model: Annotated[Optional[list[str]], typer.Option("--translate-model", metavar="PAIR=PATH", help="A CTranslate2 translation model, as lt translate --model takes it. Repeatable.")] = None,
    beam_size: Annotated[int, typer.Option("--beam-size", min=1, max=20, help="Whisper beam search width.")] = 5,
    queue: Queue = "lt",
    db: Database = None,
    json_out: Json = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Put one job per recording (or per stored session) on the queue; print each job's id and session.

    A job runs capture, transcribe (batch), translate (with --to) and store on a
    worker (lt worker), into its own session; --sessions re-runs stored sessions
    with another model (then compare: lt compare OLD NEW).

    Examples:

      lt jobs submit examples/*.wav --to pt

      find /recordings -name '*.mp3' | lt jobs submit - --model tiny.en --priority 5

      lt jobs submit --sessions '20261121T*' --model tiny.en

      lt jobs submit --sessions meeting-42 --to de
    """
    from lt.errors import ExitCode, LtError
    from lt.jobs.inputs import expand_paths, file_session, match_sessions, rerun_session
    from lt.jobs.queue import make_app
    from lt.jobs.queue import submit as defer
    from lt.jobs.spec import JobSpec
    from lt.mt.languages import check_code

    setup_logging(verbosity(verbose, quiet))
    if bool(files) == bool(sessions):
        raise LtError("name recordings or --sessions QUERY (one of the two)", hint="e.g. lt jobs submit talk.wav, or lt jobs submit --sessions 'meeting-*' --model tiny.en", code=ExitCode.USAGE)
    targets = tuple(dict.fromkeys(check_code(code, "--to") for code in (to or "").split(",") if code.strip()))
    common = {
        "targets": targets, "language": check_code(language, "--language") if language else None, "retries": retries,
        "fallback": tuple(m.strip() for m in fallback.split(",") if m.strip()),
        "translate_models": tuple(translate_model or ()), "beam_size": beam_size,
    }
    with _database(db) as (target, conn):
        if files:
            chosen = model or "base"
            specs = [JobSpec("file", path, file_session(path), model=chosen, **common) for path in expand_paths(files, sys.stdin)]
        else:
            if model is None and not targets:
                raise LtError("--sessions needs --model (transcribe again) and/or --to (translate again)", hint="e.g. --sessions 'meeting-*' --model tiny.en", code=ExitCode.USAGE)
            specs = [
                JobSpec("session", source, rerun_session(source, model, common["language"]), model=model, **common)
                for source in match_sessions(conn, sessions)
            ]
        with make_app(target, pool_size=1).open() as app:
            ids = defer(app, specs, queue=queue, priority=priority)
    if json_out:
        from lt.commands.output import print_json

        print_json([{"id": i, "session": s.session, "input": s.input} for i, s in zip(ids, specs)])
    else:
        for job_id, spec in zip(ids, specs):
            print(f"{job_id}\t{spec.session}\t{spec.input}")
    log.info("submitted %d job(s) to queue %r; run them with: lt worker%s", len(ids), queue, "" if queue == "lt" else f" --queue {queue}")


@jobs_app.command()
def show(
    job_id: Annotated[int, typer.Argument(metavar="ID", help="The job's id (see lt jobs).")],
    db: Database = None,
    json_out: Json = False,
) -> None:
    """Show one job: its steps with timings, progress, attempts, the model (and fallbacks), the error, its history.

    Example: lt jobs show 42
    """
    from lt.jobs.listing import job_detail

    with _database(db) as (_, conn):
        job = job_detail(conn, job_id)
    if json_out:
        from lt.commands.output import print_json

        print_json(job)
    else:
        _print_job(job)


@jobs_app.command()
def retry(
    job_ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Failed, cancelled or aborted jobs.")],
    db: Database = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Run failed jobs again (into the same sessions, so nothing is stored twice); print the id that will run.

    A failed job is queued again as it is; a cancelled or aborted one as a new job with the same arguments.

    Example: lt jobs retry 42 43
    """
    from lt.jobs.queue import make_app, retry as retry_job

    setup_logging(verbosity(verbose, quiet))
    with _database(db) as (target, conn), make_app(target, pool_size=1).open() as app:
        for job_id in job_ids:
            again = retry_job(app, conn, job_id)
            print(again)
            log.info("job %d: queued again%s", job_id, "" if again == job_id else f" as job {again}")


@jobs_app.command()
def cancel(
    job_ids: Annotated[list[int], typer.Argument(metavar="ID...", help="Queued or running jobs.")],
    db: Database = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Cancel queued jobs; a running job is asked to stop at its next step (it ends as aborted).

    Example: lt jobs cancel 42
    """
    from lt.jobs.queue import cancel as cancel_job
    from lt.jobs.queue import make_app

    setup_logging(verbosity(verbose, quiet))
    with _database(db) as (target, conn), make_app(target, pool_size=1).open() as app:
        for job_id in job_ids:
            log.info("job %d: %s", job_id, cancel_job(app, conn, job_id))


@jobs_app.command()
def watch(
    job_ids: Annotated[Optional[list[int]], typer.Argument(metavar="[ID...]", help="Only these jobs (default: the newest).", show_default=False)] = None,
    state: States = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many, newest first.")] = 30,
    interval: Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between refreshes.")] = 1.0,
    db: Database = None,
) -> None:
    """Follow the jobs' progress until none of them is queued or running.

    A live table on a terminal; in a pipe, one line (id, state, step, percent, input) per change.

    Examples:

      lt jobs watch

      lt jobs watch 41 42 | tee progress.log
    """
    from lt.jobs.listing import list_jobs
    from lt.jobs.watch import watch_lines, watch_live
    from lt.commands.output import stdout_console

    with _database(db) as (_, conn):
        def fetch():
            return list_jobs(conn, statuses=_statuses(state), ids=job_ids or (), limit=limit)

        console = stdout_console()
        if console.is_terminal:
            watch_live(fetch, console, interval)
        else:
            watch_lines(fetch, lambda line: (sys.stdout.write(line + "\n"), sys.stdout.flush()), interval)


@contextmanager
def _database(db: str | None):
    """The database (migrated) with the queue's tables in it."""
    from lt.db.connect import connect, resolve
    from lt.jobs.queue import ensure_schema

    target = resolve(db)
    with connect(target) as conn:
        ensure_schema(conn)
        yield target, conn


def _statuses(state: str | None) -> list[str]:
    from lt.jobs.queue import status_names

    return status_names([s.strip() for s in state.split(",") if s.strip()]) if state else []


def _print_jobs(rows: list[dict]) -> None:
    from lt.jobs.watch import model_label, short_input
    from lt.log import stderr_console
    from lt.commands.output import print_table

    if not rows:
        stderr_console().print("no jobs (in that state); submit some with: lt jobs submit FILES...")
        return
    header = ("job", "state", "input", "step", "progress", "try", "model", "time", "session / error")
    print_table(header, [
        (
            r["id"], r["state"], short_input(r), r["step"], f"{r['percent']:.0f}%",
            f"{r['attempt']}/{r['attempts_allowed']}" if r["attempt"] else None, model_label(r),
            None if r["seconds"] is None else f"{r['seconds']:.1f} s", r["error"] or r["session"],
        )
        for r in rows
    ])


def _print_job(job: dict) -> None:
    from rich.markup import escape

    from lt.jobs.record import STEPS
    from lt.jobs.watch import model_label
    from lt.commands.output import print_table, stdout_console, when

    console = stdout_console()
    console.print(f"[bold]job {job['id']}[/]  {escape(job['state'])}  {job['percent']:.0f}%  step: {escape(job['step'] or '–')}", markup=True)
    details = [
        ("input", job["input"]), ("session", job["session"]), ("re-run of", job["source_session"]),
        ("model", model_label(job)), ("translate to", ",".join(job["targets"]) or None),
        ("attempt", f"{job['attempt']} of {job['attempts_allowed']}" if job["attempt"] else None),
        ("queue", f"{job['queue']} (priority {job['priority']})"), ("worker", job["worker"]),
        ("submitted", when(job["submitted"])), ("started", when(job["started"]) if job["started"] else None),
        ("ended", when(job["ended"]) if job["ended"] else None),
        ("retry at", when(job["retry_at"]) if job["retry_at"] else None),
        ("took", f"{job['seconds']:.1f} s" if job["seconds"] is not None else None),
    ]
    for key, value in details:
        if value is not None:
            console.print(f"  {key}: {value}", markup=False)
    for fell in job["fallbacks"]:
        console.print(f"  fell back from {fell['model']}: {fell['error']}", markup=False)
    if job["error"]:
        console.print(f"[red]  error: {escape(job['error'])}[/]", markup=True)
    if job["steps"]:
        steps = sorted(job["steps"].items(), key=lambda item: STEPS.index(item[0]) if item[0] in STEPS else len(STEPS))
        rows = [(name, f"{s['seconds']:.2f}", ", ".join(f"{k}={v}" for k, v in sorted(s.items()) if k != "seconds")) for name, s in steps]
        print_table(("step", "seconds", "details"), rows, console=console)
    if job["counts"]:
        c = job["counts"]
        console.print(
            f"  stored: {c.get('finals', 0)} finals, {c.get('translations', 0)} translations, "
            f"{c.get('events', 0)} events ({c.get('new', 0)} new)", markup=False,
        )
    print_table(("history", "at"), [(h["event"], when(h["at"])) for h in job["history"]], console=console)
    if job["state"] == "succeeded" and job["source_session"] and job["source_session"] != job["session"]:
        console.print(f"  compare: lt compare {job['source_session']} {job['session']}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app)
