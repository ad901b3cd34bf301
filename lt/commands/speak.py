from __future__ import annotations

import enum
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lt.log import setup_logging
from lt.ndjson import OnBad
from lt.commands.options import OnBadLine, Quiet, Verbose, verbosity
from lt.tts.engine import EngineKind

log = logging.getLogger("lt.speak")


class SpeakSink(str, enum.Enum):
    stdout = "stdout"
    device = "device"


class SpeakClock(str, enum.Enum):
    events = "events"
    live = "live"


def speak(
    lang: Annotated[Optional[str], typer.Option("--lang", "-l", envvar="LT_SPEAK_LANG", help="The language to speak (ISO 639-1): its translations, else transcripts already in it. Required.", show_default=False)] = None,
    engine: Annotated[EngineKind, typer.Option("--engine", case_sensitive=False, help="auto: a Piper voice for the language if there is one, else espeak-ng.")] = EngineKind.auto,
    voice: Annotated[Optional[str], typer.Option("--voice", help="A Piper voice (.onnx file, or the name of one under LT_HOME/models/tts/), or an espeak-ng voice (pt-br).", show_default=False)] = None,
    out: Annotated[Optional[str], typer.Option("--out", "-o", help="Write the track here: .wav, .flac or .ogg, else raw PCM (default: raw PCM on stdout).", show_default=False)] = None,
    events: Annotated[bool, typer.Option("--events", help="Write NDJSON instead: every input event, plus an `audio` event per caption pointing at its FLAC file.")] = False,
    audio_dir: Annotated[Optional[Path], typer.Option("--audio-dir", help="--events: where the FLAC files go, one folder per session (default: LT_HOME/speech).", show_default=False)] = None,
    sink: Annotated[SpeakSink, typer.Option("--sink", "-s", case_sensitive=False, help="stdout (or --out), or device: play it on a sound device, live.")] = SpeakSink.stdout,
    clock: Annotated[SpeakClock, typer.Option("--clock", case_sensitive=False, help="events: each caption at its audio time, as fast as possible (files); live: real-time PCM, each caption as soon as it is ready.")] = SpeakClock.events,
    device: Annotated[Optional[str], typer.Option("--device", envvar="LT_AUDIO_OUTPUT", help="--sink device: the output device, by index or name (default: the system's).", show_default=False)] = None,
    list_devices: Annotated[bool, typer.Option("--list-devices", help="List the output devices and exit.")] = False,
    max_speedup: Annotated[float, typer.Option("--max-speedup", min=1.0, max=3.0, help="Speech longer than its room is sped up by at most this factor (pitch kept); the rest runs into the following silence.")] = 1.3,
    gap: Annotated[float, typer.Option("--gap", min=0.0, help="Seconds of silence kept between two captions' speech.")] = 0.15,
    max_delay: Annotated[float, typer.Option("--max-delay", min=0.5, help="Live: never fall further behind than this many seconds (speed up, then drop the oldest waiting speech).")] = 5.0,
    duck: Annotated[Optional[Path], typer.Option("--duck", help="Mix this original recording under the dub, lowered while the dub speaks.", show_default=False)] = None,
    duck_db: Annotated[float, typer.Option("--duck-db", min=0.0, max=60.0, help="How many dB the original is lowered under the dub.")] = 18.0,
    on_bad: OnBadLine = OnBad.emit,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Speak the translations (or transcripts) in the event stream, placed at their audio time.

    Writes the PCM contract (s16le, 16 kHz, mono, like lt capture) on stdout:
    each caption's speech at its start, silence between, so the dub lines up
    with the original. Engines: Piper voices (English bundled), espeak-ng for
    every other language (docs/speak.md).

    Examples:

      lt capture examples/meeting.wav | lt transcribe | lt translate --to pt | lt speak --lang pt > dub.pcm

      lt replay SESSION | lt speak --lang en --out dub.wav --duck examples/meeting.wav

      lt capture mic | lt transcribe | lt translate --to pt | lt speak --lang pt --sink device

      lt translate --to pt < events.ndjson | lt speak --lang pt --events | lt store
    """
    from lt.errors import ExitCode, LtError
    from lt.mt.languages import check_code
    from lt.tts.choose import choose_engine
    from lt.tts.outputs import OutputSettings
    from lt.tts.stage import SpeakSettings
    from lt.tts.timing import TimingSettings

    setup_logging(verbosity(verbose, quiet))
    if list_devices:
        return _list_devices()
    if not lang:
        raise LtError("--lang names no language to speak", hint="e.g. lt speak --lang pt", code=ExitCode.USAGE)
    _check_combination(events, sink, clock, out, duck, device)
    lang = check_code(lang, "--lang")
    synth = choose_engine(lang, engine, voice)  # before any input: a language nothing speaks fails now
    log.info("speaking %s with %s (voice %s)", lang, synth.engine, synth.voice)
    live = sink is SpeakSink.device or clock is SpeakClock.live
    timing = TimingSettings(max_speedup=max_speedup, gap=gap)
    output = OutputSettings(
        events=events, audio_dir=audio_dir, live=live, device=sink is SpeakSink.device, device_name=device, out=out,
        duck=str(duck) if duck else None, duck_db=duck_db, max_delay=max_delay, timing=timing,
    )
    return _run(synth, SpeakSettings(lang=synth.lang, timing=timing, live=live), output, on_bad)


def _check_combination(events: bool, sink: SpeakSink, clock: SpeakClock, out: str | None, duck: Path | None, device: str | None) -> None:
    from lt.errors import ExitCode, LtError

    live = sink is SpeakSink.device or clock is SpeakClock.live
    clashes = [
        (events and (sink is SpeakSink.device or clock is SpeakClock.live or out is not None or duck is not None), "--events writes events on stdout: it goes without --sink device, --clock live, --out and --duck"),
        (duck is not None and live, "--duck mixes a recording into a file's track: it goes without --sink device and --clock live"),
        (sink is SpeakSink.device and out is not None, "--sink device plays the speech: it goes without --out"),
        (device is not None and sink is not SpeakSink.device, "--device names the output device of --sink device"),
    ]
    for clash, message in clashes:
        if clash:
            raise LtError(message, hint="see lt speak --help", code=ExitCode.USAGE)


def _run(synth, settings, output_settings, on_bad: OnBad) -> int:
    from lt.ndjson import ReadStats, read_events, rejected_exit_code
    from lt.tts.outputs import drive, open_output
    from lt.tts.stage import SpeakStats, speak as speak_events

    read_stats, stats = ReadStats(), SpeakStats()
    output = open_output(output_settings, synth, stats)
    stream = read_events(sys.stdin.buffer, stage="speak", on_bad=on_bad, stats=read_stats)
    try:
        drive(speak_events(stream, synth, settings, stats), output)
    finally:
        log.info(stats.summary())
    return rejected_exit_code(read_stats)


def _list_devices() -> int:
    from lt.commands.output import print_table
    from lt.tts.live import output_devices

    print_table(("index", "name", "channels", "default rate"), [(d["index"], d["name"], d["channels"], d["default_rate"]) for d in output_devices()])
    return 0


def register(app: typer.Typer) -> None:
    app.command()(speak)
