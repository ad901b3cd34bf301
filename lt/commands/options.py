"""Options that several commands share, defined once; each can come from an LT_* variable."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from lt.ndjson import OnBad

Verbose = Annotated[
    int,
    typer.Option("--verbose", "-v", count=True, envvar="LT_VERBOSE", help="More detail on stderr (repeatable)."),
]
Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", envvar="LT_QUIET", help="Only warnings and errors on stderr."),
]
OnBadLine = Annotated[
    OnBad,
    typer.Option(
        "--on-bad",
        envvar="LT_ON_BAD",
        case_sensitive=False,
        help="A bad input line: fail (stop, naming the line), skip (warn on stderr) or emit (pass an error event on).",
    ),
]
Session = Annotated[
    Optional[str],
    typer.Option("--session", envvar="LT_SESSION", help="Session id shared by the pipeline (default: a new sortable id)."),
]
ComputeDevice = Annotated[
    str,
    typer.Option("--device", envvar="LT_DEVICE", help="Where models run: auto, cpu or cuda."),
]
ComputeType = Annotated[
    str,
    typer.Option("--compute-type", envvar="LT_COMPUTE_TYPE", help="CTranslate2 compute type; auto = int8 on CPU, float16 on GPU."),
]
Database = Annotated[
    Optional[str],
    typer.Option(
        "--db",
        envvar="LT_DATABASE_URL",
        show_default=False,
        help="PostgreSQL URL (default: the embedded server under LT_HOME).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout instead of a table.")]


def verbosity(verbose: int, quiet: bool) -> int:
    return -1 if quiet else verbose


HELP_OPTIONS = ["-h", "--help"]


def plain_help(command) -> None:
    """Drop the type labels that say nothing from `command`'s help, all its subcommands' too.

    typer labels every option and argument with its Python type; <bool> on a flag and <str> on
    text are noise beside the help text, so they go. Numbers, ranges, choices and paths keep theirs."""
    help_option = command.get_help_option(typer.Context(command, help_option_names=HELP_OPTIONS))
    for param in [*command.params, *([help_option] if help_option else [])]:
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        if param.param_type_name == "option" and (param.is_flag or param.count or annotation is str) and param.metavar is None:
            param.metavar = ""  # shown in place of the label
        elif param.param_type_name == "argument" and annotation is str:
            param.display_type_rich = _no_label  # an argument's label ignores its metavar
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)


def _no_label(ctx) -> None:
    return None
