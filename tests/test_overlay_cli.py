"""`lt overlay` as a user runs it: real processes, real pipes, files read back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import av
import numpy as np
import pytest
from conftest import ROOT, lt
from overlay_events import ndjson, transcript, translation
from PIL import Image

from lt.errors import ExitCode

SMALL = ["--size", "320x180", "--fps", "10"]

EVENTS = [
    transcript(0, "Good morning everyone.", 1.0, 2.5, speaker="Alice"),
    translation(0, "Bom dia a todos.", 1.0, 2.5),
    transcript(1, "The budget is approved.", 5.0, 6.5),
    translation(1, "O orçamento está aprovado.", 5.0, 6.5),
]


def caption_pixels(path) -> tuple[int, int]:
    """(white, yellow) pixel counts of a frame: original and first translation colours."""
    frame = np.asarray(Image.open(path)).astype(int)
    r, g, b = frame[..., 0], frame[..., 1], frame[..., 2]
    return int(((r > 220) & (g > 220) & (b > 220)).sum()), int(((r > 200) & (g > 170) & (b < 80)).sum())


def test_png_frames_show_the_captions_at_the_events_times(tmp_path):
    result = lt("overlay", "--sink", "png", "--out", str(tmp_path), "--every", "5", *SMALL, input=ndjson(EVENTS))
    assert result.code == 0, result.stderr
    assert "frames" in result.stderr  # the summary line
    shown = {int(p.stem.split("_")[1]) / 10: caption_pixels(p) for p in tmp_path.glob("*.png")}
    assert shown[0.5] == (0, 0)
    assert min(shown[1.5]) > 50 and min(shown[5.5]) > 50
    assert shown[4.0] == (0, 0)  # silence between the two sentences
    assert max(shown) >= 6.5  # the last caption had its time after the input ended


def test_a_bad_line_is_reported_and_skipped_while_frames_keep_coming(tmp_path):
    stream = ndjson(EVENTS[:2]) + b'{"type": "transcript", "seg": "x"}\nnot json at all\n' + ndjson(EVENTS[2:])
    result = lt("overlay", "--sink", "png", "--out", str(tmp_path), "--every", "10", *SMALL, input=stream)
    assert result.code == ExitCode.REJECTED_INPUT
    assert "skipped input line 3" in result.stderr and "skipped input line 4" in result.stderr
    assert "Traceback" not in result.stderr
    assert min(caption_pixels(tmp_path / "frame_000050.png")) > 50


def test_video_with_the_session_audio_covers_the_whole_recording(tmp_path, example_wav):
    out = tmp_path / "demo.mp4"
    trace = tmp_path / "trace.ndjson"
    result = lt("overlay", "--sink", "video", "--out", str(out), "--audio", str(example_wav), "--trace", str(trace),
                *SMALL, input=ndjson(EVENTS))
    assert result.code == 0, result.stderr
    with av.open(str(out)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        video_frames, video_seconds = video.frames, float(video.duration * video.time_base)
        audio_seconds = float(audio.duration * audio.time_base)
    with av.open(str(example_wav)) as source:
        recording = float(source.duration / 1e6)
    assert video_frames == round(video_seconds * 10)
    assert recording <= video_seconds < recording + 0.11 and audio_seconds == pytest.approx(recording, abs=0.1)
    traced = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [(e["type"], e["text"]) for e in traced] == [(e.type, e.text) for e in EVENTS]
    assert all(isinstance(e["t"]["frame"], float) for e in traced)


def test_y4m_on_stdout_is_a_stream_ffmpeg_reads(tmp_path):
    result = lt("overlay", "--sink", "y4m", "--clock", "events", *SMALL, input=ndjson(EVENTS[:2]))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(b"YUV4MPEG2 W320 H180 F10:1")
    path = tmp_path / "out.y4m"
    path.write_bytes(result.stdout)
    with av.open(str(path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == result.stdout.count(b"FRAME\n") == 25  # to 2.5 s


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, ExitCode.INTERRUPTED), (signal.SIGTERM, ExitCode.TERMINATED)])
def test_interrupting_a_live_recording_leaves_a_valid_video(tmp_path, sig, code):
    out = tmp_path / "live.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lt", "overlay", "--sink", "video", "--clock", "live", "--out", str(out), *SMALL],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    proc.stdin.write(ndjson(EVENTS[:2]))
    proc.stdin.flush()
    deadline = time.monotonic() + 30
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    proc.stdin.close()
    assert proc.returncode == code, stderr.decode()
    assert b"Traceback" not in stderr
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) >= 5


FAKE_CAMERA = """
import json, sys
import pyvirtualcam

class Fake:
    def __init__(self, *, width, height, fps, fourcc, device, **kw):
        self.size, self.frames, self.lit = (width, height), 0, 0
    def send(self, frame):
        self.frames += 1
        self.lit = max(self.lit, int((frame > 200).sum()))
    def close(self):
        json.dump({"size": self.size, "frames": self.frames, "lit": self.lit}, open(sys.argv[1], "w"))
    def device(self):
        return "fake0"
    def native_fourcc(self):
        return None

pyvirtualcam.register_backend("fake", Fake)
from lt.cli import run
sys.exit(run(["overlay", "--vcam-backend", "fake", "--size", "320x180", "--fps", "20", "--min-seconds", "0.5"]))
"""


def test_the_virtual_camera_gets_live_frames_through_a_registered_backend(tmp_path):
    report = tmp_path / "camera.json"
    events = [transcript(0, "On camera.", 0, 1)]
    proc = subprocess.run([sys.executable, "-c", FAKE_CAMERA, str(report)], input=ndjson(events),
                          capture_output=True, timeout=60, cwd=ROOT, env={**os.environ, "LT_VERBOSE": "1"})
    assert proc.returncode == 0, proc.stderr.decode()
    received = json.loads(report.read_text())
    assert received["size"] == [320, 180] and received["frames"] >= 8 and received["lit"] > 100
    assert "fps" in proc.stderr.decode()


def test_no_virtual_camera_is_one_line_with_the_modprobe_hint():
    result = lt("overlay", "--vcam-device", "/dev/video-lt-missing", input=b"")
    assert result.code == ExitCode.UNAVAILABLE
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error: no virtual camera device") and len(lines) == 2
    assert "sudo modprobe v4l2loopback devices=1 exclusive_caps=1" in lines[1]
    assert "--sink video --out captions.mp4, or --sink y4m | ffplay -" in lines[1], "say what to use instead"


@pytest.mark.parametrize("args, code, message", [
    (["--sink", "null", "--font", "/nonexistent.ttf"], ExitCode.ERROR, "font file not found"),
    (["--sink", "png", "--audio", "x.wav"], ExitCode.USAGE, "--audio goes with --sink video"),
    (["--sink", "null", "--size", "641x360"], ExitCode.USAGE, "must be even"),
    (["--sink", "null", "--background", "nonsense-colour"], ExitCode.ERROR, "is not a colour"),
])
def test_bad_options_are_clear_errors(args, code, message):
    result = lt("overlay", *args, input=b"")
    assert result.code == code and message in result.stderr and "Traceback" not in result.stderr
