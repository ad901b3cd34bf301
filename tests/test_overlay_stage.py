"""The frame loop on both clocks, with an honest recording renderer and sink (and the real compositor)."""

from __future__ import annotations

import time

import numpy as np
from overlay_events import transcript, translation

from lt.events import ErrorEvent
from lt.captions import ReadingTime
from lt.overlay.captions import ShownCaption
from lt.overlay.clock import ClockKind
from lt.overlay.layout import Geometry
from lt.overlay.render import Compositor
from lt.overlay.sinks import NullSink
from lt.overlay.stage import OverlaySettings, run_overlay

FPS = 10


class RecordingRenderer:
    """Remembers which caption texts each frame shows, and draws them with the real compositor."""

    def __init__(self, size=(320, 180)):
        self.shown: list[dict[str, str]] = []
        self.compositor = Compositor(Geometry(*size))

    def render(self, background, captions: tuple[tuple[int, ShownCaption], ...], still: bool) -> np.ndarray:
        self.shown.append({c.lang: c.text for _, c in captions})
        return self.compositor.render(background, captions, still)

    def prepare(self, captions: tuple[tuple[int, ShownCaption], ...]) -> None:
        self.compositor.prepare(captions)


class RecordingSink:
    def __init__(self):
        self.indexes: list[int] = []
        self.closed = False

    def write(self, frame: np.ndarray, index: int) -> None:
        assert frame.shape == (180, 320, 3) and frame.dtype == np.uint8
        self.indexes.append(index)

    def close(self) -> None:
        self.closed = True


def events_settings(**kw) -> OverlaySettings:
    return OverlaySettings(size=(320, 180), fps=FPS, clock=ClockKind.events, timing=ReadingTime(min_seconds=1.0, max_seconds=4.0), **kw)


STREAM = [
    transcript(0, "good", 1.0, 1.5, final=False),
    transcript(0, "Good morning.", 1.0, 2.0),
    translation(0, "Bom dia.", 1.0, 2.0),
    transcript(1, "Next point", 4.0, 5.0, final=False),
    transcript(1, "Next point on the list.", 4.0, 5.5),
    translation(1, "Próximo ponto da lista.", 4.0, 5.5),
]


def test_events_clock_shows_each_caption_at_its_audio_time():
    renderer, sink = RecordingRenderer(), RecordingSink()
    stats = run_overlay(STREAM, events_settings(), sink, renderer=renderer)
    at = lambda seconds: renderer.shown[round(seconds * FPS)]  # noqa: E731
    assert at(0.5) == {}
    assert at(1.0) == {"en": "Good morning.", "pt": "Bom dia."}
    assert at(1.9) == {"en": "Good morning.", "pt": "Bom dia."}
    assert at(2.0) == {}  # its reading time and its speech are over: silence clears the screen
    assert at(3.9) == {}
    assert at(4.0) == {"en": "Next point on the list.", "pt": "Próximo ponto da lista."}
    assert renderer.shown[-1] != {} and sink.indexes == list(range(len(sink.indexes)))
    # After the input ends the last caption still gets its reading time (23 chars at 17/s from 4.0 s).
    assert len(sink.indexes) == round((4.0 + 23 / 17) * FPS) + 1
    assert stats.frames == len(sink.indexes) and stats.captions == 6


def test_partial_shows_until_its_final_replaces_it_in_place():
    renderer = RecordingRenderer()
    stream = [
        transcript(0, "the budget", 0.0, 0.5, final=False),
        transcript(1, "is approved", 2.0, 2.5, final=False),
        transcript(1, "The budget is approved.", 2.0, 3.0),
    ]
    run_overlay(stream, events_settings(), RecordingSink(), renderer=renderer)
    assert renderer.shown[5] == {"en": "the budget"}
    assert renderer.shown[20] == {"en": "The budget is approved."}


def test_trace_gets_every_shown_final_once_with_its_frame_time():
    traced: list[tuple[str, float]] = []
    before = time.time()
    stats = run_overlay(STREAM, events_settings(), RecordingSink(), renderer=RecordingRenderer(),
                        trace=lambda event, wall: traced.append((event.text, wall)))
    assert [text for text, _ in traced] == ["Good morning.", "Bom dia.", "Next point on the list.", "Próximo ponto da lista."]
    assert all(before <= wall <= time.time() for _, wall in traced)
    assert stats.shown_finals == 4


def test_trace_gets_a_final_replaced_before_its_frame_by_the_next_partial_that_shows_it_above():
    traced: list[str] = []
    # Both come between the frames at 2.0 and 2.1 s: the final's first frame shows it above "next".
    stream = [transcript(0, "Good morning.", 2.02, 2.5), transcript(1, "next", 2.05, 2.3, final=False)]
    stats = run_overlay(stream, events_settings(), RecordingSink(), renderer=RecordingRenderer(),
                        trace=lambda event, wall: traced.append(event.text))
    assert traced == ["Good morning.", "next"]
    assert stats.shown_finals == 1


def test_bad_and_unknown_events_are_ignored_and_frames_keep_flowing():
    error = ErrorEvent(session="s", id="e", stage="overlay", message="input line 3: not valid JSON", line=3)
    renderer = RecordingRenderer()
    run_overlay([STREAM[1], error, STREAM[4]], events_settings(), RecordingSink(), renderer=renderer)
    assert renderer.shown[round(4.0 * FPS)] == {"en": "Next point on the list."}


def test_audio_length_keeps_the_video_going():
    sink = RecordingSink()
    run_overlay(STREAM[:2], events_settings(until=10.0), sink, renderer=RecordingRenderer())
    assert len(sink.indexes) == 10 * FPS


def _burst_then_quiet(count: int, quiet_seconds: float):
    for i in range(count):
        yield transcript(i, f"caption number {i}", i * 0.01, i * 0.01 + 0.01)
    time.sleep(quiet_seconds)


def test_live_clock_takes_a_burst_without_stopping_the_frames():
    renderer, sink = RecordingRenderer(), RecordingSink()
    settings = OverlaySettings(size=(320, 180), fps=20, clock=ClockKind.live, timing=ReadingTime(min_seconds=0.3))
    stats = run_overlay(_burst_then_quiet(3000, 0.5), settings, sink, renderer=renderer)
    assert stats.captions == 3000
    assert {"en": "caption number 2999"} in renderer.shown
    assert renderer.shown[-1] == {"en": "caption number 2999"}  # ends once the last caption had its time
    # Frame indexes only go forward; dropped frames (on a loaded machine) are counted, not hidden.
    assert sink.indexes == sorted(set(sink.indexes))
    assert stats.frames + stats.dropped == sink.indexes[-1] + 1


def test_null_sink_counts_frames():
    sink = NullSink()
    run_overlay(STREAM[:2], events_settings(), sink)
    assert sink.frames > 0
