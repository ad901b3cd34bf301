"""Results of the query commands on stdout: rich tables for a person, JSON for a program.

On a terminal rich draws tables with colour and bold; in a pipe the same rows
come out tab-separated with a header line. `--json` gives one JSON document.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from typing import Any

from rich.console import Console
from rich.table import Column, Table
from rich.text import Text


def stdout_console() -> Console:
    # In a pipe, lines stay whole rather than wrap at a made-up width of 80.
    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


def print_table(header: tuple[str, ...], rows: list[tuple], console: Console | None = None) -> None:
    """A rich table on a terminal; tab-separated lines with a header row in a pipe (for cut and awk).

    Cells are literal text: stored strings are never read as rich markup.
    """
    console = console or stdout_console()
    cells = [["–" if value is None else str(value) for value in row] for row in rows]
    if not console.is_terminal:
        for line in [list(header), *cells]:
            console.file.write("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in line) + "\n")
        console.file.flush()
        return
    table = Table(*(_column(i, name, [row[i] for row in cells]) for i, name in enumerate(header)))
    for row in cells:
        table.add_row(*map(Text, row))
    console.print(table)


def _column(index: int, name: str, cells: list[str]) -> Column:
    """The first column (the id) stays on one line, so it can be copied; the others wrap when narrow."""
    if index:
        return Column(name, overflow="fold")
    return Column(name, no_wrap=True, min_width=max(map(len, cells), default=0))


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def print_json(value: Any) -> None:
    text = json.dumps(_finite(value), default=_plain, ensure_ascii=False, indent=2)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _finite(value: Any) -> Any:
    """NaN and infinities (an empty percentile, say) become null: JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def seconds(value: float | None) -> str:
    """Audio time as m:ss.s (h:mm:ss.s past an hour); a dash when unknown."""
    if value is None:
        return "–"
    minutes, secs = divmod(max(value, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes}:{secs:04.1f}"


def when(value: dt.datetime | None) -> str:
    """A stored time in the local time zone, to the second."""
    return "–" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
