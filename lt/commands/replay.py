from __future__ import annotations

import logging
import sys
from typing import Annotated, Optional

import typer

from lt.errors import LtError
from lt.log import setup_logging
from lt.commands.options import Database, Quiet, Verbose, verbosity

log = logging.getLogger("lt.replay")


def parse_speed(text: str) -> float | None:
    """`max` (None: no pacing) or a positive factor; 1 is the original pace."""
    if text.strip().lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = 0.0
    if not speed > 0:
        raise LtError(f"--speed {text!r} is neither max nor a positive number", hint="use --speed 1 (original pace), 2, or max")
    return speed


def replay(
    session: Annotated[str, typer.Argument(help="The session id (see lt sessions).")],
    speed: Annotated[str, typer.Option("--speed", help="max (as fast as possible), or a factor of the original pace: 1, 2, 0.5.")] = "max",
    types: Annotated[Optional[str], typer.Option("--type", help="Only these event types, comma-separated: transcript,translation.")] = None,
    audio: Annotated[bool, typer.Option("--audio", help="Write the stored audio as raw PCM (s16le 16 kHz mono) instead of events.")] = False,
    db: Database = None,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Write a stored session back to stdout: its events as NDJSON, exactly as stored, in stored order.

    Examples:

      lt replay 20261122T170501Z-4f2a9c | lt overlay

      lt replay 20261122T170501Z-4f2a9c --speed 1 --type transcript,translation | lt overlay

      lt replay 20261122T170501Z-4f2a9c | lt translate --to de | lt store

      lt replay 20261122T170501Z-4f2a9c --audio | lt transcribe
    """
    from lt.db.connect import connect
    from lt.replay import ReplaySettings

    setup_logging(verbosity(verbose, quiet))
    settings = ReplaySettings(
        speed=parse_speed(speed), types=tuple(t.strip() for t in (types or "").split(",") if t.strip())
    )
    if audio and sys.stdout.isatty():
        raise LtError("stdout is a terminal, and raw audio would garble it", hint=f"pipe it: lt replay {session} --audio | lt transcribe")
    with connect(db) as conn:
        if audio:
            _write_audio(conn, session, settings)
        else:
            _write_events(conn, session, settings)
    return 0


def _write_events(conn, session: str, settings) -> None:
    from lt.events import UnknownEvent
    from lt.ndjson import EventWriter
    from lt.replay import replay_events

    writer = EventWriter()
    for body in replay_events(conn, session, settings):
        # Written back as stored: the pass-through wrapper adds and drops nothing.
        writer.write(UnknownEvent(body))
    log.info("replayed %d events of session %s", writer.count, session)


def _write_audio(conn, session: str, settings) -> None:
    from lt.pcm import BYTES_PER_SECOND
    from lt.replay import replay_audio

    out = sys.stdout.buffer
    written = 0
    for block in replay_audio(conn, session, settings):
        out.write(block)
        out.flush()
        written += len(block)
    log.info("replayed %.1f s of audio of session %s", written / BYTES_PER_SECOND, session)


def register(app: typer.Typer) -> None:
    app.command()(replay)
