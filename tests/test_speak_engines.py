"""The real engines, offline: Piper with the bundled English voice, espeak-ng; and how an engine is chosen."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lt.pcm import SAMPLE_RATE
from lt.errors import LtError
from lt.tts.choose import choose_engine
from lt.tts.engine import EngineKind
from lt.tts.voices import bundled_voices, find_piper_voice, installed_voices, voice_at

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")


@pytest.fixture(scope="module")
def piper():
    return choose_engine("en")


def voiced_seconds(samples: np.ndarray) -> float:
    frames = samples[: len(samples) // 320 * 320].reshape(-1, 320)
    return float(np.count_nonzero(np.sqrt((frames ** 2).mean(axis=1)) > 0.02)) * 0.02


def test_english_gets_the_bundled_piper_voice(piper):
    assert (piper.engine, piper.voice, piper.lang) == ("piper", "en_US-joe-medium", "en")
    assert bundled_voices()[0].lang == "en"


@pytest.mark.slow
def test_piper_speaks_words_whisper_reads_back(piper):
    from lt.asr.decoder import WhisperDecoder
    from lt.asr.engine import ModelSettings, load_whisper

    samples = piper.synthesize("The budget meeting starts on Friday.")
    assert samples.dtype == np.float32 and 1.0 < len(samples) / SAMPLE_RATE < 5.0
    assert np.abs(samples).max() <= 1.0 and voiced_seconds(samples) > 0.8
    whisper = WhisperDecoder(load_whisper(ModelSettings("tiny.en")))
    heard = " ".join(w.text for w in whisper.transcribe(samples, language="en").words).lower()
    for word in ("budget", "meeting", "friday"):
        assert word in heard


@needs_espeak
def test_portuguese_without_a_piper_voice_falls_back_to_espeak_ng():
    synth = choose_engine("pt")
    assert (synth.engine, synth.voice) == ("espeak-ng", "pt-br")
    samples = synth.synthesize("Bom dia a todos. Obrigado por virem.")
    assert samples.dtype == np.float32 and voiced_seconds(samples) > 1.0


@needs_espeak
def test_a_caption_starting_with_a_dash_is_spoken_not_read_as_an_option():
    assert voiced_seconds(choose_engine("en", EngineKind.espeak).synthesize("--version is not an option here")) > 0.5


def test_asking_for_piper_in_a_language_without_a_voice_names_what_to_install():
    with pytest.raises(LtError) as raised:
        choose_engine("pt", EngineKind.piper)
    assert "no Piper voice for language 'pt'" in raised.value.message
    assert "models/tts" in raised.value.hint and "--voice" in raised.value.hint


def test_an_unknown_voice_is_one_clear_error():
    with pytest.raises(LtError) as raised:
        choose_engine("en", voice="no-such-voice")
    assert "no voice 'no-such-voice'" in raised.value.message


def install_voice(home: Path, name: str, language: dict) -> Path:
    """A voice as the model manager installs it: LT_HOME/models/tts/NAME/NAME.onnx(.json)."""
    bundled = bundled_voices()[0]
    folder = home / "models" / "tts" / name
    folder.mkdir(parents=True)
    (folder / f"{name}.onnx").symlink_to(bundled.model)
    config = json.loads(bundled.config.read_text())
    (folder / f"{name}.onnx.json").write_text(json.dumps({**config, "language": language}))
    return folder


def test_voices_installed_under_lt_home_are_found_by_language(tmp_path, monkeypatch):
    monkeypatch.setenv("LT_HOME", str(tmp_path))
    install_voice(tmp_path, "pt_BR-test-medium", {"code": "pt_BR", "family": "pt"})
    (tmp_path / "models" / "tts" / "broken").mkdir()
    (tmp_path / "models" / "tts" / "broken" / "broken.onnx").write_bytes(b"")  # no config: skipped
    assert [v.name for v in installed_voices()] == ["pt_BR-test-medium"]
    found = find_piper_voice("pt")
    assert found.name == "pt_BR-test-medium" and found.source == "installed"
    synth = choose_engine("pt")
    assert (synth.engine, synth.voice) == ("piper", "pt_BR-test-medium")
    assert choose_engine("pt", voice="pt_BR-test-medium").voice == "pt_BR-test-medium"


def test_an_installed_english_voice_wins_over_the_bundled_one(tmp_path, monkeypatch):
    monkeypatch.setenv("LT_HOME", str(tmp_path))
    install_voice(tmp_path, "en_GB-test-low", {"code": "en_GB", "family": "en"})
    assert find_piper_voice("en").name == "en_GB-test-low"


def test_voice_path_takes_a_file_or_its_folder(tmp_path):
    folder = install_voice(tmp_path, "xx-test", {"code": "de_DE", "family": "de"})
    assert voice_at(folder).lang == "de" and voice_at(folder / "xx-test.onnx").name == "xx-test"
    (folder / "xx-test.onnx.json").unlink()
    with pytest.raises(LtError, match="has no xx-test.onnx.json beside it"):
        voice_at(folder)
