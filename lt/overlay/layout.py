"""Where caption text goes: sizes that scale with the frame, and lines that roll up.

Lines break at spaces; a word wider than a whole line (and text written
without spaces, such as Chinese or Japanese) breaks between characters.
Text that needs more than `max_lines` keeps its end, the newest speech: older
lines scroll off the top, so nothing is drawn off the frame and nothing that
is already on screen moves sideways.
"""

from __future__ import annotations

import enum
import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lt.errors import LtError

log = logging.getLogger("lt.overlay")


class Measure(Protocol):
    size: float

    def getlength(self, text: str) -> float: ...


class SpeakerStyle(str, enum.Enum):
    """How a caption shows who speaks."""

    prefix = "prefix"  # "S1: ..."
    colour = "colour"  # a colour per speaker
    off = "off"


@dataclass(frozen=True)
class Style:
    font: str | None = None  # None: a common system font, else Pillow's bundled one (see load_font)
    text_size: float = 0.05
    box: bool = False  # a dark box behind the text instead of an outline
    max_lines: int = 2
    speaker_style: SpeakerStyle = SpeakerStyle.prefix


EARLIER, STABLE, TENTATIVE = "earlier", "stable", "tentative"


@dataclass(frozen=True)
class Piece:
    text: str
    gap: str  # what joins it to the piece before it, unless it starts a line
    kind: str = STABLE


@dataclass(frozen=True)
class Run:
    """Text of one kind within a line: drawn solid (earlier, stable) or dimmer (tentative)."""

    text: str
    kind: str


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


def rollup(earlier: str, stable: str, tentative: str, font: Measure, width: float, max_lines: int = 2) -> list[list[Run]]:
    """The last `max_lines` lines of a caption, left-aligned, as runs of one kind each.

    The earlier final's lines come first, then the current text from a new line:
    stable words, then the tentative tail. Lines are filled greedily from the
    start, so words added at the end never move the words before them; what no
    longer fits scrolls off the top a whole line at a time, as live captions roll up."""
    lines = _fill(_pieces(_last(earlier, font, width, max_lines), font, width, EARLIER), font, width)
    current = _pieces(_last(stable, font, width, max_lines), font, width, STABLE) + _pieces(tentative, font, width, TENTATIVE)
    lines += _fill(current, font, width)
    return [_runs(line) for line in lines[-max_lines:]]


def _last(text: str, font: Measure, width: float, max_lines: int) -> str:
    """Only the end of a huge text can be shown: no glyph is narrower than 0.15 em."""
    limit = max_lines * int(width / (0.15 * font.size) + 1)
    return text if len(text) <= limit else text[-limit:].split(" ", 1)[-1]


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


def _pieces(text: str, font: Measure, width: float, kind: str) -> list[Piece]:
    pieces = []
    for word in re.findall(r"\S+", text):
        if font.getlength(word) <= width:
            pieces.append(Piece(word, " ", kind))
        else:
            pieces.extend(Piece(ch, " " if i == 0 else "", kind) for i, ch in enumerate(word))
    return pieces


def _join(line: list[Piece]) -> str:
    return line[0].text + "".join(p.gap + p.text for p in line[1:])


def _runs(line: list[Piece]) -> list[Run]:
    """Neighbouring pieces of one kind as one run; a run keeps the gap before it."""
    runs: list[Run] = []
    for i, piece in enumerate(line):
        text = piece.text if i == 0 else piece.gap + piece.text
        if runs and runs[-1].kind == piece.kind:
            runs[-1] = Run(runs[-1].text + text, piece.kind)
        else:
            runs.append(Run(text, piece.kind))
    return runs
