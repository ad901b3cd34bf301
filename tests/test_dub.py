"""lt dub: one command from a recording or a video to a video with the dubbed and the original track."""

from __future__ import annotations

import av
import numpy as np
import pytest
import soundfile as sf

from conftest import lt
from test_speak_engines import needs_espeak

pytestmark = pytest.mark.slow
SECONDS = 10.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory, example_wav):
    """The first sentences of the example recording."""
    audio, rate = sf.read(example_wav, dtype="float32")
    path = tmp_path_factory.mktemp("dub") / "clip.wav"
    sf.write(path, audio[: int(SECONDS * rate)], rate)
    return path


def tracks(path) -> tuple[list, list[tuple[np.ndarray, int]]]:
    """The streams of a video, and each audio track decoded to mono, with its sample rate."""
    with av.open(str(path)) as container:
        streams = [(s.type, s.codec_context.name) for s in container.streams]
    decoded = []
    for index in range(sum(kind == "audio" for kind, _ in streams)):
        with av.open(str(path)) as container:
            stream = container.streams.audio[index]
            samples = np.concatenate([f.to_ndarray().mean(axis=0) for f in container.decode(stream)])
            decoded.append((samples, stream.codec_context.sample_rate))
    return streams, decoded


def envelope(audio: np.ndarray, rate: int) -> np.ndarray:
    """Loudness per tenth of a second."""
    step = rate // 10
    return np.sqrt((audio[: len(audio) // step * step].reshape(-1, step) ** 2).mean(axis=1))


@needs_espeak
def test_a_recording_becomes_a_video_with_the_dub_and_the_original(tmp_path, clip):
    out, track = tmp_path / "dub.mp4", tmp_path / "dub.wav"
    result = lt("dub", str(clip), "--to", "pt", "--out", str(out), "--model", "tiny.en", "--size", "160x90", "--fps", "5",
                "--save-track", str(track))
    assert result.code == 0, result.stderr
    assert "track 1: pt dub by espeak-ng, track 2: the original" in result.stderr
    streams, (dub, original) = tracks(out)
    assert streams == [("video", "h264"), ("audio", "aac"), ("audio", "aac")]
    with av.open(str(out)) as container:
        assert float(container.duration / 1e6) == pytest.approx(SECONDS, abs=0.5)
    assert abs(len(dub[0]) / dub[1] - len(original[0]) / original[1]) < 0.2
    # track 2 is the recording itself; track 1 is other speech
    source, rate = sf.read(clip, dtype="float32")
    recording = envelope(source, rate)
    assert np.corrcoef(recording, envelope(*original)[: len(recording)])[0, 1] > 0.95
    assert np.corrcoef(recording, envelope(*dub)[: len(recording)])[0, 1] < 0.8
    assert sf.info(track).duration == pytest.approx(SECONDS, abs=0.1)


def test_a_video_keeps_its_picture_and_is_dubbed_by_piper(tmp_path, clip):
    video = tmp_path / "talk.mp4"
    made = lt("overlay", "--sink", "video", "--out", str(video), "--audio", str(clip), "--size", "192x108", "--fps", "5",
              "--background", "#3060c0", input=b"")
    assert made.code == 0, made.stderr
    out = tmp_path / "talk.en.mp4"
    result = lt("dub", str(video), "--to", "en", "--out", str(out), "--model", "tiny.en", "--no-captions", "--duck")
    assert result.code == 0, result.stderr
    assert "track 1: en dub by piper" in result.stderr
    streams, (dub, original) = tracks(out)
    assert [kind for kind, _ in streams] == ["video", "audio", "audio"]
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (192, 108) and float(stream.average_rate) == pytest.approx(5)
        frame = next(container.decode(stream)).to_ndarray(format="rgb24")
    assert abs(frame[..., 2].mean() - 0xC0) < 20 and abs(frame[..., 0].mean() - 0x30) < 20  # the input's picture, no captions


def test_a_missing_input_is_one_clear_error(tmp_path):
    result = lt("dub", str(tmp_path / "nothing.wav"), "--to", "en", "--out", str(tmp_path / "x.mp4"))
    assert result.code == 1 and "no such file" in result.stderr


def test_a_language_nothing_translates_into_fails_before_transcribing(tmp_path, clip):
    result = lt("dub", str(clip), "--to", "de", "--engine", "piper", "--voice", "en_US-joe-medium", "--out", str(tmp_path / "x.mp4"))
    assert result.code == 1 and "nothing translates into 'de' here" in result.stderr and "--from de" in result.stderr
    assert "transcribe..." not in result.stderr and not (tmp_path / "x.mp4").exists()
