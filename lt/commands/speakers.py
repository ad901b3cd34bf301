from __future__ import annotations

import logging
from typing import Annotated, Optional

import typer

from lt.log import setup_logging
from lt.commands.options import Database, Json, Quiet, Verbose, verbosity

log = logging.getLogger("lt.speakers")

USAGE = (
    "lt speakers SESSION | lt speakers SESSION rename SPEAKER NAME | lt speakers enrol NAME FILE | "
    "lt speakers voices | lt speakers forget NAME | lt speakers setup"
)


def speakers(
    args: Annotated[Optional[list[str]], typer.Argument(metavar="SESSION [rename SPEAKER NAME] | enrol NAME FILE | voices | forget NAME | setup", show_default=False)] = None,
    db: Database = None,
    json_out: Json = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Who spoke in a session, names for its speakers, and enrolled voices.

    lt speakers SESSION: each speaker's finals, talk time, first and last words.

    lt speakers SESSION rename S1 "Ana": name a speaker after the fact; export, report, search and status show the name.

    lt speakers enrol NAME FILE: store NAME's voice print from a recording of them alone (3 s or more, 10-30 s is better), so `lt transcribe --speakers auto` labels them by name live.

    lt speakers voices: the enrolled voices.  lt speakers forget NAME: delete one.

    lt speakers setup: convert the speaker model once (needs the speakers extra; first use does it too).

    Examples:

      lt speakers 20261122T170501Z-4f2a9c

      lt speakers 20261122T170501Z-4f2a9c rename S2 "Bea Lopes"

      lt speakers enrol Ana ana-intro.wav
    """
    setup_logging(verbosity(verbose, quiet))
    args = args or []
    if not args:
        raise typer.BadParameter(f"say what to do: {USAGE}", param_hint="ARGS")
    verb, rest = args[0], args[1:]
    if verb == "setup" and not rest:
        return _setup(json_out)
    if verb == "enrol" and len(rest) == 2:
        return _enrol(*rest, json_out=json_out)
    if verb == "voices" and not rest:
        return _voices(json_out)
    if verb == "forget" and len(rest) == 1:
        return _forget(rest[0])
    if len(rest) == 3 and rest[0] == "rename":
        return _rename(verb, rest[1], rest[2], db)
    if not rest and verb not in ("setup", "enrol", "voices", "forget", "rename"):
        return _session(verb, db, json_out)
    raise typer.BadParameter(f"cannot read {' '.join(args)!r}: expected {USAGE}", param_hint="ARGS")


def _setup(json_out: bool) -> int:
    from lt.commands.output import print_json
    from lt.speakers.model import ensure_model, model_files

    path = ensure_model()
    manifest = model_files().manifest.read_text()
    if json_out:
        import json

        print_json({"path": str(path), **json.loads(manifest)})
    else:
        print(path)
    return 0


def _enrol(name: str, source: str, json_out: bool) -> int:
    from lt.speakers.voices import enrol

    voice, path = enrol(name, source)
    if json_out:
        from lt.commands.output import print_json

        print_json({"name": voice.name, "seconds": round(voice.seconds, 2), "path": str(path)})
    else:
        print(path)
    log.info("enrolled %s from %.1f s of audio", voice.name, voice.seconds)
    return 0


def _voices(json_out: bool) -> int:
    from lt.speakers.voices import load_voices, voices_dir

    voices = load_voices()
    if json_out:
        from lt.commands.output import print_json

        print_json([{"name": v.name, "seconds": round(v.seconds, 2)} for v in voices])
        return 0
    if not voices:
        from lt.log import stderr_console

        stderr_console().print(f"no voices enrolled in {voices_dir()}; add one with: lt speakers enrol NAME FILE", markup=False)
        return 0
    from lt.commands.output import print_table, seconds

    print_table(("name", "enrolled from"), [(v.name, seconds(v.seconds)) for v in voices])
    return 0


def _forget(name: str) -> int:
    from lt.errors import LtError
    from lt.speakers.voices import forget_voice

    if not forget_voice(name):
        raise LtError(f"no enrolled voice named {name!r}", hint="lt speakers voices lists them")
    log.info("forgot the voice of %s", name)
    return 0


def _rename(session: str, speaker: str, name: str, db: str | None) -> int:
    from lt.db import queries
    from lt.db.connect import connect
    from lt.speakers.voices import check_name

    name = check_name(name)
    with connect(db) as conn:
        queries.require_session(conn, session)
        named = queries.rename_speaker(conn, session, speaker, name)
    log.info("%s is now %s in session %s", named, name, session)
    return 0


def _session(session: str, db: str | None, json_out: bool) -> int:
    from lt.db import queries
    from lt.db.connect import connect
    from lt.commands.output import print_json, print_table, seconds

    with connect(db) as conn:
        queries.require_session(conn, session)
        rows = queries.speaker_talk(conn, session)
    if json_out:
        print_json(rows)
        return 0
    if not rows:
        from lt.log import stderr_console

        stderr_console().print("no speaker labels in this session; transcribe with: lt transcribe --speakers auto", markup=False)
        return 0
    print_table(
        ("speaker", "finals", "talk time", "first", "last", "stored as", "mean prob"),
        [
            (r["speaker"], r["finals"], seconds(r["talk_seconds"]), seconds(r["first"]), seconds(r["last"]),
             ",".join(r["ids"]), None if r["mean_prob"] is None else f"{r['mean_prob']:.2f}")
            for r in rows
        ],
    )
    return 0


def register(app: typer.Typer) -> None:
    app.command()(speakers)
