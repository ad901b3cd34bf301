"""lt speak as a real process: the track on stdout, --out, --events, --clock live, --sink device,
bad input, and errors before any input is read."""

from __future__ import annotations

import ctypes.util
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import lt
from lt.pcm import BYTES_PER_SECOND, LIVE_BLOCK_SECONDS, SAMPLE_RATE
from lt.errors import ExitCode
from overlay_events import ndjson, transcript, translation
from test_speak_engines import needs_espeak, voiced_seconds

EVENTS = [
    transcript(0, "Good morning.", 0.5, 2.0),
    translation(0, "Bom dia.", 0.5, 2.0),
    transcript(1, "The meeting starts now.", 4.0, 6.0),
    translation(1, "A reunião começa agora.", 4.0, 6.0),
]


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768


def onsets(audio: np.ndarray) -> list[float]:
    """Where speech begins after at least 0.4 s of silence, in seconds."""
    frames = audio[: len(audio) // 320 * 320].reshape(-1, 320)
    loud = np.sqrt((frames ** 2).mean(axis=1)) > 0.01
    found, quiet = [], 20
    for index, is_loud in enumerate(loud):
        if is_loud and quiet >= 20:
            found.append(index * 0.02)
        quiet = 0 if is_loud else quiet + 1
    return found


@needs_espeak
def test_the_track_on_stdout_has_each_caption_at_its_start():
    result = lt("speak", "--lang", "pt", input=ndjson(EVENTS))
    assert result.code == 0, result.stderr
    audio = pcm(result.stdout)
    assert len(audio) == 6 * SAMPLE_RATE  # as long as the captions go
    starts = onsets(audio)
    assert len(starts) == 2 and abs(starts[0] - 0.5) < 0.1 and abs(starts[1] - 4.0) < 0.1
    assert "spoke 2 captions" in result.stderr


@needs_espeak
def test_out_writes_a_wav_file(tmp_path):
    out = tmp_path / "dub.wav"
    result = lt("speak", "--lang", "pt", "--out", str(out), input=ndjson(EVENTS))
    assert result.code == 0, result.stderr
    info = sf.info(out)
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16") and info.duration == pytest.approx(6.0, abs=0.01)


def test_english_finals_are_re_spoken_by_piper(tmp_path):
    result = lt("speak", "--lang", "en", "-v", input=ndjson(EVENTS))
    assert result.code == 0, result.stderr
    assert "with piper (voice en_US-joe-medium)" in result.stderr
    starts = onsets(pcm(result.stdout))
    assert len(starts) == 2 and abs(starts[0] - 0.5) < 0.15 and abs(starts[1] - 4.0) < 0.15


@needs_espeak
def test_events_mode_passes_everything_on_with_an_audio_event_per_caption(tmp_path):
    result = lt("speak", "--lang", "pt", "--events", "--audio-dir", str(tmp_path), input=ndjson(EVENTS))
    assert result.code == 0, result.stderr
    out = [json.loads(line) for line in result.lines()]
    assert [e["id"] for e in out if e["type"] != "audio"] == [e.id for e in EVENTS]
    audio = [e for e in out if e["type"] == "audio"]
    assert [(a["seg"], a["lang"], a["text"]) for a in audio] == [(0, "pt", "Bom dia."), (1, "pt", "A reunião começa agora.")]
    for event in audio:
        path = Path(event["path"])
        assert path.parent == tmp_path / EVENTS[0].session and path.suffix == ".flac"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == event["sha256"]
        samples, rate = sf.read(path)
        assert rate == 16000 and event["end"] - event["start"] == pytest.approx(len(samples) / rate, abs=0.002)
        assert event["t"]["speak"] > 0 and event["engine"] == "espeak-ng"
    assert audio[0]["start"] == 0.5 and audio[1]["start"] == 4.0


@needs_espeak
def test_a_bad_line_is_named_and_the_rest_is_still_spoken():
    stream = ndjson(EVENTS[:2]) + b"{not json\n" + ndjson(EVENTS[2:])
    result = lt("speak", "--lang", "pt", input=stream)
    assert result.code == ExitCode.REJECTED_INPUT
    assert "input line 3: not valid JSON" in result.stderr
    assert len(onsets(pcm(result.stdout))) == 2
    failing = lt("speak", "--lang", "pt", "--on-bad", "fail", input=stream)
    assert failing.code == ExitCode.REJECTED_INPUT and "input line 3" in failing.stderr


def test_a_language_nothing_speaks_fails_before_reading_input(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    env = {**os.environ, "PATH": str(bare)}  # no espeak-ng on it
    proc = subprocess.Popen([sys.executable, "-m", "lt", "speak", "--lang", "de"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        # stdin stays open and empty: the error must come without waiting for input
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == ExitCode.ERROR
    lines = stderr.decode().strip().splitlines()
    assert lines[0] == "Error: cannot speak 'de': no Piper voice is installed for it and espeak-ng is not installed"
    assert "apt-get install espeak-ng" in lines[1] and len(lines) == 2


@pytest.mark.parametrize("args", [
    ["--events", "--duck", "x.wav"],
    ["--sink", "device", "--out", "x.wav"],
    ["--clock", "live", "--duck", "x.wav"],
    ["--device", "3"],
])
def test_options_that_do_not_go_together_are_usage_errors(args):
    result = lt("speak", "--lang", "en", *args, input=b"")
    assert result.code == ExitCode.USAGE and "Error:" in result.stderr


def test_an_unknown_language_code_is_refused():
    result = lt("speak", "--lang", "xx", input=b"")
    assert result.code == ExitCode.ERROR and "unknown language code 'xx'" in result.stderr


@needs_espeak
def test_live_clock_writes_real_time_pcm_with_speech_as_soon_as_it_is_ready():
    proc = subprocess.Popen([sys.executable, "-m", "lt", "speak", "--lang", "pt", "--clock", "live"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    began = time.monotonic()
    proc.stdin.write(ndjson(EVENTS[:2]))
    proc.stdin.flush()
    time.sleep(2.0)
    proc.stdin.close()
    out, err = proc.stdout.read(), proc.stderr.read()
    took = time.monotonic() - began
    assert proc.wait(timeout=30) == 0, err.decode()
    audio = pcm(out)
    assert len(out) % int(LIVE_BLOCK_SECONDS * BYTES_PER_SECOND) == 0  # whole blocks
    # paced: about as much audio as wall time passed (silence while waiting), not a burst
    assert len(audio) / SAMPLE_RATE <= took + 0.5
    assert voiced_seconds(audio) > 0.3 and onsets(audio)[0] < 1.5


@pytest.mark.skipif(ctypes.util.find_library("portaudio") is None, reason="PortAudio is not installed (apt-get install libportaudio2)")
@needs_espeak
def test_sink_device_plays_through_sounddevice(tmp_path):
    played = tmp_path / "played.raw"
    config = tmp_path / "asound.conf"
    # A real ALSA device that writes what it is given to a file: the path sounddevice -> PortAudio -> ALSA, unchanged.
    config.write_text(
        "</usr/share/alsa/alsa.conf>\n"
        f'pcm.lttest {{ type file slave.pcm "null" file "{played}" format "raw" hint {{ show on description "lt test" }} }}\n'
    )
    env = {"ALSA_CONFIG_PATH": str(config)}
    listing = lt("speak", "--list-devices", env=env)
    assert listing.code == 0 and "lttest" in listing.text
    result = lt("speak", "--lang", "pt", "--sink", "device", "--device", "lttest", "-v", input=ndjson(EVENTS[:2]), env=env)
    assert result.code == 0, result.stderr
    assert "speaking on lttest" in result.stderr
    samples = np.fromfile(played, dtype="<f4")
    assert voiced_seconds(samples) > 0.3


@needs_espeak
def test_duck_mixes_the_recording_under_the_dub(tmp_path, example_wav):
    out = tmp_path / "ducked.wav"
    result = lt("speak", "--lang", "pt", "--duck", str(example_wav), "--out", str(out), input=ndjson(EVENTS))
    assert result.code == 0, result.stderr
    mixed, _ = sf.read(out, dtype="float32")
    source, _ = sf.read(example_wav, dtype="float32")
    assert len(mixed) == len(source)  # as long as the recording, past the last caption
    after = slice(8 * SAMPLE_RATE, 12 * SAMPLE_RATE)  # no caption here: the recording as it is
    assert np.allclose(mixed[after], source[after], atol=1e-3)
    missing = lt("speak", "--lang", "pt", "--duck", str(tmp_path / "none.wav"), "--out", str(out), input=b"")
    assert missing.code == ExitCode.ERROR and "no such file" in missing.stderr
