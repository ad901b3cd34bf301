"""What the captions sit on: a colour, a picture, or moving video through PyAV.

`--background` takes a colour (`black`, `#00b140`, `0,177,64`, `chroma` for
the chroma-key green that OBS keys out), an image file, a video file (looped,
timed by the frame clock), a camera device (`/dev/video0`) or a stream URL
(`rtsp://...`, `http://...`); cameras and streams show their newest picture.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from lt.errors import LtError

log = logging.getLogger("lt.overlay")

CHROMA_GREEN = (0, 177, 64)
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
_STREAM = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


class Background(Protocol):
    still: bool  # the same picture every frame, so finished frames can be reused

    def frame_at(self, t: float) -> np.ndarray:
        """RGB uint8 (height, width, 3) for stage time t; the caller must not modify it."""
        ...

    def close(self) -> None: ...


class Still:
    still = True

    def __init__(self, picture: np.ndarray):
        self.picture = picture
        self.picture.setflags(write=False)

    def frame_at(self, t: float) -> np.ndarray:
        return self.picture

    def close(self) -> None:
        pass


def solid(colour: tuple[int, int, int], size: tuple[int, int]) -> Still:
    width, height = size
    return Still(np.full((height, width, 3), colour, dtype=np.uint8))


def parse_colour(text: str) -> tuple[int, int, int] | None:
    from PIL import ImageColor

    if text.lower() in ("chroma", "chroma-green", "greenscreen"):
        return CHROMA_GREEN
    if re.fullmatch(r"\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*", text):
        values = tuple(int(v) for v in text.split(","))
        return values if all(v <= 255 for v in values) else None  # type: ignore[return-value]
    try:
        return ImageColor.getrgb(text)[:3]
    except ValueError:
        return None


def open_background(spec: str, size: tuple[int, int]) -> Background:
    colour = parse_colour(spec)
    if colour is not None:
        return solid(colour, size)
    if spec.startswith("/dev/video") or _STREAM.match(spec):
        return LiveVideo(spec, size)
    path = Path(spec)
    if not path.exists():
        raise LtError(
            f"background {spec!r} is not a colour, a file, a camera device or a stream URL",
            hint="e.g. --background chroma, --background '#202020', --background photo.jpg, --background /dev/video0",
        )
    if path.suffix.lower() in _IMAGE_SUFFIXES:
        return Still(_load_image(path, size))
    return LoopedVideo(path, size)


def _load_image(path: Path, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            return np.asarray(ImageOps.fit(image.convert("RGB"), size))
    except OSError as exc:
        raise LtError(f"cannot read background image {path}: {exc}", hint="give a PNG or JPEG file") from None


def _open_container(spec: str, **kwargs):
    import av

    try:
        container = av.open(spec, **kwargs)
    except (av.FFmpegError, OSError) as exc:
        raise LtError(f"cannot open background video {spec}: {exc}", hint="check the path, device or URL") from None
    if not container.streams.video:
        container.close()
        raise LtError(f"background {spec} has no video stream", hint="give a video file, camera or stream")
    return container


def to_rgb(frame, size: tuple[int, int]) -> np.ndarray:
    """Scale to cover the output size (keeping the aspect ratio), then crop the middle."""
    width, height = size
    scale = max(width / frame.width, height / frame.height)
    scaled_w, scaled_h = max(width, round(frame.width * scale)), max(height, round(frame.height * scale))
    rgb = frame.reformat(width=scaled_w, height=scaled_h, format="rgb24").to_ndarray()
    top, left = (scaled_h - height) // 2, (scaled_w - width) // 2
    return rgb[top : top + height, left : left + width]


class LoopedVideo:
    """A video file decoded in step with the stage clock, starting over at its end."""

    still = False

    def __init__(self, path: Path, size: tuple[int, int]):
        self.path, self.size = path, size
        self._container = _open_container(str(path))
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self._frame_seconds = 1 / float(stream.average_rate or 30)
        self._offset = 0.0  # stage time at which the current pass through the file began
        self._frames = self._decode()
        self._next = next(self._frames, None)
        if self._next is None:
            raise LtError(f"background video {path} has no frames", hint="give a video file with pictures in it")
        self._shown = self._next
        self._picture = to_rgb(self._shown[1], size)

    def _decode(self):
        for frame in self._container.decode(self._container.streams.video[0]):
            yield (frame.time or 0.0), frame

    def frame_at(self, t: float) -> np.ndarray:
        chosen = self._shown
        while self._next is not None and self._offset + self._next[0] <= t:
            chosen = self._next
            self._next = next(self._frames, None)
            if self._next is None:
                self._start_over(chosen[0], t)
        if chosen is not self._shown:
            self._shown = chosen
            self._picture = to_rgb(chosen[1], self.size)
        return self._picture

    def _start_over(self, last_time: float, t: float) -> None:
        pass_seconds = last_time + self._frame_seconds
        self._offset += pass_seconds
        # After a long jump of the clock, skip whole passes instead of decoding them.
        skipped = (t - self._offset) // pass_seconds
        if skipped > 0:
            self._offset += skipped * pass_seconds
        self._container.seek(0)
        self._frames = self._decode()
        self._next = next(self._frames, None)

    def close(self) -> None:
        self._container.close()


class LiveVideo:
    """A camera or stream read on its own thread; each frame shows the newest picture."""

    still = False

    def __init__(self, spec: str, size: tuple[int, int]):
        options = {"format": "v4l2"} if spec.startswith("/dev/video") else {"timeout": 10.0}
        self.size = size
        self._container = _open_container(spec, **options)
        self._latest = np.zeros((size[1], size[0], 3), dtype=np.uint8)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True, name="lt-overlay-background")
        self._thread.start()

    def _read(self) -> None:
        import av

        try:
            for frame in self._container.decode(self._container.streams.video[0]):
                self._latest = to_rgb(frame, self.size)
                if self._stop.is_set():
                    return
        except av.FFmpegError as exc:
            log.warning("background video stopped: %s", exc)

    def frame_at(self, t: float) -> np.ndarray:
        return self._latest

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        if not self._thread.is_alive():
            self._container.close()
