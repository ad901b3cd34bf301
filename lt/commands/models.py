from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer

from lt.options import Json

COLUMNS = ("kind", "name", "source", "path", "detail")


def models(
    kind: Annotated[Optional[str], typer.Option("--kind", help="Only whisper or translation models.")] = None,
    as_json: Json = False,
) -> int:
    """List the speech and translation models available without a network, and where they live.

    Example: lt models --kind whisper
    """
    from lt.asr.models import local_models as whisper_models
    from lt.errors import ExitCode, LtError
    from lt.mt.models import local_models as translation_models

    if kind not in (None, "whisper", "translation"):
        raise LtError(f"unknown model kind {kind!r}", hint="use --kind whisper or --kind translation", code=ExitCode.USAGE)
    rows = [row for row in (*whisper_models(), *translation_models()) if kind in (None, row["kind"])]
    if as_json:
        print(json.dumps(rows, indent=2))
    elif sys.stdout.isatty():
        _print_table(rows)
    else:
        for row in rows:
            print("\t".join(str(row[c]) for c in COLUMNS))
    return 0


def _print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*COLUMNS)
    for row in rows:
        table.add_row(*(str(row[c]) for c in COLUMNS))
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command()(models)
