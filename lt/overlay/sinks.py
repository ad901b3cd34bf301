"""Where finished frames go, behind one small protocol.

- `virtualcam`: a virtual camera through pyvirtualcam (v4l2loopback on Linux,
  OBS on Windows and macOS), for video calls and OBS;
- `video`: an MP4 (H.264 + AAC) or WebM (VP9 + Opus) file through PyAV, with
  an audio file muxed in when one is given (and a second one as another track);
- `y4m`: a YUV4MPEG2 stream to stdout or a file, for `| ffplay -` or `| ffmpeg -i -`;
- `png`: every frame, or every Nth, as numbered PNG files in a folder;
- `null`: nowhere, for benchmarks.

Frames are RGB uint8 arrays; `index` counts frame periods since the start, so
a frame the stage had to drop leaves a gap the sink can honour.
"""

from __future__ import annotations

import enum
import logging
import platform
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from lt.errors import ExitCode, LtError, missing_extra

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("lt.overlay")

V4L2LOOPBACK_HINT = "load the v4l2loopback module: sudo modprobe v4l2loopback devices=1 exclusive_caps=1"
OBS_HINT = "install OBS Studio and start its virtual camera once"


class SinkKind(str, enum.Enum):
    virtualcam = "virtualcam"
    video = "video"
    y4m = "y4m"
    png = "png"
    null = "null"


@dataclass(frozen=True)
class SinkSettings:
    kind: SinkKind
    size: tuple[int, int]
    fps: float
    out: str | None = None
    audio: str | None = None
    second_audio: str | None = None  # video: another audio track after the first (lt dub: the original)
    every: int = 1
    camera: str | None = None
    backend: str | None = None


class Sink(Protocol):
    def write(self, frame: np.ndarray, index: int) -> None: ...

    def close(self) -> None: ...


def open_sink(settings: SinkSettings) -> Sink:
    opener = {
        SinkKind.virtualcam: VirtualCamSink,
        SinkKind.video: VideoSink,
        SinkKind.y4m: Y4mSink,
        SinkKind.png: PngSink,
        SinkKind.null: NullSink,
    }[settings.kind]
    return opener(settings)


def frame_rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


class NullSink:
    def __init__(self, settings: SinkSettings | None = None):
        self.frames = 0

    def write(self, frame: np.ndarray, index: int) -> None:
        self.frames += 1

    def close(self) -> None:
        pass


class PngSink:
    def __init__(self, settings: SinkSettings):
        if not settings.out:
            raise LtError("the png sink needs a folder", hint="add --out FOLDER")
        self.folder = Path(settings.out)
        self.every = max(1, settings.every)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LtError(f"cannot create {self.folder}: {exc.strerror}", hint="choose another --out folder") from None

    def write(self, frame: np.ndarray, index: int) -> None:
        from PIL import Image

        if index % self.every == 0:
            Image.fromarray(frame).save(self.folder / f"frame_{index:06d}.png", compress_level=1)

    def close(self) -> None:
        pass


class Pictures:
    """RGB frames as yuv420p pictures, the last one kept. The renderer hands back the same read-only
    array while nothing on screen changes, which is most frames, and converting a 720p frame cost
    more than encoding it."""

    def __init__(self):
        self._frame: np.ndarray | None = None
        self._picture = None

    def __call__(self, frame: np.ndarray):
        import av

        if frame is not self._frame or frame.flags.writeable:
            self._picture = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")
            self._frame = frame
        return self._picture


class Y4mSink:
    """Constant frame rate, as the format requires: a dropped frame repeats the one before."""

    def __init__(self, settings: SinkSettings):
        width, height = settings.size
        rate = frame_rate(settings.fps)
        self.header = f"YUV4MPEG2 W{width} H{height} F{rate.numerator}:{rate.denominator} Ip A1:1 C420jpeg\n".encode()
        self.stream, self._owned = _output_stream(settings.out)
        self._last: bytes | None = None
        self._picture = None  # the picture _last holds
        self._next_index = 0
        self.pictures = Pictures()

    def write(self, frame: np.ndarray, index: int) -> None:
        if self._last is None:
            self.stream.write(self.header)
        else:
            for _ in range(self._next_index, index):
                self.stream.write(b"FRAME\n" + self._last)
        picture = self.pictures(frame)
        if picture is not self._picture:
            self._picture, self._last = picture, picture.to_ndarray().tobytes()
        self.stream.write(b"FRAME\n" + self._last)
        self.stream.flush()
        self._next_index = index + 1

    def close(self) -> None:
        if self._owned:
            self.stream.close()


def _output_stream(out: str | None) -> tuple[BinaryIO, bool]:
    if out in (None, "-"):
        if sys.stdout.isatty():
            raise LtError("stdout is a terminal, and video frames would garble it", hint="pipe it: lt overlay --sink y4m | ffplay -")
        return sys.stdout.buffer, False
    try:
        return open(out, "wb"), True
    except OSError as exc:
        raise LtError(f"cannot write {out}: {exc.strerror}", hint="choose another --out path") from None


