"""`lt transcribe --mode batch` on real human speech (tests/data/human), the bundled models.

The bounds sit above what was measured on this project's 2-core CPU (WER on
english.wav: base 0.025-0.032, tiny.en 0.057), with room for other CPUs' arithmetic,
and well below what one lost sentence costs (about 0.1).
"""

from __future__ import annotations

import json

import pytest
import soundfile as sf

from conftest import DATA, lt
from lt.wer import wer

HUMAN = DATA / "human"
CLIPS = json.loads((HUMAN / "clips.json").read_text(encoding="utf-8"))
OFFLINE = {"HF_HUB_OFFLINE": "1"}
WER_BOUND = {"base": 0.06, "tiny.en": 0.10}

pytestmark = pytest.mark.slow


def batch(clip: str, *options: str) -> list[dict]:
    audio, rate = sf.read(HUMAN / CLIPS[clip]["file"], dtype="int16")
    assert rate == 16000 and audio.ndim == 1
    result = lt("transcribe", "--mode", "batch", *options, input=audio.tobytes(), env=OFFLINE)
    assert result.code == 0, result.stderr
    events = [json.loads(line) for line in result.lines()]
    return [e for e in events if e["type"] == "transcript"]


def reference(clip: str) -> str:
    return (HUMAN / CLIPS[clip]["reference"]).read_text(encoding="utf-8")


def test_the_clips_match_their_manifest():
    for name, clip in CLIPS.items():
        info = sf.info(HUMAN / clip["file"])
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16"), name
        assert info.duration == pytest.approx(clip["duration"], abs=0.01), name
        assert reference(name).strip() == " ".join(p["text"] for p in clip["parts"]), name
        assert all(p["licence"] for p in clip["parts"]), name


@pytest.mark.parametrize("model", ["base", "tiny.en"])
def test_english_from_three_speakers_is_transcribed_within_its_bound(model):
    finals = batch("english", "--model", model)
    assert all(e["final"] and e["lang"] == "en" for e in finals)
    assert wer(reference("english"), " ".join(e["text"] for e in finals)) <= WER_BOUND[model]


def test_italian_is_detected_as_italian_and_transcribed():
    finals = batch("italian", "--model", "base", "--language", "auto")
    assert finals and {e["lang"] for e in finals} == {"it"}
    assert min(e["lang_prob"] for e in finals) > 0.8
    assert wer(reference("italian"), " ".join(e["text"] for e in finals)) <= 0.1
