"""Every sink, checked by reading back what it wrote (PyAV, a Y4M parser, Pillow, a fake camera)."""

from __future__ import annotations

import io
import platform

import av
import numpy as np
import pytest
import pyvirtualcam
import soundfile as sf

from lt.errors import ExitCode, LtError
from lt.overlay.sinks import Pictures, PngSink, SinkKind, SinkSettings, VirtualCamSink, Y4mSink, open_sink

SIZE = (160, 96)
FPS = 10.0


def frames(count: int):
    """Frames that differ, so a sink that repeats or reorders them is caught."""
    for i in range(count):
        frame = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
        frame[:, : (i * 7) % SIZE[0] + 1] = (200, 30, 30)
        yield i, frame


def settings(kind: SinkKind, **kw) -> SinkSettings:
    return SinkSettings(kind=kind, size=SIZE, fps=FPS, **kw)


@pytest.mark.parametrize("name", ["out.mp4", "out.webm"])
def test_video_file_decodes_with_the_right_frames_and_duration(tmp_path, name):
    path = tmp_path / name
    sink = open_sink(settings(SinkKind.video, out=str(path)))
    for index, frame in frames(25):
        sink.write(frame, index)
    sink.close()
    with av.open(str(path)) as container:
        decoded = list(container.decode(video=0))
        assert len(decoded) == 25
        assert (decoded[-1].width, decoded[-1].height) == SIZE
        duration = container.duration / 1e6 if container.duration else decoded[-1].time + 1 / FPS
    assert duration == pytest.approx(2.5, abs=0.11)


def test_video_with_audio_muxes_the_audio_up_to_the_video_length(tmp_path, example_wav):
    path = tmp_path / "with-audio.mp4"
    sink = open_sink(settings(SinkKind.video, out=str(path), audio=str(example_wav)))
    for index, frame in frames(30):
        sink.write(frame, index)
    sink.close()
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        samples = sum(f.samples for f in container.decode(audio))
    assert samples / audio.rate == pytest.approx(3.0, abs=0.1)


@pytest.mark.parametrize(("name", "rate", "channels", "kept"), [
    ("speech.mp4", 16000, 1, (16000, 1)),
    ("music.mp4", 22050, 2, (22050, 2)),
    ("music.webm", 22050, 2, (48000, 2)),  # Opus takes 8, 12, 16, 24 or 48 kHz
])
def test_video_keeps_the_recording_s_rate_and_channels_where_the_codec_takes_them(tmp_path, name, rate, channels, kept):
    source = tmp_path / "source.wav"
    sf.write(source, np.zeros((rate, channels), np.float32) + 0.1, rate)
    path = tmp_path / name
    sink = open_sink(settings(SinkKind.video, out=str(path), audio=str(source)))
    for index, frame in frames(10):
        sink.write(frame, index)
    sink.close()
    with av.open(str(path)) as container:
        audio = container.streams.audio[0].codec_context
        assert (audio.sample_rate, audio.channels) == kept
        samples = sum(f.samples for f in container.decode(audio=0))
    assert samples / audio.sample_rate == pytest.approx(1.0, abs=0.1)


def test_a_picture_is_converted_once_while_the_renderer_hands_back_the_same_read_only_frame():
    pictures = Pictures()
    frozen = np.full((SIZE[1], SIZE[0], 3), 200, np.uint8)
    frozen.setflags(write=False)
    assert pictures(frozen) is pictures(frozen)
    # A writable array may have been drawn on since: converted every time.
    canvas = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    black = pictures(canvas).to_ndarray(format="rgb24")
    canvas[:] = 200
    assert black.max() < 20 and pictures(canvas).to_ndarray(format="rgb24").min() > 180


def test_video_shows_each_picture_from_its_own_frame_on(tmp_path):
    path = tmp_path / "pictures.mp4"
    sink = open_sink(settings(SinkKind.video, out=str(path)))
    red, blue = (np.full((SIZE[1], SIZE[0], 3), colour, np.uint8) for colour in ((220, 20, 20), (20, 20, 220)))
    red.setflags(write=False)
    for index, frame in enumerate([red, red, red, blue, red]):
        sink.write(frame, index)
    sink.close()
    with av.open(str(path)) as container:
        shown = [f.to_ndarray(format="rgb24").mean(axis=(0, 1)) for f in container.decode(video=0)]
    assert ["red" if rgb[0] > rgb[2] else "blue" for rgb in shown] == ["red", "red", "red", "blue", "red"]


def test_video_keeps_the_timing_of_dropped_frames(tmp_path):
    path = tmp_path / "gaps.mp4"
    sink = open_sink(settings(SinkKind.video, out=str(path)))
    sample = next(frames(1))[1]
    for index in (0, 1, 2, 7, 8):
        sink.write(sample, index)
    sink.close()
    with av.open(str(path)) as container:
        times = [round(f.time, 2) for f in container.decode(video=0)]
    assert times == [0.0, 0.1, 0.2, 0.7, 0.8]


