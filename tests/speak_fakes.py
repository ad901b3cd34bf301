"""An honest fake engine for the speak tests: implements the Synthesizer protocol with tones whose
length is set by the text, so timing can be tested exactly and fast."""

from __future__ import annotations

import numpy as np

from lt.pcm import SAMPLE_RATE

SECONDS_PER_CHAR = 0.05


class ToneSynth:
    engine = "tone"
    voice = "sine-440"

    def __init__(self, lang: str = "pt", seconds_per_char: float = SECONDS_PER_CHAR):
        self.lang = lang
        self.seconds_per_char = seconds_per_char
        self.said: list[str] = []

    def synthesize(self, text: str) -> np.ndarray:
        if "boom" in text:
            raise RuntimeError("the engine broke")
        self.said.append(text)
        n = round(len(text) * self.seconds_per_char * SAMPLE_RATE)
        return (0.5 * np.sin(2 * np.pi * 440 * np.arange(n) / SAMPLE_RATE)).astype(np.float32)


def seconds_of(text: str) -> float:
    return len(text) * SECONDS_PER_CHAR
