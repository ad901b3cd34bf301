"""Frames per second, CPU use and render time of `lt overlay`, against a same-run baseline.

Captions change five times a second (a partial, its final and a translation
for every segment), the sink is `null`, and each size runs on the live clock
at the target rate (does it keep 30 fps, and at what CPU cost?) and on the
events clock as fast as possible (how much headroom is there?).

The baseline is the obvious renderer: every frame, lay out and draw all caption
text with Pillow onto a copy of the background. The figures that matter are
the ratios between the two, measured in the same run on the same machine.

    .venv/bin/python bench/overlay_fps.py [--seconds 8] [--sizes 1280x720,1920x1080]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Iterator

import numpy as np

from lt.events import AnyEvent, TranscriptEvent, TranslationEvent
from lt.overlay.captions import ShownCaption
from lt.overlay.clock import ClockKind
from lt.overlay.layout import TENTATIVE, Geometry, load_font
from lt.overlay.render import Compositor, Style, caption_colour, caption_lines
from lt.overlay.sinks import NullSink
from lt.overlay.stage import OverlaySettings, run_overlay

CHANGES_PER_SECOND = 5
WORDS = ("the quarterly budget review shows that spending on travel fell while "
         "hiring in the support team went up faster than we planned last spring").split()


class NaiveRenderer:
    """The baseline: no layer cache, no reuse; Pillow draws every caption on every frame."""

    def __init__(self, geometry: Geometry, style: Style = Style()):
        self.geometry, self.style = geometry, style

    def render(self, background: np.ndarray, captions: tuple[tuple[int, ShownCaption], ...], still: bool) -> np.ndarray:
        from PIL import Image, ImageDraw

        g = self.geometry
        font = load_font(self.style.font, g.font_px)
        image = Image.fromarray(background)
        draw = ImageDraw.Draw(image)
        y = g.height - g.bottom_margin
        for slot, caption in reversed(captions):
            lines = caption_lines(caption, font, g, self.style)
            y -= g.line_px * len(lines) + 2 * g.outline_px
            for i, line in enumerate(lines):
                x = (g.width - g.text_width) / 2
                for run in line:
                    draw.text(
                        (x, y + g.outline_px + (i + 0.5) * g.line_px), run.text, font=font, anchor="lm",
                        fill=caption_colour(slot, run.kind == TENTATIVE, caption.speaker, self.style),
                        stroke_width=g.outline_px, stroke_fill=(0, 0, 0),
                    )
                    x += font.getlength(run.text)
            y -= g.block_gap
        return np.asarray(image)

    def prepare(self, captions: tuple[tuple[int, ShownCaption], ...]) -> None:
        pass


class Moving:
    """A background that changes every frame (like a camera), without the cost of decoding one."""

    still = False

    def __init__(self, size: tuple[int, int]):
        width, height = size
        ramp = np.linspace(0, 255, width, dtype=np.uint8)
        self.frames = [np.ascontiguousarray(np.broadcast_to(np.roll(ramp, shift)[None, :, None], (height, width, 3))) for shift in (0, 97)]

    def frame_at(self, t: float) -> np.ndarray:
        return self.frames[int(t * 30) % 2]

    def close(self) -> None:
        pass


def caption_events(count: int, paced: bool) -> Iterator[AnyEvent]:
    """Every segment: a partial (two stable words, a tentative tail), then its final, then the translation, one change every 1/5 s."""
    step = 1 / CHANGES_PER_SECOND
    for i in range(count):
        seg, phase = divmod(i, 3)
        start = seg * 3 * step
        words = " ".join(WORDS[(seg * 5 + k) % len(WORDS)] for k in range(8 + seg % 7))
        if phase < 2:
            text = words if phase else " ".join(words.split()[:4])
            event: AnyEvent = TranscriptEvent(session="bench", id=f"t{i}", seg=seg, start=start, end=start + 0.5,
                                              text=text, lang="en", final=phase == 1, stable=2 if phase == 0 else 0)
        else:
            event = TranslationEvent(session="bench", id=f"p{i}", seg=seg, source_lang="en", target_lang="pt",
                                     text=f"tradução {seg}: " + words, source_text=words, engine="bench", model=None,
                                     final=True, start=start, end=start + 0.5)
        if paced:
            time.sleep(step)
        yield event


def measure(size, renderer_name: str, clock: ClockKind, seconds: float, background_kind: str) -> dict:
    geometry = Geometry(*size)
    renderer = Compositor(geometry) if renderer_name == "cached" else NaiveRenderer(geometry)
    background = Moving(size) if background_kind == "moving" else None
    settings = OverlaySettings(size=size, fps=30.0, clock=clock)
    events = caption_events(int(seconds * CHANGES_PER_SECOND), paced=clock is ClockKind.live)
    wall, cpu = time.perf_counter(), time.process_time()
    stats = run_overlay(events, settings, NullSink(), background, renderer)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "fps": stats.frames / wall, "cpu": cpu / wall, "cpu_per_frame_ms": cpu / stats.frames * 1000,
        "late": stats.late, "dropped": stats.dropped, "p50": stats.render_ms(50), "p99": stats.render_ms(99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each live run")
    parser.add_argument("--sizes", default="1280x720,1920x1080")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
    print(f"captions change {CHANGES_PER_SECOND}x a second, null sink, target 30 fps; cpu = cores busy (1.0 = one core)")
    for size in [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]:
        for background in ("still", "moving"):
            print(f"\n{size[0]}x{size[1]}, {background} background")
            results = {}
            for name in ("cached", "baseline"):
                live = measure(size, name, ClockKind.live, args.seconds, background)
                fast = measure(size, name, ClockKind.events, args.seconds, background)
                results[name] = (live, fast)
                print(
                    f"  {name:8}  live: {live['fps']:5.1f} fps, cpu {live['cpu']:.2f}, late {live['late']}, "
                    f"dropped {live['dropped']}, render p50 {live['p50']:.2f} ms p99 {live['p99']:.2f} ms"
                    f" | as fast as possible: {fast['fps']:6.0f} fps, {fast['cpu_per_frame_ms']:.2f} ms cpu/frame"
                )
            (live, fast), (base_live, base_fast) = results["cached"], results["baseline"]
            print(
                f"  ratio     live cpu {base_live['cpu'] / live['cpu']:.1f}x lower, render p99 "
                f"{base_live['p99'] / max(live['p99'], 1e-6):.1f}x lower, max fps {fast['fps'] / base_fast['fps']:.1f}x higher"
            )


if __name__ == "__main__":
    main()