def parse_y4m(data: bytes) -> tuple[dict[str, str], list[bytes]]:
    header, _, body = data.partition(b"\n")
    magic, *fields = header.decode().split()
    assert magic == "YUV4MPEG2"
    params = {f[0]: f[1:] for f in fields}
    size = int(params["W"]) * int(params["H"]) * 3 // 2
    chunks = []
    while body:
        assert body.startswith(b"FRAME\n")
        chunks.append(body[6 : 6 + size])
        body = body[6 + size :]
    assert all(len(c) == size for c in chunks)
    return params, chunks


def test_y4m_parses_and_repeats_a_dropped_frame(tmp_path):
    path = tmp_path / "out.y4m"
    sink = Y4mSink(settings(SinkKind.y4m, out=str(path)))
    written = list(frames(4))
    for index, frame in written[:3]:
        sink.write(frame, index)
    sink.write(written[3][1], 5)
    sink.close()
    params, chunks = parse_y4m(path.read_bytes())
    assert (params["W"], params["H"], params["F"], params["C"]) == ("160", "96", "10:1", "420jpeg")
    assert len(chunks) == 6 and chunks[3] == chunks[2] and chunks[4] == chunks[2] and chunks[5] != chunks[2]
    with av.open(str(path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 6


def test_y4m_colours_survive(tmp_path):
    path = tmp_path / "red.y4m"
    sink = Y4mSink(settings(SinkKind.y4m, out=str(path)))
    sink.write(np.full((SIZE[1], SIZE[0], 3), (220, 20, 20), np.uint8), 0)
    sink.close()
    with av.open(str(path)) as container:
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert np.abs(rgb.astype(int) - (220, 20, 20)).max() < 12


def test_png_writes_every_nth_frame(tmp_path):
    from PIL import Image

    sink = PngSink(settings(SinkKind.png, out=str(tmp_path / "frames"), every=3))
    for index, frame in frames(10):
        sink.write(frame, index)
    sink.close()
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == [f"frame_{i:06d}.png" for i in (0, 3, 6, 9)]
    expected = dict(frames(10))[6]
    assert np.array_equal(np.asarray(Image.open(tmp_path / "frames" / "frame_000006.png")), expected)


class FakeCamera:
    """A pyvirtualcam backend that keeps what it is sent, as a real device would receive it."""

    received: list[bytes] = []
    opened: dict = {}

    def __init__(self, *, width, height, fps, fourcc, device, **kw):
        FakeCamera.opened = {"width": width, "height": height, "fps": fps, "device": device}
        FakeCamera.received = []
        self._device = device or "fake0"

    def send(self, frame: np.ndarray) -> None:
        FakeCamera.received.append(frame.tobytes())

    def close(self) -> None:
        FakeCamera.opened["closed"] = True

    def device(self) -> str:
        return self._device

    def native_fourcc(self):
        return None


def test_virtualcam_sink_sends_every_frame_to_the_camera():
    pyvirtualcam.register_backend("lt-test-fake", FakeCamera)
    sink = VirtualCamSink(settings(SinkKind.virtualcam, backend="lt-test-fake"))
    written = list(frames(5))
    for index, frame in written:
        sink.write(frame, index)
    sink.close()
    assert FakeCamera.opened == {"width": 160, "height": 96, "fps": FPS, "device": None, "closed": True}
    assert FakeCamera.received == [frame.tobytes() for _, frame in written]


@pytest.mark.skipif(platform.system() != "Linux", reason="v4l2loopback is the Linux backend")
def test_missing_virtual_camera_explains_how_to_load_v4l2loopback():
    with pytest.raises(LtError) as caught:
        VirtualCamSink(settings(SinkKind.virtualcam, camera="/dev/video-lt-missing", backend="v4l2loopback"))
    assert caught.value.code == ExitCode.UNAVAILABLE
    assert "\n" not in caught.value.message and "/dev/video-lt-missing" in caught.value.message
    assert caught.value.hint == "load the v4l2loopback module: sudo modprobe v4l2loopback devices=1 exclusive_caps=1"


def test_unknown_virtual_camera_backend_is_a_usage_error():
    with pytest.raises(LtError, match="unknown virtual camera backend") as caught:
        VirtualCamSink(settings(SinkKind.virtualcam, backend="no-such-backend"))
    assert caught.value.code == ExitCode.USAGE


def test_file_sinks_need_an_out_path():
    for kind in (SinkKind.video, SinkKind.png):
        with pytest.raises(LtError, match="needs a") as caught:
            open_sink(settings(kind))
        assert "--out" in caught.value.hint


def test_y4m_refuses_to_write_to_a_terminal(monkeypatch):
    class Terminal(io.BytesIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(Terminal()))
    with pytest.raises(LtError, match="terminal"):
        Y4mSink(settings(SinkKind.y4m))
