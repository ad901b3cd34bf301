"""The speaker model on its real weights: conversion, embeddings, online tracking, changes, batch, enrolment."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from lt.errors import LtError
from lt.speakers import SpeakerSettings, SpeakerTracker, diarize, turns_from_labels
from lt.speakers.features import fbank, frames_for
from lt.speakers.model import model_files, verified_model
from lt.speakers.scoring import score, segments_from_words
from lt.speakers.voices import enrol, load_voices, voice_print
from speaker_data import ENROL_B, THREE_VOICES, TWO_VOICES, finals, load, times

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder():
    from lt.speakers import load_speaker_model

    return load_speaker_model()


def run_online(embedder, recording, settings=SpeakerSettings(), voices=()):
    """Every word's speaker from the tracker, fed final by final; and the tracker."""
    tracker = SpeakerTracker(embedder, settings, voices)
    labels: list[str] = []
    for indices in finals(recording.words):
        start = recording.words[indices[0]]["start"]
        end = recording.words[indices[-1]]["end"]
        audio = recording.audio[int(start * 16000):int(end * 16000)]
        turns = tracker.turns(audio, start, times(recording.words, indices))
        bounds = [t.first_word for t in turns] + [len(indices)]
        for k, turn in enumerate(turns):
            labels += [turn.speaker] * (bounds[k + 1] - bounds[k])
    return labels, tracker


def der(recording, labels, collar=0.25):
    reference = recording.reference()
    hypothesis = segments_from_words([(w["start"], w["end"], s) for w, s in zip(recording.words, labels)])
    return score(reference, hypothesis, collar)


def test_features_are_kaldi_shaped():
    audio = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    feats = fbank(audio)
    assert feats.shape == (frames_for(16000), 80) == (98, 80)
    assert np.isfinite(feats).all()
    assert fbank(audio[:399]).shape == (0, 80)


def test_the_converted_model_is_checksummed(embedder, tmp_path):
    files = model_files()
    manifest = json.loads(files.manifest.read_text())
    assert manifest["licence"] == "Apache-2.0" and manifest["embedding_dim"] == 192
    assert verified_model(files) == files.onnx
    copy = model_files(tmp_path)
    copy.onnx.parent.mkdir(parents=True)
    shutil.copy(files.onnx, copy.onnx)
    shutil.copy(files.manifest, copy.manifest)
    assert verified_model(copy) == copy.onnx
    with open(copy.onnx, "r+b") as f:  # one byte changed: no longer the model the manifest names
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert verified_model(copy) is None


def test_a_voice_is_closer_to_itself_than_to_another(embedder):
    rec = load(THREE_VOICES)
    by_speaker: dict[str, list[np.ndarray]] = {}
    for turn in rec.turns:
        ranges = [(int(turn["start"] * 16000), int(turn["end"] * 16000))]
        by_speaker.setdefault(turn["speaker"], []).append(embedder.embed(rec.audio, ranges)[0])
    a1, a2 = by_speaker["A"]
    assert np.isclose(np.linalg.norm(a1), 1.0, atol=1e-4)
    assert a1 @ a2 > 0.75
    assert a1 @ by_speaker["B"][0] < 0.65 and a1 @ by_speaker["C"][0] < 0.65


@pytest.mark.parametrize("annotation", [TWO_VOICES, THREE_VOICES], ids=["two", "three"])
def test_online_tracking_labels_every_turn(embedder, annotation):
    rec = load(annotation)
    labels, tracker = run_online(embedder, rec)
    truth = [w["speaker"] for w in rec.words]
    mapping = {t: l for t, l in zip(truth, labels)}
    assert len(set(labels)) == len(set(truth)), labels
    assert sum(mapping[t] == l for t, l in zip(truth, labels)) / len(truth) >= 0.95
    assert der(rec, labels).confusion <= 0.05
    first = {t["speaker"]: None for t in rec.turns}
    assert sorted(set(labels)) == [f"S{i}" for i in range(1, len(first) + 1)]
    assert labels[0] == "S1"
    summary = tracker.summary()
    assert set(summary["speakers"]) == set(labels) and summary["merged"] == {}


