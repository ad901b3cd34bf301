"""Drawing captions onto frames.

Text is drawn with Pillow once per caption change into a small layer
(premultiplied colour and coverage, centred at the bottom of the frame); every
frame then blends the stacked layers onto the background with integer numpy
arithmetic over the caption area only. With a still background the finished
frame itself is reused until the captions change.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from lt.overlay.captions import ShownCaption
from lt.overlay.layout import TENTATIVE, Geometry, Run, SpeakerStyle, Style, load_font, rollup

# White for the original, then a distinct colour per translation line.
COLOURS = ((255, 255, 255), (255, 214, 0), (80, 220, 255), (150, 255, 140), (255, 150, 220), (255, 170, 90))
# --speaker-style colour: S1, S2, ... in this order, a name by its hash: the same on every run.
SPEAKER_COLOURS = ((255, 255, 255), (255, 214, 0), (80, 220, 255), (150, 255, 140), (255, 150, 220), (255, 170, 90), (190, 170, 255))
PARTIAL_DIM = 0.6
BOX_OPACITY = 0.62
_LAYERS_KEPT = 64


@dataclass(frozen=True)
class Layer:
    """A caption block ready to blend: out = (colour + background * keep) >> 8."""

    colour: np.ndarray  # uint16 (h, w, 3), premultiplied, scaled by 256
    keep: np.ndarray  # uint16 (h, w, 1), 256 - coverage
    x: int

    @property
    def height(self) -> int:
        return self.colour.shape[0]


class FrameRenderer(Protocol):
    def render(self, background: np.ndarray, captions: tuple[tuple[int, ShownCaption], ...], still: bool) -> np.ndarray: ...

    def prepare(self, captions: tuple[tuple[int, ShownCaption], ...]) -> None:
        """Get ready to draw these captions; called while the frame loop waits, so frames stay cheap."""


def caption_lines(caption: ShownCaption, font, geometry: Geometry, style: Style) -> list[list[Run]]:
    prefix = caption.speaker and style.speaker_style == SpeakerStyle.prefix
    stable = f"{caption.speaker}: {caption.stable}" if prefix else caption.stable
    return rollup(caption.earlier, stable, caption.tentative, font, geometry.text_width, style.max_lines)


def caption_colour(slot: int, tentative: bool = False, speaker: str | None = None, style: Style = Style()) -> tuple[int, int, int]:
    if speaker and style.speaker_style == SpeakerStyle.colour:
        import zlib

        number = int(speaker[1:]) - 1 if speaker[:1] == "S" and speaker[1:].isdigit() else zlib.crc32(speaker.encode())
        colour = SPEAKER_COLOURS[number % len(SPEAKER_COLOURS)]
    else:
        colour = COLOURS[slot % len(COLOURS)]
    return tuple(round(c * PARTIAL_DIM) for c in colour) if tentative else colour


def draw_masks(lines: list[list[Run]], geometry: Geometry, style: Style) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coverage (uint8) of the solid glyphs, of the tentative ones, and of what sits behind them
    (outline or box). Lines are left-aligned in the text area, so a caption that grows at the
    end never moves what is already drawn."""
    from PIL import Image, ImageDraw

    font = load_font(style.font, geometry.font_px)
    pad = geometry.box_padding if style.box else geometry.outline_px
    width = geometry.text_width + 2 * pad
    height = geometry.line_px * len(lines) + 2 * pad
    solid, dim, behind = (Image.new("L", (width, height)) for _ in range(3))
    draws = {False: ImageDraw.Draw(solid), True: ImageDraw.Draw(dim)}
    draw_behind = ImageDraw.Draw(behind)
    for i, line in enumerate(lines):
        y = pad + i * geometry.line_px + geometry.line_px / 2
        x = pad
        for run in line:
            draws[run.kind == TENTATIVE].text((x, y), run.text, font=font, fill=255, anchor="lm")
            if not style.box:
                draw_behind.text((x, y), run.text, font=font, fill=255, anchor="lm", stroke_width=geometry.outline_px, stroke_fill=255)
            x += font.getlength(run.text)
        if style.box and line:
            top = pad + i * geometry.line_px
            draw_behind.rectangle((0, top - (pad if i == 0 else 0), x + pad, top + geometry.line_px + pad), fill=round(255 * BOX_OPACITY))
    return np.asarray(solid), np.asarray(dim), np.asarray(behind)