class VideoSink:
    """A video file; the audio is interleaved as the video advances, so an interrupted file still has both."""

    CODECS = {".webm": ("libvpx-vp9", "libopus")}
    DEFAULT_CODECS = ("libx264", "aac")

    def __init__(self, settings: SinkSettings):
        import av

        if not settings.out:
            raise LtError("the video sink needs a file name", hint="add --out demo.mp4 (or .webm, .mkv, .mov)")
        self.rate = frame_rate(settings.fps)
        video_codec, audio_codec = self.CODECS.get(Path(settings.out).suffix.lower(), self.DEFAULT_CODECS)
        try:
            self.container = av.open(settings.out, "w")
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise LtError(f"cannot write video {settings.out}: {exc}", hint="use a .mp4, .mkv, .mov or .webm file name") from None
        self.stream = self.container.add_stream(video_codec, rate=self.rate)
        self.stream.width, self.stream.height = settings.size
        self.stream.pix_fmt = "yuv420p"
        self.time_base = 1 / self.rate
        self.stream.time_base = self.time_base
        # The fastest settings, on one thread: captions on a still picture compress well anyway, and
        # on a busy machine every cycle the encoder takes is one the transcriber beside it lacks.
        self.stream.options = {"preset": "ultrafast"} if video_codec == "libx264" else {"deadline": "realtime", "cpu-used": "8"}
        self.stream.codec_context.thread_count = 1
        self.pictures = Pictures()
        self.tracks = [AudioTrack(path, self.container, audio_codec) for path in (settings.audio, settings.second_audio) if path]
        self.frames = 0
        self._end = 0

    def write(self, frame: np.ndarray, index: int) -> None:
        picture = self.pictures(frame)
        picture.pts = index
        picture.time_base = self.time_base  # not the stream's: the muxer may change that once it opens
        self._mux(self.stream.encode(picture))
        self.frames += 1
        self._end = index + 1
        for track in self.tracks:
            track.feed(float(self._end / self.rate))

    def close(self) -> None:
        self._mux(self.stream.encode(None))
        for track in self.tracks:
            track.finish(float(self._end / self.rate))
        self.container.close()

    def _mux(self, packets) -> None:
        for packet in packets:
            self.container.mux(packet)


def audio_seconds(path: str) -> float:
    """The length of an audio file (0 when the container does not say)."""
    import av

    try:
        with av.open(path) as source:
            if not source.streams.audio:
                return 0.0
            stream = source.streams.audio[0]
            if stream.duration is not None:
                return float(stream.duration * stream.time_base)
            return source.duration / 1e6 if source.duration else 0.0
    except (av.FFmpegError, OSError) as exc:
        raise LtError(f"cannot read audio {path}: {exc}", hint="give an audio file PyAV/FFmpeg can decode") from None


class AudioTrack:
    """An audio file re-encoded into the video's container, up to the video's current length.

    At the source's own rate and channels where the codec takes them: speech recorded at 16 kHz mono
    gains nothing from 48 kHz stereo, and encoding it so took a fifth of the overlay's CPU."""

    RATE = 48000  # for sources at a rate the codec does not take

    def __init__(self, path: str, container, codec: str):
        import av

        try:
            self.source = av.open(path)
        except (av.FFmpegError, OSError) as exc:
            raise LtError(f"cannot read audio {path}: {exc}", hint="give an audio file PyAV/FFmpeg can decode") from None
        if not self.source.streams.audio:
            raise LtError(f"{path} has no audio stream", hint="give the session's audio file")
        self.container = container
        source = self.source.streams.audio[0].codec_context
        self.rate = source.sample_rate if source.sample_rate in (av.codec.Codec(codec, "w").audio_rates or ()) else self.RATE
        layout = "mono" if source.channels == 1 else "stereo"
        self.stream = container.add_stream(codec, rate=self.rate)
        self.stream.layout = layout
        self.resampler = av.AudioResampler(format=self.stream.format.name, layout=layout, rate=self.rate)
        self.frames = self.source.decode(self.source.streams.audio[0])
        self.written = 0.0  # seconds of audio encoded so far

    def feed(self, until: float) -> None:
        while self.written < until:
            frame = next(self.frames, None)
            if frame is None:
                return
            for chunk in self.resampler.resample(frame):
                self.written += chunk.samples / self.rate
                self._mux(self.stream.encode(chunk))

    def finish(self, until: float) -> None:
        self.feed(until)
        self._mux(self.stream.encode(None))
        self.source.close()

    def _mux(self, packets) -> None:
        for packet in packets:
            self.container.mux(packet)


class VirtualCamSink:
    def __init__(self, settings: SinkSettings):
        try:
            import pyvirtualcam
        except ImportError:
            raise missing_extra("pyvirtualcam", "overlay") from None
        width, height = settings.size
        if settings.backend is not None and settings.backend not in pyvirtualcam.camera.BACKENDS:
            known = ", ".join(pyvirtualcam.camera.BACKENDS) or "none"
            raise LtError(f"unknown virtual camera backend {settings.backend!r}", hint=f"available here: {known}", code=ExitCode.USAGE)
        try:
            self.camera = pyvirtualcam.Camera(
                width, height, settings.fps, fmt=pyvirtualcam.PixelFormat.RGB,
                device=settings.camera, backend=settings.backend,
            )
        except RuntimeError as exc:
            raise no_virtual_camera(str(exc)) from None
        log.info("sending frames to virtual camera %s (%s)", self.camera.device, self.camera.backend)

    def write(self, frame: np.ndarray, index: int) -> None:
        self.camera.send(frame)

    def close(self) -> None:
        self.camera.close()


def no_virtual_camera(detail: str) -> LtError:
    first = detail.strip().splitlines()[0] if detail.strip() else "no backend available"
    hint = V4L2LOOPBACK_HINT if platform.system() == "Linux" else OBS_HINT
    return LtError(f"no virtual camera device: {first}", hint=hint, code=ExitCode.UNAVAILABLE)
