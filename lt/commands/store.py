from __future__ import annotations

import logging
import re
import sys
from typing import Annotated, Optional

import typer

from lt.log import setup_logging
from lt.ndjson import OnBad
from lt.commands.options import Database, OnBadLine, Quiet, Verbose, verbosity

log = logging.getLogger("lt.store")

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def byte_size(text: str) -> int:
    """'64M', '512k', '1G', '100000' (bytes); K, M, G are powers of 1024 (KiB, MiB, GiB also read)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*", text, re.I)
    if not match or float(match.group(1)) * _UNITS[match.group(2).lower()] < 1:
        raise typer.BadParameter(f"{text!r} is not a size: use bytes, or a number with K, M or G (e.g. 64M)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def store(
    tee: Annotated[bool, typer.Option("--tee", help="Write each event on stdout once it is committed, with t.store = commit time.")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, envvar="LT_STORE_BATCH_SIZE", help="Commit when this many events wait.")] = 500,
    flush_ms: Annotated[float, typer.Option("--flush-ms", min=0, envvar="LT_STORE_FLUSH_MS", help="Commit when the oldest waiting event is this old.")] = 100.0,
    idle_ms: Annotated[float, typer.Option("--idle-ms", min=0, envvar="LT_STORE_IDLE_MS", help="Commit as soon as no more input has come for this long, so a live event goes on at once; as long as --flush-ms or longer turns it off.")] = 5.0,
    retry_for: Annotated[float, typer.Option("--retry-for", min=0, envvar="LT_STORE_RETRY_FOR", help="Seconds to keep retrying an unavailable database before spilling to a file.")] = 120.0,
    buffer: Annotated[int, typer.Option("--buffer", parser=byte_size, metavar="SIZE", envvar="LT_STORE_BUFFER", help="Memory for events read and not yet stored, in bytes as encoded (UTF-8, as the lines came) plus 2 KiB an event: e.g. 64M, 500k. When it is full (the database slow or away), stdin is not read.")] = "64M",
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, envvar="LT_STORE_TIMEOUT", help="Seconds without an answer from the server before a batch is given up as hung and retried.")] = 10.0,
    max_rate: Annotated[Optional[float], typer.Option("--max-rate", min=0.001, help="At most this many events a second (token bucket).")] = None,
    audio_bytes: Annotated[bool, typer.Option("--audio-bytes", help="Store the bytes of audio events that carry them, not only their metadata.")] = False,
    db: Database = None,
    on_bad: OnBadLine = OnBad.emit,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Store events from stdin in PostgreSQL, in batches, idempotently.

    With no --db and no LT_DATABASE_URL an embedded PostgreSQL under LT_HOME
    is started. Re-running the same input stores nothing twice. Bad lines and
    events the database rejects go to the dead_letters table (exit code 3);
    --on-bad skip drops them, --on-bad fail stops at the first. If the database
    stays away (or hung) longer than --retry-for, reading stops and what was
    read but not stored is spilled to files named on stderr, with how many
    lines each holds (exit 4). Ctrl-C / SIGTERM: what was read is committed
    first (exit 130 / 143).

    Examples:

      lt capture talk.wav | lt transcribe | lt store

      lt capture mic | lt transcribe | lt translate --to es | lt store --tee | lt overlay

      lt store < ~/.local/share/lt/spill/store-20261122T101500-4242.ndjson
    """
    from lt.db.connect import resolve
    from lt.db.decoder import read_store_lines
    from lt.db.store import Store, StoreSettings, StoreStats
    from lt.errors import ExitCode
    from lt.ndjson import EventWriter

    setup_logging(verbosity(verbose, quiet))
    settings = StoreSettings(
        batch_size=batch_size, flush_ms=flush_ms, idle_ms=idle_ms, retry_for=retry_for, buffer_bytes=buffer, timeout=timeout,
        max_rate=max_rate, audio_bytes=audio_bytes, on_bad=on_bad,
    )
    target = resolve(db)
    log.debug("storing into %s", target.masked())
    stats = StoreStats()
    runner = Store(target, settings, stats)
    out = EventWriter() if tee else None
    try:
        # lt.ndjson reads the descriptor itself, so a reading thread never holds sys.stdin's lock.
        for batch in runner.run(read_store_lines(sys.stdin.buffer)):
            if out is not None:
                out.write_all(batch.stamped())
    finally:
        try:
            runner.finish()
        finally:
            log.info(stats.summary(runner.gate))
    return ExitCode.REJECTED_INPUT if stats.dead_letters or runner.bad_lines.rejected else ExitCode.OK


def register(app: typer.Typer) -> None:
    app.command()(store)
