from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from lt.log import setup_logging
from lt.commands.options import Database, Quiet, Verbose, verbosity

log = logging.getLogger("lt.report")


def report(
    session: Annotated[str, typer.Argument(help="The session id (see lt sessions).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the HTML page.")] = Path("report.html"),
    compare: Annotated[Optional[str], typer.Option("--compare", metavar="OTHER", help="Add a comparison with another session (WER, latency, flags; see lt compare).")] = None,
    db: Database = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Write one self-contained HTML page about a stored session.

    Captions in every language on a timeline (a lane per speaker), latency per stage, models and parameters,
    suspect segments with their evidence, dead letters.

    Examples:

      lt report 20261122T170501Z-4f2a9c --out report.html

      lt report 20261122T170501Z-4f2a9c --compare 20261122T170501Z-4f2a9c-tiny.en
    """
    from lt.compare import compare_sessions
    from lt.db.connect import connect
    from lt.db.queries import dead_letters, session_events, speaker_labels
    from lt.errors import LtError
    from lt.report import SessionData, render_html

    setup_logging(verbosity(verbose, quiet))
    with connect(db) as conn:
        events = session_events(conn, session)
        if not events:
            raise LtError(f"no stored session {session!r}", hint="lt sessions lists the stored sessions")
        letters = dead_letters(conn, session)
        labels = speaker_labels(conn, session)
        comparison = compare_sessions(conn, session, compare) if compare else None
    out.write_text(render_html(SessionData(session, events, letters, labels, comparison)), encoding="utf-8")
    log.info("wrote %s (%d events, %d dead letters)", out, len(events), len(letters))
    return 0


def register(app: typer.Typer) -> None:
    app.command()(report)
