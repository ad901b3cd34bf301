"""The recordings with known turns (bench/speaker_set.py made them) and finals cut from them
the way the transcribe stage cuts its own: at pauses and sentence ends. bench/speakers.py uses it too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from lt.speakers.scoring import Segment

DATA = Path(__file__).resolve().parent / "data"

TWO_VOICES = DATA / "two_voices.json"
THREE_VOICES = DATA / "speakers" / "three_voices.json"
ENROL_B = DATA / "speakers" / "enrol_b.json"
HUMAN_CALL = DATA / "speakers" / "human_call.json"


@dataclass(frozen=True)
class Recording:
    audio: np.ndarray
    turns: list[dict]
    words: list[dict]
    synthetic: bool = True

    def reference(self) -> list[Segment]:
        """Who spoke when. A synthetic turn is cut where its voice is silent for 0.2 s or more (the
        pauses espeak-ng makes at commas and full stops), as a hand-made reference would be; the human
        call's turns are its own annotation's."""
        if not self.synthetic:
            return [Segment(t["speaker"], t["start"], t["end"]) for t in self.turns]
        frames = len(self.audio) // 160
        loud = np.sqrt((self.audio[:frames * 160].reshape(frames, 160) ** 2).mean(axis=1)) > 0.005
        out: list[Segment] = []
        for turn in self.turns:
            voiced = [k for k in range(int(turn["start"] * 100), min(frames, int(turn["end"] * 100) + 1)) if loud[k]]
            for k in voiced:
                if out and out[-1].speaker == turn["speaker"] and k / 100 - out[-1].end < 0.2:
                    out[-1] = Segment(turn["speaker"], out[-1].start, (k + 1) / 100)
                else:
                    out.append(Segment(turn["speaker"], k / 100, (k + 1) / 100))
        return out


def load(annotation: Path) -> Recording:
    record = json.loads(annotation.read_text())
    audio, rate = sf.read(annotation.parent / record["audio"], dtype="float32")
    assert rate == 16000
    return Recording(audio, record["turns"], record["words"], synthetic=bool(record["voices"]))


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
