from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from lt.errors import LtError
from lt.commands.options import Database, Json


def parse_day(text: str, *, end: bool) -> dt.datetime:
    """`today`, `yesterday`, a date (a whole day, local time) or an ISO date-time.

    As an upper bound (`end`) a day means up to the end of that day.
    """
    text = text.strip().lower()
    today = dt.date.today()
    try:
        day = {"today": today, "yesterday": today - dt.timedelta(days=1)}.get(text) or dt.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        return dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time()).astimezone()
    try:
        moment = dt.datetime.fromisoformat(text.upper())
    except ValueError:
        raise LtError(
            f"cannot read {text!r} as a date", hint="use 2026-11-21, 2026-11-21T09:30, today or yesterday"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


def sessions(
    since: Annotated[Optional[str], typer.Option("--since", help="Sessions started on or after: 2026-11-21, yesterday, today, or a date-time.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Sessions started on or before (a date includes its whole day).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many, newest first.")] = 20,
    db: Database = None,
    json_out: Json = False,
) -> int:
    """List the stored sessions, newest first: start, duration, languages, speakers and their talk time, counts.

    Examples:

      lt sessions

      lt sessions --since yesterday --limit 5

      lt sessions --since 2026-11-01 --until 2026-11-21 --json | jq -r '.[].session'
    """
    from lt.db.connect import connect
    from lt.db.queries import sessions as stored_sessions

    window = {
        "since": parse_day(since, end=False) if since else None,
        "until": parse_day(until, end=True) if until else None,
    }
    with connect(db) as conn:
        rows = stored_sessions(conn, limit=limit, **window)
    if json_out:
        from lt.commands.output import print_json

        print_json(rows)
    else:
        _print_table(rows)
    return 0


def _print_table(rows: list[dict]) -> None:
    from lt.log import stderr_console
    from lt.commands.output import print_table, seconds, when

    if not rows:
        stderr_console().print("no sessions stored (in that window); store one with: lt capture FILE | lt transcribe | lt store")
        return
    header = ("session", "start", "duration", "audio", "languages", "speakers", "finals", "translations", "dead letters")
    print_table(header, [
        (
            r["session"], when(r["start"]), seconds(r["duration"]), seconds(r["audio_seconds"]),
            ",".join(r["languages"]) or None, talk(r["talk_seconds"]) or None, r["finals"], r["translations"],
            r["dead_letters"],
        )
        for r in rows
    ])


def talk(talk_seconds: dict[str, float]) -> str:
    """'Ana 1:02, S2 0:40': who spoke and for how long, most first."""
    from lt.commands.output import seconds

    ranked = sorted(talk_seconds.items(), key=lambda item: -item[1])
    return ", ".join(f"{name} {seconds(value)}" for name, value in ranked)


def register(app: typer.Typer) -> None:
    app.command()(sessions)
