from __future__ import annotations

from typing import Annotated, Any

import typer

from lt.commands.options import Database, Json


def status(
    session: Annotated[str, typer.Argument(help="The session id (see lt sessions).")],
    min_gap: Annotated[float, typer.Option("--gap", min=0.1, help="Seconds of audio without a final that count as a gap.")] = 3.0,
    db: Database = None,
    json_out: Json = False,
) -> int:
    """Show the progress and health of one stored session.

    Events per type, the last event, speakers and their talk time, gaps between finals, dead letters,
    latency per stage.

    Examples:

      lt status 20261122T170501Z-4f2a9c

      lt status 20261122T170501Z-4f2a9c --json | jq .latency
    """
    from lt.db.connect import connect
    from lt.status import StatusSettings, session_status

    with connect(db) as conn:
        report = session_status(conn, session, StatusSettings(min_gap=min_gap))
    if json_out:
        from lt.commands.output import print_json

        print_json(report)
    else:
        _print(report)
    return 0


def _print(s: dict[str, Any]) -> None:
    from rich.markup import escape

    from lt.commands.output import print_table, seconds, stdout_console, when

    console = stdout_console()
    state = "ended" if s["ended"] else f"no end marker; last event {s['idle_seconds']:.0f} s ago"
    console.print(f"[bold]{escape(s['session'])}[/]  {state}", markup=True)
    details = [
        ("started", when(s["started_at"] or s["first_received"])), ("last event", when(s["last_received"])),
        ("audio", seconds(s["audio_seconds"])), ("source", s["source"]), ("model", s["model"]),
        ("language", s["language"]),
    ]
    console.print("  ".join(f"{k}: {v}" for k, v in details if v is not None), markup=False)
    print_table(("type", "events", "final"), [(c["type"], c["events"], c["final"]) for c in s["counts"]], console=console)
    if s["speakers"]:
        rows = [
            (sp["speaker"], sp["finals"], seconds(sp["talk_seconds"]), seconds(sp["first"]), seconds(sp["last"]),
             ",".join(i for i in sp["ids"] if i != sp["speaker"]) or None)
            for sp in s["speakers"]
        ]
        print_table(("speaker", "finals", "talk time", "first", "last", "stored as"), rows, console=console)
    if s["translations"]:
        rows = [(t["target_lang"], t["model"], t["finals"]) for t in s["translations"]]
        print_table(("translation", "model", "finals"), rows, console=console)
    if s["latency"]:
        rows = [(h["hop"], h["count"], f"{h['p50']:.2f}", f"{h['p95']:.2f}", f"{h['max']:.2f}") for h in s["latency"]]
        print_table(("latency (s)", "captions", "p50", "p95", "max"), rows, console=console)
    if s["gaps"]:
        rows = [(seconds(g["gap_start"]), seconds(g["gap_end"]), f"{g['seconds']:.1f}", f"{g['after_seg']} → {g['before_seg']}") for g in s["gaps"]]
        print_table(("gap from", "to", "seconds", "segments"), rows, console=console)
    if s["recent_dead_letters"]:
        rows = [(d["line"], d["error"], d["raw"][:60]) for d in s["recent_dead_letters"]]
        print_table((f"dead letters ({s['dead_letters']}, latest)", "error", "raw"), rows, console=console)
    if s["problems"]:
        for problem in s["problems"]:
            console.print(f"[yellow]![/] {escape(problem)}", markup=True)
    else:
        console.print("[green]healthy[/]", markup=True)



def register(app: typer.Typer) -> None:
    app.command()(status)
