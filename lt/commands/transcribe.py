from __future__ import annotations

import enum
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from lt.log import setup_logging
from lt.commands.options import ComputeDevice, ComputeType, Quiet, Session, Verbose, verbosity

log = logging.getLogger("lt.transcribe")


class Mode(str, enum.Enum):
    auto = "auto"
    stream = "stream"
    batch = "batch"


class Window(str, enum.Enum):
    short = "short"
    full = "full"


class Task(str, enum.Enum):
    transcribe = "transcribe"
    translate = "translate"


def transcribe(
    model: Annotated[
        str,
        typer.Option("--model", "-m", envvar="LT_MODEL", help="Whisper model: a size (tiny.en, base, small, ...), a CTranslate2 directory or a Hugging Face id."),
    ] = "base",
    mode: Annotated[
        Mode,
        typer.Option("--mode", case_sensitive=False, help="stream (partials and finals, low latency), batch (finals, throughput), or auto: stream when the input arrives live."),
    ] = Mode.auto,
    language: Annotated[
        str, typer.Option("--language", "-l", envvar="LT_LANGUAGE", help="Spoken language code (en, es, ...) or auto to detect it per utterance.")
    ] = "auto",
    languages: Annotated[
        Optional[str],
        typer.Option("--languages", envvar="LT_LANGUAGES", metavar="L,...", help="With --language auto: detect only among these languages (en,pt)."),
    ] = None,
    task: Annotated[Task, typer.Option("--task", case_sensitive=False, help="transcribe, or translate (Whisper's speech-to-English).")] = Task.transcribe,
    partials: Annotated[bool, typer.Option("--partials/--no-partials", help="Emit partial hypotheses (final: false) before each final.")] = True,
    min_chunk: Annotated[float, typer.Option("--min-chunk", min=0.1, max=10, help="Seconds of new audio between decodes in stream mode (live, a decode also waits for the one before).")] = 0.3,
    lookahead: Annotated[
        float,
        typer.Option("--lookahead", min=0.0, max=5.0, help="Seconds of audio a decode must have heard past a word before it is committed (shown stable; at least 0.8 for a word the decoder is unsure of): more is more accurate and later."),
    ] = 0.2,
    context: Annotated[
        float,
        typer.Option("--context", min=0.0, max=10.0, help="Seconds of the last finished sentence kept in stream mode's buffer, its words forced, so the next is decoded after it as batch mode does (0: each sentence afresh): more is more accurate, and each decode takes longer."),
    ] = 5.0,
    pause: Annotated[float, typer.Option("--pause", min=0.2, max=10, help="Seconds of silence that end an utterance, commit its text and end its final.")] = 0.8,
    max_hold: Annotated[
        float,
        typer.Option("--max-hold", min=0.1, max=60, help="Seconds (of audio) committed words may wait for their sentence to end before they go out as a final (they are on screen as stable words meanwhile)."),
    ] = 10.0,
    window: Annotated[
        Window,
        typer.Option("--window", case_sensitive=False, help="Stream decodes: short encodes only the buffered audio (several times faster on a CPU); full is Whisper's fixed 30 s window."),
    ] = Window.short,
    beam_size: Annotated[int, typer.Option("--beam-size", min=1, max=20, help="Beam search width (1 = greedy, fastest).")] = 5,
    keep_audio: Annotated[
        Optional[Path],
        typer.Option("--keep-audio", metavar="DIR", help="Write the session's audio as FLAC chunks under DIR/SESSION and emit audio events."),
    ] = None,
    stall_timeout: Annotated[
        float, typer.Option("--stall-timeout", min=0, help="Give up when stdin sends nothing for this many seconds (0 = wait forever).")
    ] = 30.0,
    speakers: Annotated[
        str, typer.Option("--speakers", envvar="LT_SPEAKERS", help="Who spoke: auto, the number of speakers, or off (needs lt[speakers]).")
    ] = "off",
    threads: Annotated[int, typer.Option("--threads", min=0, help="CPU threads for the model (0 = half the cores, at most 4).")] = 0,
    session: Session = None,
    device: ComputeDevice = "auto",
    compute_type: ComputeType = "auto",
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> int:
    """Turn raw PCM audio on stdin (s16le, 16 kHz, mono) into transcript events on stdout.

    Streams partials and finals from a live source, or transcribes a whole file
    in batch mode; offline, with the bundled Whisper models (base, tiny.en).

    Examples:

      lt capture mic | lt transcribe

      lt capture examples/meeting.wav --realtime | lt transcribe --model tiny.en

      lt capture talk.mp3 | lt transcribe --mode batch --language es
    """
    from lt.asr.stage import TranscribeSettings, TranscribeStats, exit_code, start
    from lt.speakers.settings import SpeakerSettings
    from lt.errors import LtError, Terminated
    from lt.ndjson import EventWriter

    setup_logging(verbosity(verbose, quiet))
    if sys.stdin.isatty():
        raise LtError("stdin is a terminal, not audio", hint="pipe audio in: lt capture FILE | lt transcribe")
    settings = TranscribeSettings(
        model=model, mode=mode.value, language=None if language == "auto" else language,
        languages=_language_list(languages), task=task.value,
        beam_size=beam_size, min_chunk=min_chunk, lookahead=lookahead, context=context, pause=pause, max_hold=max_hold, window=window.value, partials=partials, device=device,
        compute_type=compute_type, threads=threads, keep_audio=keep_audio, stall_timeout=stall_timeout, session=session,
        speakers=SpeakerSettings.parse(speakers),
    )
    stats = TranscribeStats()
    run = start(_audio_only(sys.stdin.fileno()), settings, stats=stats)
    writer = EventWriter()
    try:
        writer.write_all(run.events())
    except (KeyboardInterrupt, Terminated):
        writer.write_all(run.interrupted())
        raise
    finally:
        if stats.mode:
            run.tally()
            log.info(stats.summary())
    return exit_code(stats)


def _language_list(value: str | None) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(code.strip().lower() for code in (value or "").split(",") if code.strip()))
    if len(codes) == 1:
        raise typer.BadParameter("name two or more languages, or use --language for one", param_hint="--languages")
    return codes


def _audio_only(fd: int):
    """Refuse the inputs people pipe in by mistake: NDJSON events, other text and a WAV file."""
    from lt.asr.pcm_input import fd_chunks, read_head
    from lt.errors import LtError

    head = read_head(fd, 64)  # 2 ms of audio: a live source is not held up
    if head.lstrip().startswith(b"{"):
        raise LtError("stdin carries JSON events, not audio", hint="lt transcribe reads raw PCM: lt capture FILE | lt transcribe")
    if head[:4] == b"RIFF":
        raise LtError("stdin is a WAV file, not raw PCM", hint="decode it first: lt capture FILE.wav | lt transcribe")
    if _is_text(head):
        raise LtError("stdin is text, not audio", hint="lt transcribe reads raw PCM: pipe it from lt capture (lt capture FILE | lt transcribe)")
    return fd_chunks(fd, head)


def _is_text(head: bytes) -> bool:
    """Printable UTF-8 (a truncated last character allowed): 32 samples of sound never are."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8")
    return bool(text.strip()) and all(c.isprintable() or c in "\t\r\n" for c in text)


def register(app: typer.Typer) -> None:
    app.command()(transcribe)
