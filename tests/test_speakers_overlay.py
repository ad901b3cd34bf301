"""lt overlay --speaker-style: the speaker as a prefix, as a colour, or not at all."""

from __future__ import annotations

import numpy as np

from lt.overlay.captions import ShownCaption
from lt.overlay.layout import Geometry, load_font
from lt.overlay.render import Style, caption_colour, caption_lines, make_layer


def caption(speaker: str | None) -> ShownCaption:
    return ShownCaption("en", "The budget is ready.", "", True, speaker, 10.0, None)


def caption_text(shown: ShownCaption, style: Style = Style()) -> str:
    geometry = Geometry(1280, 720)
    lines = caption_lines(shown, load_font(style.font, geometry.font_px), geometry, style)
    return " ".join("".join(run.text for run in line) for line in lines)


def brightest(layer) -> tuple[int, ...]:
    colour = layer.colour.reshape(-1, 3).astype(int)
    return tuple(colour[np.argmax(colour.sum(axis=1))] // 256)


def test_prefix_is_the_default_and_off_drops_it():
    assert caption_text(caption("S1")) == "S1: The budget is ready."
    assert caption_text(caption("S1"), Style(speaker_style="off")) == "The budget is ready."
    assert caption_text(caption("S1"), Style(speaker_style="colour")) == "The budget is ready."
    assert caption_text(caption(None)) == "The budget is ready."


def test_colour_gives_each_speaker_a_steady_colour_of_its_own():
    style = Style(speaker_style="colour")
    s1, s2 = caption_colour(0, False, "S1", style), caption_colour(0, False, "S2", style)
    assert s1 != s2 and s2 == caption_colour(3, False, "S2", style)  # the same in any language slot
    assert caption_colour(0, False, "Ana", style) == caption_colour(2, False, "Ana", style)
    assert caption_colour(1, False, "Ana", Style()) == caption_colour(1, False, None, Style())
    geometry = Geometry(640, 360)
    drawn = {name: brightest(make_layer(caption(name), 0, geometry, style)) for name in ("S1", "S2")}
    assert drawn["S1"] != drawn["S2"]
    assert all(abs(a - b) <= 2 for a, b in zip(drawn["S2"], s2))
