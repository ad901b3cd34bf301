"""The engine protocol: text in, mono float32 samples at the PCM contract's rate out.

Engines are chosen per language (`choose_engine` in voices.py): a Piper voice
when one is installed or bundled for it, else espeak-ng, which speaks nearly
every language, robotically.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np


class EngineKind(str, enum.Enum):
    auto = "auto"
    piper = "piper"
    espeak = "espeak-ng"


class Synthesizer(Protocol):
    engine: str  # "piper", "espeak-ng", ...
    voice: str  # the voice's name, for logs and events
    lang: str

    def synthesize(self, text: str) -> np.ndarray:
        """The speech for `text`: float32 in [-1, 1], 16 kHz mono (lt.capture.SAMPLE_RATE)."""
        ...
