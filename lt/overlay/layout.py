"""Where caption text goes: sizes that scale with the frame, and wrapping to a few lines.

Lines break at spaces; a word wider than a whole line (and text written
without spaces, such as Chinese or Japanese) breaks between characters.
Text that needs more than `max_lines` keeps its end, the newest speech, and
starts with an ellipsis at a word boundary, so nothing is drawn off the frame.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lt.errors import LtError

ELLIPSIS = "\u2026"

log = logging.getLogger("lt.overlay")


class Measure(Protocol):
    size: float

    def getlength(self, text: str) -> float: ...


@dataclass(frozen=True)
class Piece:
    text: str
    gap: str  # what joins it to the piece before it, unless it starts a line


@dataclass(frozen=True)
class Geometry:
    """Pixel sizes derived from the frame, so 720p and 1080p look the same."""

    width: int
    height: int
    text_size: float = 0.05  # font size as a fraction of the frame height

    @property
    def font_px(self) -> int:
        return max(8, round(self.height * self.text_size))

    @property
    def line_px(self) -> int:
        return round(self.font_px * 1.25)

    @property
    def text_width(self) -> int:
        return round(self.width * 0.9)

    @property
    def bottom_margin(self) -> int:
        return round(self.height * 0.06)

    @property
    def block_gap(self) -> int:
        return round(self.font_px * 0.3)

    @property
    def outline_px(self) -> int:
        return max(1, round(self.font_px / 12))

    @property
    def box_padding(self) -> int:
        return round(self.font_px * 0.3)


# Pillow's bundled font has no accented letters (no "ç", no "ã"), so a common
# system font with wide coverage comes first when there is one.
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


@functools.cache
def default_font_path() -> str | None:
    found = next((path for path in SYSTEM_FONTS if Path(path).is_file()), None)
    if found is None:
        log.warning("no system font found: Pillow's bundled font draws no accented letters; "
                    "install fonts-dejavu-core or give --font")
    return found


@functools.lru_cache(maxsize=8)
def load_font(path: str | None, size: int):
    """The TrueType/OpenType file at `path`, else a system font, else Pillow's bundled scalable font."""
    from PIL import ImageFont

    path = path or default_font_path()
    if path is None:
        return ImageFont.load_default(size=size)
    if not Path(path).is_file():
        raise LtError(f"font file not found: {path}", hint="give a .ttf/.otf/.ttc file, e.g. one listed by fc-list")
    try:
        return ImageFont.truetype(path, size)
    except OSError as exc:
        raise LtError(f"cannot use font {path}: {exc}", hint="give a TrueType or OpenType font file") from None


def wrap(text: str, font: Measure, width: float, max_lines: int = 2) -> list[str]:
    """At most `max_lines` lines no wider than `width`; overflow drops the start behind an ellipsis."""
    # Only the end can be shown, so a huge text is cut first: no glyph is narrower than 0.15 em.
    limit = max_lines * int(width / (0.15 * font.size) + 1)
    cut = len(text) > limit
    if cut:
        text = text[-limit:].split(" ", 1)[-1]
    pieces = _pieces(text, font, width)
    lines = _fill(pieces, font, width)
    if len(lines) == 2 and not cut:
        lines = _balanced(pieces, font, width)
    if len(lines) <= max_lines and not cut:
        return [_join(line) for line in lines]
    # Too long: fill from the end, so the newest words make full lines at the bottom.
    kept: list[list[Piece]] = []
    rest = pieces
    for _ in range(max_lines - 1):
        line, rest = _tail(rest, font, width)
        kept.insert(0, line)
    top, rest = _tail(rest, font, width)
    if rest or cut:
        top, _ = _tail(top, font, width, lead=Piece(ELLIPSIS, ""))
    return [_join(line) for line in [top, *kept]]


def _fill(pieces: list[Piece], font: Measure, width: float) -> list[list[Piece]]:
    lines: list[list[Piece]] = []
    line: list[Piece] = []
    for piece in pieces:
        if line and font.getlength(_join(line + [piece])) > width:
            lines.append(line)
            line = [piece]
        else:
            line.append(piece)
    return lines + [line] if line else lines


def _balanced(pieces: list[Piece], font: Measure, width: float) -> list[list[Piece]]:
    """Two lines of similar length read better than a full line and a stray word."""
    best = None
    for split in range(1, len(pieces)):
        widest = max(font.getlength(_join(pieces[:split])), font.getlength(_join(pieces[split:])))
        if widest <= width and (best is None or widest < best[0]):
            best = (widest, split)
    if best is None:
        return _fill(pieces, font, width)
    return [pieces[: best[1]], pieces[best[1] :]]


def _tail(pieces: list[Piece], font: Measure, width: float, lead: Piece | None = None) -> tuple[list[Piece], list[Piece]]:
    """The longest run of pieces from the end that fits on one line (behind `lead`), and what is left."""
    head = [lead] if lead else []
    count = 0
    while count < len(pieces) and font.getlength(_join(head + pieces[len(pieces) - count - 1 :])) <= width:
        count += 1
    count = max(count, 1 if not lead else 0)
    return head + pieces[len(pieces) - count :], pieces[: len(pieces) - count]


def _pieces(text: str, font: Measure, width: float) -> list[Piece]:
    pieces = []
    for word in re.findall(r"\S+", text):
        if font.getlength(word) <= width:
            pieces.append(Piece(word, " "))
        else:
            pieces.extend(Piece(ch, " " if i == 0 else "") for i, ch in enumerate(word))
    return pieces


def _join(line: list[Piece]) -> str:
    return line[0].text + "".join(p.gap + p.text for p in line[1:])