def test_a_change_inside_one_final_is_cut_at_the_right_word(embedder):
    rec = load(TWO_VOICES)
    run_online(embedder, rec)  # the voices are known by now; then one final holding two turns:
    tracker = SpeakerTracker(embedder, SpeakerSettings())
    for indices in finals(rec.words)[:3]:
        s, e = rec.words[indices[0]]["start"], rec.words[indices[-1]]["end"]
        tracker.turns(rec.audio[int(s * 16000):int(e * 16000)], s, times(rec.words, indices))
    last_a = max(i for i, w in enumerate(rec.words) if w["speaker"] == "A")
    span = list(range(last_a - 8, min(last_a + 10, len(rec.words))))
    s, e = rec.words[span[0]]["start"], rec.words[span[-1]]["end"]
    turns = tracker.turns(rec.audio[int(s * 16000):int(e * 16000)], s, times(rec.words, span))
    assert [t.speaker for t in turns] == ["S1", "S2"], turns
    assert abs(turns[1].first_word - 9) <= 1, (turns, rec.words[span[turns[1].first_word]])
    assert all(0 < t.speaker_prob <= 1 for t in turns)


def test_a_known_number_of_speakers_is_never_exceeded(embedder):
    rec = load(THREE_VOICES)
    labels, _ = run_online(embedder, rec, SpeakerSettings.parse("2"))
    assert set(labels) == {"S1", "S2"}
    assert SpeakerSettings.parse("off") is None
    with pytest.raises(LtError, match="expected auto, off or a number"):
        SpeakerSettings.parse("many")


def test_an_enrolled_voice_is_labelled_by_name(embedder, tmp_path, monkeypatch):
    monkeypatch.setenv("LT_VOICES", str(tmp_path))
    enrolment = load(ENROL_B)
    voice, path = enrol("Bea", str(ENROL_B.with_suffix(".flac")), embedder)
    assert path.parent == tmp_path and voice.seconds > 10
    voices = load_voices()
    assert [v.name for v in voices] == ["Bea"]
    assert np.allclose(voices[0].embedding, voice_print(embedder, enrolment.audio, "Bea").embedding, atol=1e-4)
    rec = load(THREE_VOICES)
    labels, _ = run_online(embedder, rec, voices=voices)
    truth = [w["speaker"] for w in rec.words]
    assert {l for t, l in zip(truth, labels) if t == "B"} == {"Bea"}
    assert "Bea" not in {l for t, l in zip(truth, labels) if t != "B"}
    with pytest.raises(LtError, match="too little"):
        voice_print(embedder, enrolment.audio[:16000], "Bea")


@pytest.mark.parametrize("annotation", [TWO_VOICES, THREE_VOICES], ids=["two", "three"])
def test_batch_diarization_labels_every_word(embedder, annotation):
    rec = load(annotation)
    labels = diarize(embedder, rec.audio, [(w["start"], w["end"]) for w in rec.words], SpeakerSettings())
    assert len(labels) == len(rec.words)
    speakers = [label.speaker for label in labels]
    assert speakers[0] == "S1" and len(set(speakers)) == len({t["speaker"] for t in rec.turns})
    assert der(rec, speakers).der <= 0.10
    turns = turns_from_labels(labels[:12], [(w["start"], w["end"]) for w in rec.words[:12]])
    assert turns[0].first_word == 0 and turns[0].speaker == "S1"
    known = diarize(embedder, rec.audio, [(w["start"], w["end"]) for w in rec.words], SpeakerSettings.parse("1"))
    assert {label.speaker for label in known} == {"S1"}


def test_setup_and_enrol_from_the_command_line(embedder, tmp_path):
    from conftest import lt

    result = lt("speakers", "setup", "--json")
    assert result.code == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert manifest["path"] == str(model_files().onnx) and manifest["weights_sha256"] == manifest["weights_sha256"].lower()
    env = {"LT_VOICES": str(tmp_path)}
    result = lt("speakers", "enrol", "Bea", str(ENROL_B.with_suffix(".flac")), "--json", env=env)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["name"] == "Bea"
    assert json.loads(lt("speakers", "voices", "--json", env=env).stdout)[0]["name"] == "Bea"
    assert lt("speakers", "forget", "Bea", env=env).code == 0
    missing = lt("speakers", "enrol", "Bea", str(tmp_path / "nope.wav"), env=env)
    assert missing.code == 1 and "no such file" in missing.stderr
