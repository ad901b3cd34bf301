from __future__ import annotations

import contextlib
import logging
import re
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lt.captions import ReadingTime
from lt.log import setup_logging
from lt.ndjson import OnBad
from lt.commands.options import OnBadLine, Quiet, Verbose, verbosity
from lt.overlay.clock import ClockKind
from lt.overlay.layout import SpeakerStyle
from lt.overlay.sinks import SinkKind

log = logging.getLogger("lt.overlay")


def overlay(
    sink: Annotated[SinkKind, typer.Option("--sink", "-s", case_sensitive=False, help="Where frames go.")] = SinkKind.virtualcam,
    out: Annotated[Optional[str], typer.Option("--out", "-o", help="Video file (.mp4/.webm/.mkv), y4m file (- for stdout) or png folder.")] = None,
    audio: Annotated[Optional[Path], typer.Option("--audio", help="Mux this audio file into the video (the session's recording).")] = None,
    every: Annotated[int, typer.Option("--every", min=1, help="png: keep every Nth frame.")] = 1,
    size: Annotated[str, typer.Option("--size", envvar="LT_OVERLAY_SIZE", help="Frame size WIDTHxHEIGHT (even numbers).")] = "1280x720",
    fps: Annotated[float, typer.Option("--fps", min=1, max=120, help="Frames per second.")] = 30.0,
    clock: Annotated[
        Optional[ClockKind],
        typer.Option("--clock", case_sensitive=False, help="live: frames by the wall clock; events: by the events' audio time, as fast as possible (default: events for video and png, live otherwise).", show_default=False),
    ] = None,
    langs: Annotated[Optional[str], typer.Option("--langs", help="Languages to show, top to bottom, e.g. en,pt (default: the original, then each translation as it first arrives).", show_default=False)] = None,
    background: Annotated[str, typer.Option("--background", "-b", envvar="LT_OVERLAY_BACKGROUND", help="A colour (black, '#202020', chroma), an image, a video file, a camera (/dev/video0) or a stream URL.")] = "black",
    font: Annotated[Optional[Path], typer.Option("--font", help="A TrueType/OpenType font file (e.g. for CJK) instead of Pillow's bundled font.")] = None,
    box: Annotated[bool, typer.Option("--box/--outline", help="A dark box behind the text, or an outline around the letters.")] = False,
    speaker_style: Annotated[SpeakerStyle, typer.Option("--speaker-style", case_sensitive=False, help="Who is speaking: prefix (\"S1: ...\"), colour (a colour per speaker) or off.")] = SpeakerStyle.prefix,
    text_size: Annotated[float, typer.Option("--text-size", min=1, max=20, help="Font size in percent of the frame height.")] = 5.0,
    cps: Annotated[float, typer.Option("--cps", min=1, help="Reading speed in characters a second: how long a caption stays up.")] = ReadingTime.chars_per_second,
    min_seconds: Annotated[float, typer.Option("--min-seconds", min=0, help="Shortest time a caption stays up.")] = ReadingTime.min_seconds,
    max_seconds: Annotated[float, typer.Option("--max-seconds", min=0.1, help="Longest time a caption stays up without a newer one.")] = ReadingTime.max_seconds,
    camera: Annotated[Optional[str], typer.Option("--vcam-device", help="virtualcam: the device, e.g. /dev/video10 (default: the first one found).")] = None,
    backend: Annotated[Optional[str], typer.Option("--vcam-backend", help="virtualcam: pyvirtualcam backend (v4l2loopback, obs, unitycapture).")] = None,
    trace: Annotated[Optional[Path], typer.Option("--trace", help="Write every caption event shown (partials, finals, translations) as NDJSON, stamped t.frame with the wall time of its first frame.")] = None,
    on_bad: OnBadLine = OnBad.skip,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Draw live captions (original and translations) onto video frames from events on stdin.

    Examples:

      lt capture mic | lt transcribe | lt translate --to pt | lt overlay

      lt capture examples/meeting.wav | lt transcribe | lt translate --to pt | lt overlay --sink video --out demo.mp4 --audio examples/meeting.wav

      lt replay SESSION | lt overlay --sink y4m --clock live | ffplay -

      lt overlay --background /dev/video0 --langs pt --box < events.ndjson
    """
    from lt.errors import ExitCode, LtError
    from lt.ndjson import ReadStats, read_events, rejected_exit_code
    from lt.overlay.layout import Style
    from lt.overlay.sinks import SinkSettings, audio_seconds
    from lt.overlay.stage import DEFAULT_CLOCK, OverlaySettings, OverlayStats, run_overlay

    setup_logging(verbosity(verbose, quiet))
    if audio is not None and sink is not SinkKind.video:
        raise LtError("--audio goes with --sink video", hint="add --sink video --out FILE.mp4", code=ExitCode.USAGE)
    frame_size = _parse_size(size)
    style = Style(font=str(font) if font else None, text_size=text_size / 100, box=box, speaker_style=speaker_style)
    sink_settings = SinkSettings(
        kind=sink, size=frame_size, fps=fps, out=out, audio=str(audio) if audio else None,
        every=every, camera=camera, backend=backend,
    )
    read_stats, stats = ReadStats(), OverlayStats()
    with contextlib.ExitStack() as stack:
        background_source, frame_sink = _opened(stack, style, background, sink_settings)
        settings = OverlaySettings(
            size=frame_size, fps=fps, clock=clock or DEFAULT_CLOCK.get(sink, ClockKind.live),
            langs=_parse_langs(langs), timing=ReadingTime(cps, min_seconds, max_seconds), style=style,
            # A video with audio runs at least as long as the audio, so the whole recording is heard.
            until=audio_seconds(str(audio)) if audio else 0.0,
        )
        stack.callback(lambda: log.info(stats.summary()))
        tracer = _tracer(stack, trace)
        log.debug("%s clock, %dx%d at %g fps, to %s", settings.clock.value, *frame_size, fps, sink.value)
        events = read_events(sys.stdin.buffer, stage="overlay", on_bad=on_bad, stats=read_stats)
        run_overlay(events, settings, frame_sink, background_source, trace=tracer, stats=stats)
    return rejected_exit_code(read_stats)


def _opened(stack: contextlib.ExitStack, style, background: str, sink_settings):
    """The background and the sink; the virtual camera is the default, which most machines lack,
    so its error says what else there is."""
    from lt.errors import ExitCode, LtError
    from lt.overlay.stage import open_output

    try:
        return stack.enter_context(open_output(style, background, sink_settings))
    except LtError as exc:
        if sink_settings.kind is not SinkKind.virtualcam or exc.code is not ExitCode.UNAVAILABLE:
            raise
        elsewhere = "or draw the captions elsewhere: --sink video --out captions.mp4, or --sink y4m | ffplay -"
        raise LtError(exc.message, hint=f"{exc.hint}; {elsewhere}" if exc.hint else elsewhere, code=exc.code) from None


def _parse_size(text: str) -> tuple[int, int]:
    from lt.errors import ExitCode, LtError

    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise LtError(f"--size {text!r} is not WIDTHxHEIGHT", hint="e.g. --size 1280x720", code=ExitCode.USAGE)
    width, height = int(match[1]), int(match[2])
    if not (16 <= width <= 7680 and 16 <= height <= 4320) or width % 2 or height % 2:
        raise LtError(f"--size {text}: width and height must be even, from 16x16 to 7680x4320", hint="e.g. --size 1920x1080", code=ExitCode.USAGE)
    return width, height


def _parse_langs(text: str | None) -> tuple[str, ...]:
    return tuple(lang.strip() for lang in text.split(",") if lang.strip()) if text else ()


def _tracer(stack: contextlib.ExitStack, path: Path | None):
    if path is None:
        return None
    from lt.errors import LtError
    from lt.events import FRAME
    from lt.ndjson import EventWriter

    try:
        writer = EventWriter(stack.enter_context(open(path, "wb")))
    except OSError as exc:
        raise LtError(f"cannot write trace {path}: {exc.strerror}", hint="choose another --trace path") from None
    return lambda event, wall: writer.write(event.stamped(FRAME, wall))


def register(app: typer.Typer) -> None:
    app.command()(overlay)