def make_layer(caption: ShownCaption, slot: int, geometry: Geometry, style: Style) -> Layer:
    font = load_font(style.font, geometry.font_px)
    solid, dim, behind = draw_masks(caption_lines(caption, font, geometry, style), geometry, style)
    cols = np.flatnonzero(behind.any(axis=0) | solid.any(axis=0) | dim.any(axis=0))
    hi = int(cols[-1]) + 1 if cols.size else 1
    s = solid[:, :hi].astype(np.uint32)
    d = dim[:, :hi].astype(np.uint32)
    g = np.minimum(s + d, 255)
    b = behind[:, :hi].astype(np.uint32)
    # Glyphs over a black outline/box: colour comes only from the glyphs, opacity from both,
    # so what shows through is (1 - g)(1 - b) of the background, in 256ths.
    keep = ((255 - g) * (255 - b) * 256 + 32512) // 65025
    colour = s[..., None] * np.asarray(caption_colour(slot, False, caption.speaker, style), dtype=np.uint32)
    colour += d[..., None] * np.asarray(caption_colour(slot, True, caption.speaker, style), dtype=np.uint32)
    colour = (colour * 256 + 127) // 255
    pad = geometry.box_padding if style.box else geometry.outline_px
    x = (geometry.width - geometry.text_width) // 2 - pad
    return Layer(colour.astype(np.uint16), keep[..., None].astype(np.uint16), max(0, x))


class Compositor:
    """The FrameRenderer of the stage: layers cached per caption look, frames reused while nothing changes."""

    def __init__(self, geometry: Geometry, style: Style = Style()):
        self.geometry = geometry
        self.style = style
        self._layers: OrderedDict[tuple, Layer] = OrderedDict()
        self._last: tuple[object, tuple, np.ndarray] | None = None
        self.layers_drawn = 0

    def render(self, background: np.ndarray, captions: tuple[tuple[int, ShownCaption], ...], still: bool) -> np.ndarray:
        key = tuple((slot, caption.look) for slot, caption in captions)
        if still and self._last is not None and self._last[0] is background and self._last[1] == key:
            return self._last[2]
        frame = background.copy()
        y = self.geometry.height - self.geometry.bottom_margin
        for slot, caption in reversed(captions):
            layer = self._layer(slot, caption)
            if y - layer.height < 0:
                break  # more languages than fit: the lowest lines win, nothing goes off the top
            y -= layer.height
            blend(frame, layer, y)
            y -= self.geometry.block_gap
        frame.setflags(write=False)  # a sink may keep what it made of this array for as long as it is returned
        self._last = (background, key, frame)
        return frame

    def prepare(self, captions: tuple[tuple[int, ShownCaption], ...]) -> None:
        for slot, caption in captions:
            self._layer(slot, caption)

    def _layer(self, slot: int, caption: ShownCaption) -> Layer:
        key = (slot, caption.look)
        layer = self._layers.get(key)
        if layer is None:
            layer = make_layer(caption, slot, self.geometry, self.style)
            self.layers_drawn += 1
            self._layers[key] = layer
            while len(self._layers) > _LAYERS_KEPT:
                self._layers.popitem(last=False)
        self._layers.move_to_end(key)
        return layer


def blend(frame: np.ndarray, layer: Layer, y: int) -> None:
    h, w = layer.keep.shape[:2]
    w = min(w, frame.shape[1] - layer.x)
    region = frame[y : y + h, layer.x : layer.x + w]
    mixed = np.multiply(region, layer.keep[:, :w], dtype=np.uint16)
    mixed += layer.colour[:, :w]
    mixed >>= 8
    np.copyto(region, mixed, casting="unsafe")
