from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from lt.commands.options import Database, Json


def search(
    query: Annotated[str, typer.Argument(help='Words to find; "quoted phrase", or, -word work as in a web search.')],
    lang: Annotated[Optional[str], typer.Option("--lang", "-l", help="Only rows in this language (transcripts) or into it (translations): en, pt.")] = None,
    session: Annotated[Optional[str], typer.Option("--session", "-s", help="Only this session.")] = None,
    speaker: Annotated[Optional[str], typer.Option("--speaker", help="Only what this speaker said: an id (S1) or a name given with lt speakers rename.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many hits, best first.")] = 20,
    db: Database = None,
    json_out: Json = False,
) -> int:
    """Search the stored transcripts and translations, each in its own language.

    Each row is stemmed in its language ("meetings" finds "meeting", "perguntas" finds "pergunta").

    Matches are bold on a terminal and marked <b>..</b> in --json and in a pipe.

    Examples:

      lt search budget

      lt search '"next week" -friday' --lang en --limit 5

      lt search perguntas --lang pt --json | jq -r '.[].snippet'

      lt search budget --session 20261122T170501Z-4f2a9c --speaker Ana
    """
    from lt.db.connect import connect
    from lt.db.queries import SearchQuery
    from lt.db.queries import search as run_search

    with connect(db) as conn:
        hits = run_search(conn, SearchQuery(query, lang=lang, session=session, speaker=speaker, limit=limit))
    if json_out:
        from lt.commands.output import print_json

        print_json([{**hit, "snippet": marked(hit["snippet"])} for hit in hits])
    else:
        _print(hits)
    return 0


def marked(snippet: str) -> str:
    from lt.db.queries import MATCH_START, MATCH_STOP

    return snippet.replace(MATCH_START, "<b>").replace(MATCH_STOP, "</b>")


def _bold(snippet: str) -> Any:
    """A snippet as rich Text: the stored words literal, the matches bold."""
    from rich.text import Text

    from lt.db.queries import MATCH_START, MATCH_STOP

    text = Text()
    for i, piece in enumerate(snippet.replace(MATCH_STOP, MATCH_START).split(MATCH_START)):
        text.append(piece, style="bold" if i % 2 else "")
    return text


def _print(hits: list[dict]) -> None:
    import sys

    from rich.text import Text

    from lt.log import stderr_console
    from lt.commands.output import seconds, stdout_console

    if not hits:
        stderr_console().print("no matches")
        return
    console = stdout_console()
    for hit in hits:
        who = f"  {hit['speaker']}" if hit.get("speaker") else ""
        where = f"{hit['session']}  {seconds(hit['start'])}–{seconds(hit['end'])}  seg {hit['seg']}  {hit['kind']} {hit['lang'] or '?'}{who}"
        if console.is_terminal:
            console.print(Text(where, style="dim"))
            console.print(Text("  ") + _bold(hit["snippet"]))
        else:
            sys.stdout.write(f"{where}\t{marked(hit['snippet'])}\n")


def register(app: typer.Typer) -> None:
    app.command()(search)
