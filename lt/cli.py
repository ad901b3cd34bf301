"""The `lt` command: a typer app whose commands only parse options and call stage code.

This module is also the one place where outcomes become exit codes.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated, Optional

import typer

try:  # newer typer vendors its own click
    from typer._click.exceptions import ClickException, NoSuchOption, UsageError
except ImportError:  # pragma: no cover - older typer on the real click
    from click.exceptions import ClickException, NoSuchOption, UsageError

from lt import __version__, shutdown, threads
from lt.commands import (
    capture, compare, db, dub, export, jobs, models, overlay, replay, report, schema, score, search, sessions, speak,
    speakers, status, store, transcribe, translate, worker,
)
from lt.errors import ExitCode, LtError, Terminated, redact
from lt.log import stderr_console
from lt.commands.options import HELP_OPTIONS, plain_help

app = typer.Typer(
    name="lt",
    help="Live transcription and translation as Unix pipeline stages.\n\n"
    "lt capture mic | lt transcribe | lt translate --to es,pt | lt store --tee | lt overlay",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": HELP_OPTIONS},
)

for command_module in (
    capture, transcribe, translate, speak, dub, store, overlay, replay, export, sessions, status, search, report, compare,
    score, speakers, jobs, worker, models, db, schema,
):
    command_module.register(app)


def _show_version(value: bool) -> None:
    if value:
        print(f"lt {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Live transcription and translation as Unix pipeline stages."""


def _error(message: str, hint: str | None = None) -> None:
    console = stderr_console()
    console.print(f"[bold red]Error:[/] {redact(message)}", markup=True, soft_wrap=True, highlight=False)
    if hint:
        console.print(f"  hint: {redact(hint)}", markup=False, soft_wrap=True)


def _likely_meant(typed: str, possibilities) -> list[str]:
    """click compares option names with their dashes, so --bogus looks like --verbose; compare the words."""
    import difflib

    word = typed.lstrip("-")
    return [p for p in possibilities if difflib.SequenceMatcher(None, word, p.lstrip("-")).ratio() >= 0.7]


def _quiet_stdout() -> None:
    # After a broken pipe, Python would complain again when it flushes stdout at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def run(args: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; every expected failure is mapped here."""
    debug = os.environ.get("LT_DEBUG") == "1"
    try:
        # Invoked directly rather than through click's main(), which would turn a broken
        # pipe into exit 1 and print its own messages.
        command = typer.main.get_command(app)
        plain_help(command)
        with command.make_context("lt", list(sys.argv[1:] if args is None else args)) as ctx:
            result = command.invoke(ctx)
        return _after_signal(int(result or 0))
    except LtError as exc:
        if debug:
            logging.getLogger("lt").exception("debug traceback")
        _error(exc.message, exc.hint)
        return exc.code
    except UsageError as exc:
        if isinstance(exc, NoSuchOption):
            exc.possibilities = _likely_meant(exc.option_name, exc.possibilities or ())
        exc.show(file=sys.stderr)
        return ExitCode.USAGE
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    except Terminated:
        return ExitCode.TERMINATED
    except BrokenPipeError:
        _quiet_stdout()
        return ExitCode.BROKEN_PIPE
    except ClickException as exc:
        exc.show(file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # the last resort: one line, never a raw traceback unless asked
        if debug:
            raise
        _error(f"unexpected {type(exc).__name__}: {exc}", "run again with LT_DEBUG=1 for the traceback")
        return ExitCode.ERROR


def _after_signal(code: int) -> int:
    """A stage that finished on a signal says so, unless something worse happened."""
    signalled = shutdown.exit_code()
    return signalled if signalled is not None and code in (ExitCode.OK, ExitCode.REJECTED_INPUT) else code


def main() -> None:
    threads.one_blas_thread()
    shutdown.install()
    code = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        code = ExitCode.BROKEN_PIPE
    sys.exit(code)
