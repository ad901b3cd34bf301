from __future__ import annotations

from typing import Annotated

import typer

from lt.commands.options import Database, Json


def compare(
    session_a: Annotated[str, typer.Argument(metavar="SESSION_A", help="The reference session (e.g. the original).")],
    session_b: Annotated[str, typer.Argument(metavar="SESSION_B", help="The session compared with it (e.g. a re-run).")],
    db: Database = None,
    json_out: Json = False,
) -> int:
    """Compare two stored sessions: WER of B against A, latency, flags and models side by side.

    Made for re-runs of the same recording (another model, a re-run job);
    lt report SESSION_A --compare SESSION_B puts the same in the HTML report.

    Examples:

      lt compare 20261121T090000Z-ab12cd-meeting 20261121T090000Z-ab12cd-meeting-tiny.en

      lt compare OLD NEW --json | jq .wer
    """
    from lt.compare import compare_sessions
    from lt.db.connect import connect

    with connect(db) as conn:
        comparison = compare_sessions(conn, session_a, session_b)
    if json_out:
        from lt.commands.output import print_json

        print_json(comparison)
    else:
        _print(comparison)
    return 0


def _print(c: dict) -> None:
    from rich.markup import escape

    from lt.compare import side_by_side
    from lt.commands.output import print_table, stdout_console

    console = stdout_console()
    e = c["errors"]
    wer = "–" if c["wer"] is None else f"{c['wer']:.1%}"
    console.print(
        f"[bold]WER of B against A: {wer}[/]  ({e['substitutions']} substitutions, {e['deletions']} deletions, "
        f"{e['insertions']} insertions over {e['reference_words']} words)", markup=True,
    )
    print_table(("", f"A: {c['a']['session']}", f"B: {c['b']['session']}"), side_by_side(c), console=console)
    if c["differences"]:
        rows = [(d["a"] or "–", d["b"] or "–") for d in c["differences"]]
        print_table((f"A says ({c['differences_total']} differences)", "B says"), rows, console=console)
        if c["differences_total"] > len(rows):
            console.print(f"… and {c['differences_total'] - len(rows)} more (--json lists the first {len(rows)})", markup=False)
    else:
        console.print(escape("the transcripts agree word for word"), markup=True)


def register(app: typer.Typer) -> None:
    app.command()(compare)
