import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from conftest import lt
from lt.capture import CaptureSettings, CaptureStats, capture
from lt.pcm import BYTES_PER_SECOND, SAMPLE_RATE


def tone(path, rate=44100, seconds=2.0, freq=440.0, channels=2, **kwargs):
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.5 * np.sin(2 * np.pi * freq * t)
    sf.write(path, np.stack([mono] * channels, axis=1), rate, **kwargs)
    return path


def encode_with_av(path, seconds=2.0, freq=440.0, codec="mp3", rate=44100):
    import av

    t = np.arange(int(rate * seconds)) / rate
    samples = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout="stereo")
        frame_size = 1152
        for i in range(0, len(samples), frame_size):
            block = samples[i:i + frame_size]
            frame = av.AudioFrame.from_ndarray(np.stack([block, block], axis=1).reshape(1, -1), format="flt", layout="stereo")
            frame.sample_rate = rate
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768


def dominant_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)[spectrum.argmax()])


def test_tone_at_44k1_stereo_comes_out_16k_mono_same_pitch_and_length(tmp_path):
    path = tone(tmp_path / "tone.wav")
    stats = CaptureStats()
    samples = pcm(b"".join(capture(CaptureSettings(source=str(path)), stats)))
    assert abs(len(samples) - 2 * SAMPLE_RATE) <= 2
    assert abs(dominant_frequency(samples) - 440) < 2
    assert 0.45 < np.abs(samples).max() < 0.55, "downmix must average channels, not sum or drop them"
    assert stats.clipped == 0 and abs(stats.seconds - 2.0) < 0.01


@pytest.mark.parametrize("codec, suffix", [("mp3", "mp3"), ("aac", "m4a")])
def test_compressed_formats_decode_through_pyav(tmp_path, codec, suffix):
    path = encode_with_av(tmp_path / f"tone.{suffix}", codec=codec)
    result = lt("capture", str(path))
    assert result.code == 0, result.stderr
    samples = pcm(result.stdout)
    assert abs(len(samples) / SAMPLE_RATE - 2.0) < 0.1
    assert abs(dominant_frequency(samples) - 440) < 3


def test_round_trip_through_stdin_keeps_every_byte(example_wav):
    first = lt("capture", str(example_wav))
    again = lt("capture", "-", input=first.stdout)
    assert first.code == again.code == 0
    assert again.stdout == first.stdout
    assert len(first.stdout) == pytest.approx(45.06 * BYTES_PER_SECOND, rel=0.01)


def test_stdin_with_a_container_is_decoded(tmp_path):
    path = tone(tmp_path / "tone.flac", rate=22050, channels=1)
    result = lt("capture", "-", input=path.read_bytes())
    assert result.code == 0, result.stderr
    assert abs(len(pcm(result.stdout)) - 2 * SAMPLE_RATE) <= 4


def test_start_duration_and_loop(tmp_path):
    path = tone(tmp_path / "tone.wav", seconds=1.0)
    cut = pcm(b"".join(capture(CaptureSettings(source=str(path), start=0.25, duration=0.5))))
    assert len(cut) == SAMPLE_RATE // 2
    looped = pcm(b"".join(capture(CaptureSettings(source=str(path), loop=True, duration=3.5))))
    assert len(looped) == int(3.5 * SAMPLE_RATE)


def test_clipping_is_counted(tmp_path):
    path = tmp_path / "loud.wav"
    sf.write(path, np.full(1600, 1.5, dtype=np.float32), SAMPLE_RATE, subtype="FLOAT")
    stats = CaptureStats()
    out = pcm(b"".join(capture(CaptureSettings(source=str(path)), stats)))
    assert stats.clipped == 1600 and out.max() <= 1.0


def test_realtime_pacing_is_roughly_real_time(tmp_path):
    path = tone(tmp_path / "tone.wav", seconds=1.5)
    began = time.monotonic()
    chunks = list(capture(CaptureSettings(source=str(path), realtime=True)))
    elapsed = time.monotonic() - began
    assert elapsed >= 1.3, f"1.5 s of audio released in {elapsed:.2f} s"
    assert len(chunks) >= 14, "a paced source releases small blocks, like a device"


def test_odd_byte_count_on_raw_stdin_is_reported_not_fatal():
    result = lt("capture", "-", "--raw", input=b"\x01\x00" * 100 + b"\x07")
    assert result.code == 0
    assert len(result.stdout) == 200
    assert "odd byte count" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["nosuchfile.wav"], "Error: no such file: nosuchfile.wav"),
        (["{examples}"], "is a directory"),
        (["{notaudio}"], "Error: cannot decode"),
    ],
)
def test_error_paths_give_one_line_and_exit_1(tmp_path, args, message, example_wav):
    notaudio = tmp_path / "notes.wav"
    notaudio.write_text("this is not audio\n" * 10)
    args = [a.format(examples=example_wav.parent, notaudio=notaudio) for a in args]
    result = lt("capture", *args)
    assert result.code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("Error:") == 1 and "hint:" in result.stderr
    assert result.stdout == b""


def test_no_source_is_a_usage_error():
    result = lt("capture")
    assert result.code == 2 and "Error: no source given" in result.stderr and "hint:" in result.stderr


def test_a_start_beyond_the_end_is_an_error_naming_the_length(tmp_path):
    path = tone(tmp_path / "tone.wav", seconds=1.0)
    result = lt("capture", str(path), "--start", "100")
    assert result.code == 1 and result.stdout == b""
    assert f"Error: {path} is 1.0 s long: nothing to capture from 100 s on" in result.stderr
    assert lt("capture", str(path), "--start", "0.5").code == 0


def test_missing_audio_device_is_one_line():
    result = lt("capture", "--device", "no-such-device-xyz")
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert "Error:" in result.stderr and "hint:" in result.stderr


def test_broken_pipe_is_quiet(example_wav):
    shell = f"{sys.executable} -m lt capture {example_wav} | head -c 64000 | wc -c; echo ${{PIPESTATUS[0]}}"
    proc = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60)
    count, status = proc.stdout.split()
    assert count == "64000"
    assert status == "141"
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr


def test_ctrl_c_ends_quietly_with_130(example_wav):
    proc = subprocess.Popen(
        [sys.executable, "-m", "lt", "capture", str(example_wav), "--realtime"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert len(proc.stdout.read(16000)) == 16000
    proc.send_signal(signal.SIGINT)
    proc.stdout.read()
    assert proc.wait(timeout=20) == 130
    stderr = proc.stderr.read().decode()
    assert "Traceback" not in stderr and "captured" in stderr


def test_sigterm_ends_with_143(example_wav):
    proc = subprocess.Popen(
        [sys.executable, "-m", "lt", "capture", str(example_wav), "--realtime"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    proc.stdout.read(16000)
    proc.terminate()
    proc.stdout.read()
    assert proc.wait(timeout=20) == 143
    assert "Traceback" not in proc.stderr.read().decode()
