from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from lt.log import setup_logging
from lt.commands.options import ComputeDevice, ComputeType, Quiet, Session, Verbose, verbosity
from lt.tts.engine import EngineKind

log = logging.getLogger("lt.dub")


def dub(
    source: Annotated[Path, typer.Argument(help="The recording or video to dub.", show_default=False)],
    to: Annotated[str, typer.Option("--to", "-t", help="The language of the dub (ISO 639-1).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The video to write (.mp4, .mkv, .mov or .webm).")],
    spoken: Annotated[Optional[str], typer.Option("--from", "-f", help="The language spoken in the input (default: detected).", show_default=False)] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="The Whisper model that transcribes it (as lt transcribe --model).")] = "base",
    engine: Annotated[EngineKind, typer.Option("--engine", case_sensitive=False, help="auto: a Piper voice for the language if there is one, else espeak-ng.")] = EngineKind.auto,
    voice: Annotated[Optional[str], typer.Option("--voice", help="A Piper voice (.onnx, or an installed voice's name) or an espeak-ng voice.", show_default=False)] = None,
    duck: Annotated[bool, typer.Option("--duck/--no-duck", help="Mix the original, lowered, under the dub on the dubbed track.")] = False,
    duck_db: Annotated[float, typer.Option("--duck-db", min=0.0, max=60.0, help="How many dB the original is lowered under the dub.")] = 18.0,
    captions: Annotated[bool, typer.Option("--captions/--no-captions", help="Draw the dub's text as captions on the picture.")] = True,
    max_speedup: Annotated[float, typer.Option("--max-speedup", min=1.0, max=3.0, help="Speech longer than its room is sped up by at most this factor.")] = 1.3,
    size: Annotated[Optional[str], typer.Option("--size", help="Frame size WIDTHxHEIGHT (default: the input's, else 1280x720).", show_default=False)] = None,
    fps: Annotated[Optional[float], typer.Option("--fps", min=1, max=120, help="Frames per second (default: the input's, else 30).", show_default=False)] = None,
    save_track: Annotated[Optional[Path], typer.Option("--save-track", help="Also keep the dubbed track as this .wav or .flac file.", show_default=False)] = None,
    session: Session = None,
    device: ComputeDevice = "auto",
    compute_type: ComputeType = "auto",
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Dub a recording or video into another language: one video with the dubbed and the original track.

    Transcribes the input, translates it, speaks the translation at each
    caption's time, and writes a video with the dub as its first audio track and
    the original as its second (the input's picture, else captions on black).

    Examples:

      lt dub examples/meeting.wav --to pt --out meeting.pt.mp4

      lt dub talk.mp4 --to en --from pt --duck --out talk.en.mp4
    """
    from lt.commands.overlay import _parse_size
    from lt.errors import ExitCode, LtError
    from lt.mt.languages import check_code
    from lt.tts.choose import choose_engine
    from lt.tts.dub import DubSettings, dub as run_dub
    from lt.tts.timing import TimingSettings

    setup_logging(verbosity(verbose, quiet))
    lang = check_code(to, "--to")
    if save_track is not None and save_track.suffix.lower() not in (".wav", ".flac"):
        raise LtError(f"--save-track {save_track}: the track is written as .wav or .flac", hint="e.g. --save-track dub.wav", code=ExitCode.USAGE)
    synth = choose_engine(lang, engine, voice)  # before the long work: a language nothing speaks fails now
    settings = DubSettings(
        source=str(source), out=str(out), lang=lang, spoken_lang=check_code(spoken, "--from") if spoken else None,
        model=model, device=device, compute_type=compute_type, timing=TimingSettings(max_speedup=max_speedup),
        duck=duck, duck_db=duck_db, captions=captions, size=_parse_size(size) if size else None, fps=fps,
        save_track=str(save_track) if save_track else None, session=session,
    )
    stats = run_dub(settings, synth)
    log.info("%s", stats.summary())
    log.info("wrote %s (track 1: %s dub by %s, track 2: the original)", out, lang, synth.engine)
    return 0


def register(app: typer.Typer) -> None:
    app.command()(dub)
