"""The overlay stage: caption events in, timed frames out to a sink."""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from lt import shutdown
from lt.events import AnyEvent
from lt.latency import percentile
from lt.errors import missing_extra
from lt.overlay.backgrounds import Background, open_background, solid
from lt.captions import ReadingTime
from lt.overlay.captions import CaptionBoard, CaptionEvent, ShownCaption
from lt.overlay.clock import ClockKind, run_events, run_live
from lt.overlay.layout import Geometry, Style, load_font
from lt.overlay.render import Compositor, FrameRenderer
from lt.overlay.sinks import Sink, SinkKind, SinkSettings, open_sink

log = logging.getLogger("lt.overlay")

REPORT_EVERY = 5.0  # seconds of wall time between -v progress lines
RENDER_TIMES_KEPT = 100_000

Trace = Callable[[CaptionEvent, float], None]

# Files are timed by the words' audio time; screens by the wall clock.
DEFAULT_CLOCK = {SinkKind.video: ClockKind.events, SinkKind.png: ClockKind.events}


@dataclass(frozen=True)
class OverlaySettings:
    size: tuple[int, int] = (1280, 720)
    fps: float = 30.0
    clock: ClockKind = ClockKind.live
    langs: tuple[str, ...] = ()
    timing: ReadingTime = ReadingTime()
    style: Style = Style()
    until: float = 0.0  # keep making frames at least this far, e.g. to the end of the muxed audio


@contextlib.contextmanager
def open_output(style: Style, background: str, sink: SinkSettings) -> Iterator[tuple[Background, Sink]]:
    """What the captions are drawn on and where the frames go, both closed at the end.

    The font, the background and the sink are opened now, so a bad one fails before any input is read."""
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise missing_extra("pillow", "overlay") from None
    load_font(style.font, 12)
    with contextlib.ExitStack() as stack:
        source = open_background(background, sink.size)
        stack.callback(source.close)
        frames = open_sink(sink)
        stack.callback(frames.close)
        yield source, frames


@dataclass
class OverlayStats:
    frames: int = 0
    dropped: int = 0
    late: int = 0
    captions: int = 0
    shown_finals: int = 0
    seconds: float = 0.0  # of output video
    render_seconds: deque = field(default_factory=lambda: deque(maxlen=RENDER_TIMES_KEPT))
    started: float = field(default_factory=time.perf_counter)

    def render_ms(self, q: float) -> float:
        return percentile(list(self.render_seconds), q) * 1000 if self.render_seconds else 0.0

    def fps(self) -> float:
        return self.frames / max(time.perf_counter() - self.started, 1e-9)

    def summary(self) -> str:
        return (
            f"{self.frames} frames ({self.seconds:.1f} s of video) at {self.fps():.1f} fps achieved, "
            f"{self.late} late, {self.dropped} dropped; render p50 {self.render_ms(50):.1f} ms, "
            f"p95 {self.render_ms(95):.1f} ms, p99 {self.render_ms(99):.1f} ms; {self.captions} captions"
        )


class FrameLoop:
    """Applies events to the caption board and turns the board into frames for the sink."""

    def __init__(
        self, settings: OverlaySettings, sink: Sink, background: Background, renderer: FrameRenderer,
        trace: Trace | None, stats: OverlayStats,
    ):
        self.settings = settings
        self.sink = sink
        self.background = background
        self.renderer = renderer
        self.trace = trace
        self.board = CaptionBoard(settings.timing, settings.langs)
        self.stats = stats
        self._awaiting_frame: list[CaptionEvent] = []
        self._changed = False
        self._reported = (time.perf_counter(), 0)

    def apply(self, event: AnyEvent, now: float, hold_until: float | None = None) -> None:
        caption = self.board.apply(event, now, hold_until)
        if caption is None:
            return
        self.stats.captions += 1
        self._changed = True
        self._awaiting_frame.append(caption.event)

    def emit(self, index: int, t: float) -> None:
        started = time.perf_counter()
        captions = self.board.visible(t)
        frame = self.renderer.render(self.background.frame_at(t), captions, self.background.still)
        self.stats.render_seconds.append(time.perf_counter() - started)
        self.sink.write(frame, index)
        self.stats.frames += 1
        self.stats.seconds = (index + 1) / self.settings.fps
        self._trace_shown(captions)
        self._report()

    def prepare(self, now: float) -> None:
        if self._changed:
            self._changed = False
            self.renderer.prepare(self.board.visible(now))

    def finished(self, t: float) -> bool:
        if shutdown.requested():  # Ctrl-C or SIGTERM: once every caption read has been on a frame
            return self.stats.frames > 0 and not self._awaiting_frame
        return self.stats.frames > 0 and t >= self.board.clear_at() and t >= self.settings.until

    def dropped(self, count: int) -> None:
        self.stats.dropped += count

    def late(self) -> None:
        self.stats.late += 1

    def _trace_shown(self, captions: tuple[tuple[int, ShownCaption], ...]) -> None:
        """A caption's first frame is the one just written; one replaced before any frame never shows."""
        if not self._awaiting_frame:
            return
        wall = time.time()
        on_screen = {id(caption.event) for _, caption in captions}
        # A final that the next sentence's first partial replaced before any frame still shows above it.
        on_screen |= {id(caption.above.event) for _, caption in captions if caption.above is not None}
        for event in self._awaiting_frame:
            if id(event) in on_screen:
                self.stats.shown_finals += event.final
                if self.trace is not None:
                    self.trace(event, wall)
        self._awaiting_frame.clear()

    def _report(self) -> None:
        now = time.perf_counter()
        since, frames = self._reported
        if now - since < REPORT_EVERY:
            return
        self._reported = (now, self.stats.frames)
        log.debug(
            "%.1f fps, %d late, %d dropped, render p50 %.1f ms p99 %.1f ms",
            (self.stats.frames - frames) / (now - since), self.stats.late, self.stats.dropped,
            self.stats.render_ms(50), self.stats.render_ms(99),
        )


def run_overlay(
    events: Iterable[AnyEvent],
    settings: OverlaySettings,
    sink: Sink,
    background: Background | None = None,
    renderer: FrameRenderer | None = None,
    trace: Trace | None = None,
    stats: OverlayStats | None = None,
) -> OverlayStats:
    """Draw the captions of `events` onto frames and write them to `sink` (which the caller closes).

    `trace(event, wall_time)` is called for every caption event (partials with their stable
    words, finals, translations) with the wall time of the first frame that shows it."""
    background = background or solid((0, 0, 0), settings.size)
    renderer = renderer or Compositor(Geometry(*settings.size, settings.style.text_size), settings.style)
    loop = FrameLoop(settings, sink, background, renderer, trace, stats if stats is not None else OverlayStats())
    if settings.clock is ClockKind.live:
        run_live(events, loop, settings.fps)
    else:
        run_events(events, loop, settings.fps)
    return loop.stats
