from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lt.export import ExportSettings, Format
from lt.log import setup_logging
from lt.commands.options import Database, Quiet, Verbose, verbosity

log = logging.getLogger("lt.export")


def export(
    session: Annotated[str, typer.Argument(help="The session id (see lt sessions).")],
    fmt: Annotated[Format, typer.Option("--format", "-f", case_sensitive=False, help="srt, vtt (subtitles), txt (one caption a line) or ndjson (the final events as stored).")] = Format.srt,
    lang: Annotated[Optional[str], typer.Option("--lang", "-l", help="A translation's target language (default: the original transcript).")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="With --lang: the translation model to use when there are several (default: the latest stored).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    db: Database = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Export a stored session's captions as subtitles (SRT, WebVTT), text or NDJSON.

    Subtitles follow the common caption rules: at most 2 lines of 42
    characters, about 17 characters a second, shown 1 to 7 seconds, never
    overlapping.

    Examples:

      lt export 20261122T170501Z-4f2a9c --format srt --out talk.srt

      lt export 20261122T170501Z-4f2a9c --format vtt --lang pt > talk.pt.vtt

      lt export 20261122T170501Z-4f2a9c --format txt
    """
    from lt.db import queries
    from lt.db.connect import connect
    from lt.export import write_export
    from lt.subtitles import SubtitleStats

    setup_logging(verbosity(verbose, quiet))
    with connect(db) as conn:
        queries.require_session(conn, session)
        rows = queries.captions(conn, queries.Timeline(session, lang, model))
        if lang is not None and not rows:
            _no_such_language(conn, session, lang, model)
    stats = SubtitleStats()
    if out is None:
        write_export(rows, ExportSettings(fmt), sys.stdout.buffer, stats)
    else:
        _write_file(out, lambda stream: write_export(rows, ExportSettings(fmt), stream, stats))
    _summary(stats, fmt, out)
    return 0


def _no_such_language(conn, session: str, lang: str, model: str | None) -> None:
    from lt.db.queries import translation_languages
    from lt.errors import LtError

    have = translation_languages(conn, session)
    what = f"{lang} by {model}" if model else lang
    raise LtError(
        f"session {session!r} has no final translations into {what}",
        hint=f"it has: {', '.join(have)}" if have else "it has no translations; leave out --lang for the original",
    )


def _write_file(path: Path, write) -> None:
    """Through a temporary file, so an existing export is replaced whole or not at all."""
    from lt.errors import LtError

    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as stream:
            write(stream)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise LtError(f"cannot write {path}: {exc.strerror}", hint="check the directory exists and is writable") from None


def _summary(stats, fmt: Format, out: Path | None) -> None:
    where = f" to {out}" if out else ""
    if fmt in (Format.srt, Format.vtt):
        log.info("exported %d captions as %d %s cues%s", stats.captions, stats.cues, fmt.value, where)
        if stats.inferred:
            log.warning("%d caption(s) had no start or end time; placed after the caption before them", stats.inferred)
        if stats.fast:
            log.info(
                "%d cue(s) read faster than %g characters a second, because the speech was that fast",
                stats.fast, ExportSettings().rules.reading.chars_per_second,
            )
    else:
        log.info("exported %d captions as %s%s", stats.captions, fmt.value, where)


def register(app: typer.Typer) -> None:
    app.command()(export)
