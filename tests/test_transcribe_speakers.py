"""lt transcribe --speakers: the real speaker model labels the turns of a two-voice recording, live and in batch."""

from __future__ import annotations

import json
import os

import pytest

from conftest import DATA
from lt.asr.stage import TranscribeSettings, load_engines, transcribe
from lt.events import SessionEvent, TranscriptEvent
from lt.speakers.settings import SpeakerSettings

pytestmark = pytest.mark.slow
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def two_voices() -> tuple[bytes, list[dict]]:
    import soundfile as sf

    pcm = sf.read(DATA / "two_voices.wav", dtype="int16")[0].tobytes()
    return pcm, json.loads((DATA / "two_voices.json").read_text())["turns"]


def speaker_at(turns: list[dict], t: float) -> str | None:
    return next((turn["speaker"] for turn in turns if turn["start"] - 0.3 <= t <= turn["end"] + 0.3), None)


@pytest.mark.parametrize("mode", ["stream", "batch"])
def test_each_final_carries_the_voice_that_spoke_it(two_voices, mode):
    pcm, turns = two_voices
    settings = TranscribeSettings(model="tiny.en", mode=mode, speakers=SpeakerSettings.parse("auto"))
    events = list(transcribe([pcm[i : i + 3200] for i in range(0, len(pcm), 3200)], settings, load_engines(settings)))
    finals = [e for e in events if isinstance(e, TranscriptEvent) and e.final]
    assert all(e.speaker and 0 <= e.speaker_prob <= 1 for e in finals)
    # Each reference voice maps to one label, and no label to two voices.
    mapping: dict[str, set[str]] = {}
    for e in finals:
        truth = speaker_at(turns, (e.start + e.end) / 2)
        if truth:
            mapping.setdefault(truth, set()).add(e.speaker)
    assert len(mapping) == 2 and all(len(labels) == 1 for labels in mapping.values())
    assert len({label for labels in mapping.values() for label in labels}) == 2
    end = next(e for e in events if isinstance(e, SessionEvent) and e.kind == "end")
    assert events[0].params["speakers"] == "auto"
    assert mode == "batch" or set(end.stats["speakers"]["speakers"]) >= {"S1", "S2"}
