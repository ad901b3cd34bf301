"""Rendering, checked by pixel statistics in the caption area (never pixel-exact)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from overlay_events import transcript, translation

from lt.errors import LtError
from lt.overlay.backgrounds import CHROMA_GREEN, open_background, solid
from lt.overlay.captions import CaptionBoard
from lt.overlay.layout import Geometry, load_font
from lt.overlay.render import Compositor, Style

GREY = (40, 40, 40)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def render(events, size=(1280, 720), style=Style(), background=GREY, now=0.1):
    board = CaptionBoard()
    for event in events:
        board.apply(event, now=0)
    compositor = Compositor(Geometry(*size, style.text_size), style)
    return compositor.render(solid(background, size).frame_at(now), board.visible(now), still=True)


def changed(frame: np.ndarray, background=GREY) -> np.ndarray:
    return np.any(frame != np.asarray(background, dtype=np.uint8), axis=2)


def white(frame):
    return np.all(frame >= 220, axis=2)


def yellow(frame):
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    return (r >= 200) & (g >= 170) & (b <= 80)


def test_original_and_translation_sit_at_the_bottom_in_their_colours():
    frame = render([transcript(0, "Good morning, everyone.", 0, 2), translation(0, "Bom dia a todos.", 0, 2)])
    h = frame.shape[0]
    rows = np.flatnonzero(changed(frame).any(axis=1))
    assert rows.min() > h * 0.7 and rows.max() < h * 0.96  # bottom band, above the margin
    white_rows, yellow_rows = np.flatnonzero(white(frame).any(axis=1)), np.flatnonzero(yellow(frame).any(axis=1))
    assert white(frame).sum() > 1000 and yellow(frame).sum() > 1000
    assert white_rows.mean() < yellow_rows.mean()  # original above, translation below
    cols = np.flatnonzero(changed(frame).any(axis=0))
    assert abs(cols.min() - frame.shape[1] * 0.05) < 10  # left-aligned in the text area, so growing text never shifts
    # The outline keeps the text readable: dark pixels surround the letters.
    assert (frame[changed(frame)].max(axis=1) < 30).sum() > 1000


def test_stable_words_are_drawn_solid_and_the_tentative_tail_dimmer():
    frame = render([transcript(0, "stable words tentative tail", 0, 2, final=False, stable=2)])
    text = changed(frame)
    cols = np.flatnonzero(text.any(axis=0))
    middle = (cols.min() + cols.max()) // 2
    left, right = frame[:, : middle - 20], frame[:, middle + 20 :]
    assert white(left).sum() > 300  # "stable words": full white
    assert white(right).sum() < 20 and (right.max(axis=2) > 120).sum() > 300  # the tail: grey, not white


def test_a_growing_partial_leaves_its_stable_words_where_they_were():
    first = render([transcript(0, "we have enough", 0, 1, final=False, stable=3)])
    later = render([transcript(0, "we have enough money for three", 0, 2, final=False, stable=3, rev=1)])
    cols = np.flatnonzero(changed(first).any(axis=0))
    span = slice(0, cols.max() + 1)
    assert np.array_equal(first[:, span], later[:, span])


def test_sizes_scale_with_the_frame():
    small = changed(render([transcript(0, "Scaling text", 0, 1)], size=(640, 360), background=GREY))
    large = changed(render([transcript(0, "Scaling text", 0, 1)], size=(1920, 1080), background=GREY))
    ratio = large.sum() / small.sum()
    assert 6 < ratio < 12  # 3x the height: about 9x the area


def test_box_style_darkens_a_box_behind_the_text():
    frame = render([transcript(0, "In a box", 0, 1)], style=Style(box=True), background=(200, 200, 200))
    touched = changed(frame, (200, 200, 200))
    box_pixels = np.all(np.abs(frame.astype(int) - 76) <= 3, axis=2)  # 200 * (1 - 0.62)
    assert box_pixels.sum() > 0.5 * touched.sum()


def test_partial_is_dimmer_than_its_final():
    partial = render([transcript(0, "Same words here", 0, 1, final=False)])
    final = render([transcript(0, "Same words here", 0, 1)])
    assert partial.max() < 180 and final.max() == 255
    assert abs(int(changed(partial).sum()) - int(changed(final).sum())) < 0.02 * changed(final).sum()


def test_long_text_in_many_languages_never_leaves_the_frame():
    long = "and then " * 200
    events = [transcript(0, long, 0, 1)] + [translation(0, long, 0, 1, target=t) for t in "de es fr it ja ko nl pl pt ru sv".split()]
    frame = render(events, size=(640, 360))
    rows = np.flatnonzero(changed(frame).any(axis=1))
    cols = np.flatnonzero(changed(frame).any(axis=0))
    assert rows.min() > 0 and cols.min() > 0 and cols.max() < 639
    assert rows.max() < 360 - 360 * 0.06 + 2


def test_captions_on_chroma_green_leave_the_rest_keyable():
    frame = render([transcript(0, "Keyed", 0, 1)], background=CHROMA_GREEN)
    assert (~changed(frame, CHROMA_GREEN)).mean() > 0.97


def test_frame_is_reused_while_nothing_changes_on_a_still_background():
    board = CaptionBoard()
    board.apply(transcript(0, "Still", 0, 1), now=0)
    compositor = Compositor(Geometry(640, 360))
    background = solid(GREY, (640, 360))
    first = compositor.render(background.frame_at(0), board.visible(0), still=True)
    assert compositor.render(background.frame_at(0.1), board.visible(0.1), still=True) is first
    assert compositor.layers_drawn == 1
    assert not first.flags.writeable  # so a sink may keep what it made of it while it comes back


def _font_file(lang: str) -> str | None:
    try:
        out = subprocess.run(["fc-list", f":lang={lang}", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
    return next((f for f in files if "Regular" in f or "Sans" in f), files[0] if files else None)


def _glyph_masks(font_path: str, chars: str) -> list[bytes]:
    font = load_font(font_path, 40)
    return [bytes(font.getmask(ch)) for ch in chars]


@pytest.mark.skipif(not DEJAVU.is_file(), reason="needs DejaVu Sans: apt-get install fonts-dejavu-core")
def test_cyrillic_and_greek_with_a_font_file():
    text = "Доброе утро, коллеги. Καλημέρα σας."
    masks = _glyph_masks(str(DEJAVU), "Дбуκλμ")
    assert len(set(masks)) == len(masks)  # real glyphs, not one missing-glyph box repeated
    frame = render([translation(0, text, 0, 1, target="ru")], style=Style(font=str(DEJAVU)))
    assert changed(frame).sum() > 2000


CJK_FONT = _font_file("ja")


@pytest.mark.skipif(CJK_FONT is None, reason="needs a CJK font: apt-get install fonts-noto-cjk")
def test_japanese_without_spaces_wraps_between_characters():
    text = "本日は会議にご参加いただきありがとうございます。" * 6
    masks = _glyph_masks(CJK_FONT, "本日会議")
    assert len(set(masks)) == 4
    frame = render([translation(0, text, 0, 1, target="ja")], size=(640, 360), style=Style(font=CJK_FONT))
    cols = np.flatnonzero(changed(frame).any(axis=0))
    assert cols.min() > 0 and cols.max() < 639
    assert changed(frame).sum() > 3000


def test_a_missing_font_file_is_a_clear_error(tmp_path):
    with pytest.raises(LtError, match="font file not found"):
        load_font(str(tmp_path / "nope.ttf"), 20)


def test_image_background_is_fitted_to_the_frame(tmp_path):
    from PIL import Image

    Image.new("RGB", (300, 100), (10, 120, 200)).save(tmp_path / "bg.png")
    picture = open_background(str(tmp_path / "bg.png"), (320, 240)).frame_at(0)
    assert picture.shape == (240, 320, 3) and tuple(picture[120, 160]) == (10, 120, 200)


def _red_then_blue(path, frames=10):
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):  # red for the first half, then blue
            colour = (255, 0, 0) if i < frames // 2 else (0, 0, 255)
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), colour, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def test_video_background_follows_the_clock_and_loops(tmp_path):
    _red_then_blue(tmp_path / "bg.mp4")
    background = open_background(str(tmp_path / "bg.mp4"), (32, 24))
    reds = [background.frame_at(t)[12, 16, 0] > 200 for t in (0.0, 0.2, 0.7, 0.9, 1.1, 1.7, 5.2)]
    background.close()
    assert reds == [True, True, False, False, True, False, True]


def test_a_stream_background_shows_its_newest_picture(tmp_path):
    _red_then_blue(tmp_path / "stream.mp4")
    background = open_background((tmp_path / "stream.mp4").as_uri(), (32, 24))
    assert not background.still
    deadline = time.monotonic() + 10
    while background.frame_at(0)[12, 16, 2] < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    picture = background.frame_at(0)
    background.close()
    assert picture.shape == (24, 32, 3) and picture[12, 16, 2] > 200  # it read through to the blue end


def test_unknown_background_is_a_clear_error():
    with pytest.raises(LtError, match="not a colour, a file"):
        open_background("no-such-thing.xyz", (64, 48))
