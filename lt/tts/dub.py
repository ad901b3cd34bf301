"""`lt dub`: a recording in, a video out with the dubbed speech and the original as two audio tracks.

The stages as library generators, one after the other on the whole file:

    capture → transcribe (batch) → translate → speak (a WAV track) → overlay (the video)

The video is the input's own picture when it has one (else a plain background),
with the translated captions drawn on it unless asked not to. Track 1 is the dub,
track 2 the original, so a player starts with the dub and offers the original.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lt.errors import LtError
from lt.events import AnyEvent, TranscriptEvent, new_session_id
from lt.tts.engine import Synthesizer
from lt.tts.timing import TimingSettings

log = logging.getLogger("lt.dub")

DEFAULT_SIZE = (1280, 720)
DEFAULT_FPS = 30.0


@dataclass(frozen=True)
class DubSettings:
    source: str
    out: str
    lang: str
    spoken_lang: str | None = None  # None: detected per utterance
    model: str = "base"
    device: str = "auto"
    compute_type: str = "auto"
    timing: TimingSettings = TimingSettings()
    duck: bool = False
    duck_db: float = 18.0
    captions: bool = True
    size: tuple[int, int] | None = None  # None: the input's picture size, else DEFAULT_SIZE
    fps: float | None = None
    save_track: str | None = None
    session: str | None = None


@dataclass
class DubStats:
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per step
    transcripts: int = 0
    translations: int = 0
    audio_seconds: float = 0.0

    def summary(self) -> str:
        steps = ", ".join(f"{name} {took:.1f} s" for name, took in self.seconds.items())
        return f"dubbed {self.audio_seconds:.1f} s: {self.transcripts} captions, {self.translations} translated; {steps}"


def dub(settings: DubSettings, synth: Synthesizer, stats: DubStats | None = None) -> DubStats:
    from lt.overlay.sinks import audio_seconds

    stats = stats if stats is not None else DubStats()
    picture = _picture(settings.source)
    router = _router(settings)
    stats.audio_seconds = audio_seconds(settings.source)
    events = _timed(stats, "transcribe", lambda: _transcribe(settings))
    stats.transcripts = sum(isinstance(e, TranscriptEvent) and e.final for e in events)
    events = _timed(stats, "translate", lambda: _translate(events, router, settings))
    stats.translations = sum(e.type == "translation" for e in events)
    with tempfile.TemporaryDirectory(prefix="lt-dub-") as scratch:
        track = settings.save_track or str(Path(scratch) / "dub.wav")
        _timed(stats, "speak", lambda: _speak(events, synth, settings, track))
        _timed(stats, "video", lambda: _video(events, settings, track, picture, stats.audio_seconds))
    return stats


def _timed(stats: DubStats, step: str, work):
    log.info("%s...", step)
    began = time.monotonic()
    result = work()
    stats.seconds[step] = time.monotonic() - began
    return result


@dataclass(frozen=True)
class _Picture:
    size: tuple[int, int] | None  # None: the input has no video stream
    fps: float | None


def _picture(source: str) -> _Picture:
    import av

    if not Path(source).is_file():
        raise LtError(f"no such file: {source}", hint="give the recording or video to dub")
    try:
        with av.open(source) as container:
            if not container.streams.audio:
                raise LtError(f"{source} has no audio stream", hint="lt dub needs a recording with speech in it")
            if not container.streams.video:
                return _Picture(None, None)
            video = container.streams.video[0]
            rate = float(video.average_rate) if video.average_rate else None
            return _Picture((video.width // 2 * 2, video.height // 2 * 2), rate)
    except av.FFmpegError as exc:
        raise LtError(f"cannot read {source}: {exc}", hint="give an audio or video file FFmpeg can decode") from None


def _router(settings: DubSettings):
    """The translation engines; a dub into a language nothing translates into fails before the long work."""
    from lt.mt.languages import NAMES
    from lt.mt.router import RouterSettings, build_router

    router = build_router(RouterSettings())
    if settings.spoken_lang and settings.spoken_lang != settings.lang and router.route(settings.spoken_lang, settings.lang) is None:
        raise _untranslatable(router, settings.spoken_lang, settings.lang)
    if not settings.spoken_lang and not any(router.route(code, settings.lang) for code in NAMES if code != settings.lang):
        raise LtError(
            f"nothing translates into {settings.lang!r} here: no CTranslate2 model for it in {router.models_dir}",
            hint=f"add one (see docs/translate.md), or pass --from {settings.lang} if the recording is already in it",
        )
    return router


def _untranslatable(router, source: str, target: str) -> LtError:
    return LtError(
        f"no translation model for {source}->{target}: put a CTranslate2 model in {router.models_dir}/{source}-{target}/",
        hint="see docs/translate.md for how to get one (a multilingual M2M100/NLLB model covers every pair)",
    )


def _transcribe(settings: DubSettings) -> list[AnyEvent]:
    from lt.asr.stage import TranscribeSettings, transcribe
    from lt.capture import CaptureSettings, capture

    audio = capture(CaptureSettings(source=settings.source))
    return list(transcribe(audio, TranscribeSettings(
        model=settings.model, mode="batch", language=settings.spoken_lang, partials=False,
        device=settings.device, compute_type=settings.compute_type,
        session=settings.session or new_session_id(), source=settings.source,
    )))


def _translate(events: list[AnyEvent], router, settings: DubSettings) -> list[AnyEvent]:
    from lt.mt.stage import TranslateSettings, translate_events

    for lang in {e.lang for e in events if isinstance(e, TranscriptEvent) and e.final and e.lang}:
        if lang != settings.lang and router.route(lang, settings.lang) is None:
            raise _untranslatable(router, lang, settings.lang)
    return list(translate_events(events, router, TranslateSettings(targets=(settings.lang,), source=settings.spoken_lang)))


def _speak(events: list[AnyEvent], synth: Synthesizer, settings: DubSettings, track: str) -> None:
    from lt.tts.outputs import OutputSettings, drive, open_output
    from lt.tts.stage import SpeakSettings, SpeakStats, speak

    stats = SpeakStats()
    output = open_output(OutputSettings(out=track, duck=settings.source if settings.duck else None, duck_db=settings.duck_db), synth, stats)
    drive(speak(events, synth, SpeakSettings(lang=settings.lang, timing=settings.timing), stats), output)
    log.info("%s", stats.summary())


def _video(events: list[AnyEvent], settings: DubSettings, track: str, picture: _Picture, seconds: float) -> None:
    from lt.overlay.backgrounds import open_background, solid
    from lt.overlay.clock import ClockKind
    from lt.overlay.sinks import SinkKind, SinkSettings, VideoSink
    from lt.overlay.stage import OverlaySettings, run_overlay

    size = settings.size or picture.size or DEFAULT_SIZE
    fps = settings.fps or picture.fps or DEFAULT_FPS
    background = open_background(settings.source, size) if picture.size else solid((0, 0, 0), size)
    sink = VideoSink(SinkSettings(kind=SinkKind.video, size=size, fps=fps, out=settings.out, audio=track, second_audio=settings.source))
    try:
        overlay = OverlaySettings(size=size, fps=fps, clock=ClockKind.events, langs=(settings.lang,), until=seconds)
        run_overlay(events if settings.captions else [], overlay, sink, background)
    finally:
        sink.close()
        background.close()
