from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lt.ndjson import OnBad
from lt.commands.options import Database, Json, OnBadLine


def score(
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="A stored session id, or an NDJSON file of events (- for stdin).")],
    reference: Annotated[Path, typer.Argument(metavar="REFERENCE", help="The text that was really said, a UTF-8 file (- for stdin).")],
    lang: Annotated[Optional[str], typer.Option("--lang", "-l", help="Score the final translations into this language instead of the transcript.")] = None,
    max_wer: Annotated[Optional[float], typer.Option("--max-wer", min=0.0, show_default=False, help="Exit 5 when the word error rate is above this (0.10 = 10 %).")] = None,
    max_cer: Annotated[Optional[float], typer.Option("--max-cer", min=0.0, show_default=False, help="Exit 5 when the character error rate is above this.")] = None,
    db: Database = None,
    on_bad: OnBadLine = OnBad.fail,
    json_out: Json = False,
) -> int:
    """Score a session's final transcript against a reference text: WER and CER, normalised.

    Case, punctuation and line breaks do not count, so a caption per line
    scores the same as the paragraph it came from. SOURCE is a stored session,
    or, when it names a file that exists (or is -), a stream of events as the
    stages write them. With --max-wer / --max-cer it is a CI check: exit 5
    when a rate is above its limit.

    Examples:

      lt score 20261122T170501Z-4f2a9c examples/meeting.txt --max-wer 0.10

      lt capture talk.wav | lt transcribe | lt score - talk.txt

      lt score SESSION reference.pt.txt --lang pt --json | jq .wer
    """
    from lt.score import score as score_text

    if source == "-" and str(reference) == "-":
        _usage("SOURCE and REFERENCE cannot both be stdin", "give the reference as a file")
    from lt.ndjson import ReadStats, rejected_exit_code

    stats = ReadStats()
    captions = _captions(source, lang, db, on_bad, stats)
    result = {"source": source, "reference": str(reference), "lang": lang, **score_text(_read(reference), captions)}
    if json_out:
        from lt.commands.output import print_json

        print_json(result)
    else:
        _print(result)
    _check(result, max_wer, max_cer)
    return rejected_exit_code(stats)


def _captions(source: str, lang: str | None, db: str | None, on_bad: OnBad, stats) -> list[str]:
    from lt.ndjson import read_events
    from lt.score import finals_of_events, finals_of_session

    if source == "-":
        return finals_of_events(read_events(sys.stdin.buffer, stage="score", on_bad=on_bad, stats=stats), lang)
    if Path(source).is_file():
        with open(source, "rb") as stream:
            return finals_of_events(read_events(stream, stage="score", on_bad=on_bad, stats=stats), lang)
    from lt.db.connect import connect

    with connect(db) as conn:
        return finals_of_session(conn, source, lang)


def _read(reference: Path) -> str:
    from lt.errors import LtError

    try:
        if str(reference) == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        return reference.read_text(encoding="utf-8")
    except OSError as exc:
        raise LtError(f"cannot read the reference {reference}: {exc.strerror}", hint="name the text file that was spoken") from None
    except UnicodeDecodeError as exc:
        raise LtError(f"the reference {reference} is not UTF-8 text (byte {exc.start})", hint="convert it with iconv -t UTF-8") from None


def _usage(message: str, hint: str) -> None:
    from lt.errors import ExitCode, LtError

    raise LtError(message, hint=hint, code=ExitCode.USAGE)


def _print(r: dict) -> None:
    from lt.commands.output import print_table, stdout_console

    console = stdout_console()
    w, c = r["words"], r["chars"]
    console.print(
        f"WER {_percent(r['wer'])} ({w['substitutions']} substituted, {w['deletions']} deleted, {w['insertions']} inserted"
        f" of {w['reference_words']} words), CER {_percent(r['cer'])} (of {c['reference_chars']} characters),"
        f" {r['captions']} captions",
        markup=False,
    )
    if r["differences"]:
        rows = [(d["reference"] or "–", d["hypothesis"] or "–") for d in r["differences"]]
        print_table((f"reference says ({r['differences_total']} differences)", "transcript says"), rows, console=console)


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.1%}"


def _check(result: dict, max_wer: float | None, max_cer: float | None) -> None:
    from lt.errors import ExitCode, LtError

    for name, limit in (("wer", max_wer), ("cer", max_cer)):
        rate = result[name]
        if limit is not None and (rate is None or rate > limit):
            raise LtError(
                f"{name.upper()} {_percent(rate)} is above the limit of {limit:.1%} (--max-{name})",
                hint=None if result["captions"] else "the transcript is empty: did the pipeline store its finals?",
                code=ExitCode.CHECK_FAILED,
            )


def register(app: typer.Typer) -> None:
    app.command()(score)
