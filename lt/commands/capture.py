from __future__ import annotations

import logging
import sys
from typing import Annotated, Optional

import typer

from lt.log import setup_logging, stderr_is_live
from lt.commands.options import Quiet, Verbose, verbosity

log = logging.getLogger("lt.capture")


def capture(
    source: Annotated[
        Optional[str],
        typer.Argument(help="A file, URL or stream; - for stdin; mic for the default input device."),
    ] = None,
    device: Annotated[
        Optional[str],
        typer.Option("--device", "-d", envvar="LT_AUDIO_DEVICE", help="Input device name or index (see --list-devices); implies a live source."),
    ] = None,
    list_devices: Annotated[bool, typer.Option("--list-devices", help="List the input devices and exit.")] = False,
    realtime: Annotated[bool, typer.Option("--realtime", help="Pace a file at real-time speed, like a live source.")] = False,
    start: Annotated[float, typer.Option("--start", min=0, help="Skip this many seconds first.")] = 0.0,
    duration: Annotated[Optional[float], typer.Option("--duration", min=0, help="Stop after this many seconds.")] = None,
    loop: Annotated[bool, typer.Option("--loop", help="Start the file again at its end (stop with --duration or Ctrl-C).")] = False,
    raw: Annotated[bool, typer.Option("--raw", help="The input is already raw s16le 16 kHz mono PCM.")] = False,
    buffer: Annotated[float, typer.Option("--buffer", min=0.1, help="Seconds a live source buffers for a stalled reader before dropping.")] = 10.0,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Write audio as raw PCM (s16le, 16 kHz, mono) on stdout.

    Examples:

      lt capture examples/meeting.wav | lt transcribe

      lt capture mic | lt transcribe

      lt capture talk.mp3 --realtime --start 60 --duration 30 | lt transcribe
    """
    from lt.capture import CaptureSettings, CaptureStats, list_input_devices
    from lt.capture import capture as run_capture
    from lt.errors import ExitCode, LtError

    setup_logging(verbosity(verbose, quiet))
    if list_devices:
        _print_devices(list_input_devices())
        return 0
    if source is None and device is None:
        raise LtError("no source given", hint="name a file, - for stdin, or mic (see lt capture --help)", code=ExitCode.USAGE)
    if sys.stdout.isatty():
        raise LtError("stdout is a terminal, and raw audio would garble it", hint="pipe it: lt capture SOURCE | lt transcribe")
    settings = CaptureSettings(
        source=source or "mic", device=device, realtime=realtime, start=start,
        duration=duration, loop=loop, raw=raw, buffer_seconds=buffer,
    )
    stats = CaptureStats()
    out = sys.stdout.buffer
    chunks = run_capture(settings, stats)
    try:
        with _progress(stats) as tick:
            for chunk in chunks:
                out.write(chunk)
                out.flush()
                tick()
    finally:
        log.info(stats.summary())
    return 0


class _progress:
    """A live seconds-captured counter on stderr, only when a person is watching it."""

    def __init__(self, stats) -> None:
        self.stats = stats
        self.progress = None

    def __enter__(self):
        if not stderr_is_live():
            return lambda: None
        from rich.progress import Progress, TextColumn, TimeElapsedColumn

        from lt.log import stderr_console

        self.progress = Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=stderr_console(), transient=True)
        self.progress.start()
        task = self.progress.add_task("")
        return lambda: self.progress.update(task, description=f"capturing: {self.stats.seconds:.1f} s")

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()


def _print_devices(devices: list[dict]) -> None:
    if not devices:
        print("no input devices found", file=sys.stderr)
        return
    for d in devices:
        monitor = "\tmonitor (system audio)" if d["monitor"] else ""
        print(f"{d['index']}\t{d['name']}\t{d['channels']} ch\t{d['default_rate']} Hz{monitor}")


def register(app: typer.Typer) -> None:
    app.command()(capture)
