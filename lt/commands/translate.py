from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lt.log import setup_logging
from lt.mt.engine import Engine
from lt.commands.options import ComputeDevice, ComputeType, OnBadLine, Quiet, Verbose, verbosity
from lt.ndjson import OnBad

log = logging.getLogger("lt.translate")


def translate(
    to: Annotated[
        str,
        typer.Option("--to", "-t", envvar="LT_TRANSLATE_TO", help="Target languages, comma-separated: ISO 639-1/-3 codes or names (es,pt,de or spanish,german)."),
    ],
    source: Annotated[
        Optional[str],
        typer.Option("--from", "-f", help="Source language for every transcript (default: each transcript's lang); models load at start-up."),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option("--engine", case_sensitive=False, help="auto: a CTranslate2 model, else the bundled engine, else a pivot via English."),
    ] = Engine.auto,
    model: Annotated[
        Optional[list[str]],
        typer.Option("--model", "-m", metavar="PAIR=PATH", help="A CTranslate2 model: PAIR=PATH (en-es=~/opus-mt-en-es) or PATH of a multilingual one. Repeatable."),
    ] = None,
    models_dir: Annotated[
        Optional[Path],
        typer.Option("--models-dir", envvar="LT_TRANSLATE_MODELS", help="Directory of CTranslate2 models (default: LT_HOME/models/translate)."),
    ] = None,
    partials: Annotated[bool, typer.Option("--partials", help="Translate whole partial transcripts, tentative words too (debounced).")] = False,
    speculate: Annotated[
        bool,
        typer.Option("--speculate/--no-speculate", help="Translate each sentence's stable words before its final, as tentative translations."),
    ] = True,
    speculate_words: Annotated[int, typer.Option("--speculate-words", min=1, help="New stable words (or a clause end) before the next speculative translation.")] = 3,
    partial_interval: Annotated[
        float, typer.Option("--partial-interval", min=0, help="Seconds of audio a segment must grow before its partial is retranslated."),
    ] = 1.0,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Most transcripts translated in one engine call.")] = 16,
    batch_wait: Annotated[float, typer.Option("--batch-wait", min=0, help="Seconds to wait for more input to join a batch (0: take only what is already waiting).")] = 0.0,
    cache_size: Annotated[int, typer.Option("--cache-size", min=0, help="Translations kept in the LRU cache (0 = off).")] = 4096,
    beam: Annotated[int, typer.Option("--beam", min=1, help="Beam size for CTranslate2 models.")] = 2,
    device: ComputeDevice = "auto",
    compute_type: ComputeType = "auto",
    threads: Annotated[int, typer.Option("--threads", min=0, help="CPU threads per engine (0 = half the cores, at most 4).")] = 0,
    on_bad: OnBadLine = OnBad.emit,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Add translations of transcripts to the event stream (every event passes through).

    Offline English<->Portuguese works out of the box; other pairs need a
    model, fetched once with `lt models add` (see docs/models.md). A target no
    model can produce fails before any input is read, with the command to run.
    Exit code 3 when some translations could not be made (error events).

    Examples:

      lt capture examples/meeting.wav | lt transcribe | lt translate --to pt

      lt models add bergamot-en-es && lt transcribe < audio.pcm | lt translate --to spanish

      lt transcribe < audio.pcm | lt translate --to es,de --model en-es=~/models/opus-mt-en-es
    """
    from lt.errors import ExitCode
    from lt.mt.cache import TranslationCache
    from lt.mt.ct2 import Ct2Settings
    from lt.mt.languages import check_code
    from lt.mt.router import RouterSettings, open_router
    from lt.mt.stage import TranslateSettings, TranslateStats, translate_events
    from lt.ndjson import EventWriter, ReadStats, read_events, rejected_exit_code

    setup_logging(verbosity(verbose, quiet))
    targets = _targets(to)
    source_lang = check_code(source, "--from") if source else None
    settings = TranslateSettings(
        targets=targets, source=source_lang, partials=partials, partial_interval=partial_interval,
        speculate=speculate, speculate_words=speculate_words,
        batch_size=batch_size, batch_wait=batch_wait, cache_size=cache_size,
    )
    router = open_router(RouterSettings(
        engine=engine, model_options=tuple(model or ()), models_dir=models_dir,
        ct2=Ct2Settings(device=device, compute_type=compute_type, threads=threads, beam_size=beam, max_batch=batch_size),
        bergamot_threads=threads,
    ), targets, source_lang)
    read_stats, stats, cache = ReadStats(), TranslateStats(), TranslationCache(cache_size)
    events = read_events(sys.stdin.buffer, stage="translate", on_bad=on_bad, stats=read_stats)
    try:
        EventWriter().write_all(translate_events(events, router, settings, stats=stats, cache=cache))
    finally:
        log.info(stats.summary(targets))
        log.debug(cache.summary())
    # Translations that could not be made are error events downstream: the run is not a clean success.
    return rejected_exit_code(read_stats) or (ExitCode.REJECTED_INPUT if stats.errors else ExitCode.OK)


def _targets(to: str) -> tuple[str, ...]:
    from lt.errors import ExitCode, LtError
    from lt.mt.languages import check_code

    targets = tuple(dict.fromkeys(check_code(code, "--to") for code in to.split(",") if code.strip()))
    if not targets:
        raise LtError("--to names no language", hint="e.g. --to es,pt", code=ExitCode.USAGE)
    return targets


def register(app: typer.Typer) -> None:
    app.command()(translate)
