"""The recordings with known turns (bench/speaker_set.py made them) and finals cut from them
the way the transcribe stage cuts its own: at pauses and sentence ends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from conftest import DATA

TWO_VOICES = DATA / "two_voices.json"
THREE_VOICES = DATA / "speakers" / "three_voices.json"
ENROL_B = DATA / "speakers" / "enrol_b.json"


@dataclass(frozen=True)
class Recording:
    audio: np.ndarray
    turns: list[dict]
    words: list[dict]


def load(annotation: Path) -> Recording:
    record = json.loads(annotation.read_text())
    audio, rate = sf.read(annotation.parent / record["audio"], dtype="float32")
    assert rate == 16000
    return Recording(audio, record["turns"], record["words"])


def finals(words: list[dict], pause: float = 0.8) -> list[list[int]]:
    """Word indices of each final."""
    out: list[list[int]] = [[]]
    for i, word in enumerate(words):
        if out[-1]:
            last = words[out[-1][-1]]
            if word["start"] - last["end"] >= pause or (last["w"][-1:] in ".?!" and len(out[-1]) >= 4):
                out.append([])
        out[-1].append(i)
    return out


def times(words: list[dict], indices: list[int]) -> list[tuple[float, float]]:
    return [(words[i]["start"], words[i]["end"]) for i in indices]
