"""Recordings with known turns, made from espeak-ng voices that really differ, with Whisper's word times.

    .venv/bin/python bench/speaker_set.py --write-test-data   # rewrite the committed files under tests/data

Needs espeak-ng (Debian: apt-get install espeak-ng). Each recording is a list
of turns (voice, text, the silence before it); the annotation JSON beside it
holds the turns with their times and every word Whisper (base, batch) found,
with the speaker whose turn holds its midpoint. `conversation()` makes more of
them for bench/speakers.py.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parent.parent
RATE = 16000
VOICES = {"A": "en+m7", "B": "en+f3", "C": "en+klatt4"}

SENTENCES = [
    "Good morning everyone, thanks for joining the planning call today.",
    "I looked at the budget numbers last night and they still do not add up.",
    "Could you send me the latest version of the schedule before lunch?",
    "The design team wants two more weeks to finish the new cover.",
    "I think we should move the launch to the first week of March.",
    "That works for me, as long as the printer can keep the same slot.",
    "Let us ask the sales people what the customers are saying.",
    "The survey came back yesterday and most answers were positive.",
    "We still need somebody to write the notes for the board meeting.",
    "I can do that, but I will need the figures by Thursday evening.",
    "Please remember that the office is closed on Monday afternoon.",
    "Does anyone have questions about the travel plans for next month?",
    "The new laptops arrive on Friday, so plan the setup for the weekend.",
    "Our biggest risk is still the supplier in the north of the country.",
    "I spoke to their manager and he promised an answer within a week.",
    "Then let us meet again on Tuesday and decide what to do.",
]


@dataclass(frozen=True)
class TurnSpec:
    speaker: str  # A, B, C
    text: str
    gap: float  # seconds of silence before the turn


def say(voice: str, text: str, speed: int = 165) -> np.ndarray:
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text], capture_output=True, check=True).stdout
    audio, rate = sf.read(io.BytesIO(wav), dtype="float32")
    audio = soxr.resample(audio, rate, RATE).astype(np.float32)
    voiced = np.flatnonzero(np.abs(audio) > 0.01)  # espeak pads with silence: the gap is set by the turn
    return audio[voiced[0]:voiced[-1] + 1] * 0.8


def render(turns: list[TurnSpec]) -> tuple[np.ndarray, list[dict]]:
    pieces, marks, at = [], [], 0.0
    for turn in turns:
        silence = np.zeros(int(turn.gap * RATE), dtype=np.float32)
        speech = say(VOICES[turn.speaker], turn.text)
        pieces += [silence, speech]
        at += len(silence) / RATE
        marks.append({"speaker": turn.speaker, "voice": VOICES[turn.speaker], "start": round(at, 3),
                      "end": round(at + len(speech) / RATE, 3), "text": turn.text})
        at += len(speech) / RATE
    pieces.append(np.zeros(int(0.5 * RATE), dtype=np.float32))
    return np.concatenate(pieces), marks


def word_times(audio: np.ndarray, model) -> list[dict]:
    segments, _ = model.transcribe(audio, beam_size=5, word_timestamps=True, vad_filter=True, language="en")
    return [{"w": w.word.strip(), "start": round(w.start, 3), "end": round(w.end, 3)} for s in segments for w in s.words]


def annotate(words: list[dict], turns: list[dict]) -> list[dict]:
    for word in words:
        middle = (word["start"] + word["end"]) / 2
        word["speaker"] = min(turns, key=lambda t: 0 if t["start"] <= middle <= t["end"] else min(abs(middle - t["start"]), abs(middle - t["end"])))["speaker"]
    return words


def conversation(rng: random.Random, speakers: str, turns: int) -> list[TurnSpec]:
    """Turns among `speakers`, never the same one twice in a row; gaps from a quick change to a pause."""
    out, previous = [], None
    for _ in range(turns):
        speaker = rng.choice([s for s in speakers if s != previous])
        out.append(TurnSpec(speaker, rng.choice(SENTENCES), rng.choice([0.15, 0.3, 0.6, 1.0, 1.5])))
        previous = speaker
    return out


def load_whisper():
    from lt.asr.engine import ModelSettings, load_whisper as load

    return load(ModelSettings("base", "cpu", "int8"))


def write(path: Path, turns: list[TurnSpec], model) -> None:
    audio, marks = render(turns)
    sf.write(path, audio, RATE, subtype="PCM_16")
    words = annotate(word_times(audio, model), marks)
    record = {"audio": path.name, "voices": {k: VOICES[k] for k in sorted({t.speaker for t in turns})}, "turns": marks, "words": words}
    path.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"{path}: {len(audio) / RATE:.1f} s, {len(marks)} turns, {len(words)} words")


TWO_VOICES = [
    TurnSpec("A", SENTENCES[0] + " " + SENTENCES[1], 0.5),
    TurnSpec("B", SENTENCES[2], 1.2),
    TurnSpec("A", SENTENCES[3], 1.2),
    TurnSpec("B", SENTENCES[5] + " " + SENTENCES[6], 0.2),  # a change of speaker with no pause: inside one final
]
THREE_VOICES = [
    TurnSpec("A", SENTENCES[7], 0.5),
    TurnSpec("B", SENTENCES[8], 1.0),
    TurnSpec("C", SENTENCES[9], 1.0),
    TurnSpec("A", SENTENCES[10], 0.25),
    TurnSpec("C", SENTENCES[11], 1.0),
    TurnSpec("B", SENTENCES[12] + " " + SENTENCES[13], 1.0),
]
ENROL_B = [TurnSpec("B", SENTENCES[14] + " " + SENTENCES[15] + " " + SENTENCES[4], 0.3)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-test-data", action="store_true", help="rewrite the committed test recordings")
    args = parser.parse_args()
    if not args.write_test_data:
        parser.error("nothing to do: --write-test-data")
    model = load_whisper()
    write(ROOT / "tests/data/two_voices.wav", TWO_VOICES, model)
    write(ROOT / "tests/data/speakers/three_voices.flac", THREE_VOICES, model)
    write(ROOT / "tests/data/speakers/enrol_b.flac", ENROL_B, model)


if __name__ == "__main__":
    main()
