"""Piper voices (VITS models in ONNX) through onnxruntime, with the `piper-tts` package.

A voice is two files, `NAME.onnx` and `NAME.onnx.json`; which ones are found
for a language is decided in voices.py.
"""

from __future__ import annotations

import logging

import numpy as np

from lt.pcm import Resampler
from lt.errors import LtError, missing_extra
from lt.tts.voices import PiperVoiceFiles

log = logging.getLogger("lt.speak")

SENTENCE_PAUSE = 0.12  # seconds between the sentences of one caption, as a reader would pause
VOLUME = 0.8  # Piper normalises every sentence to full scale; this leaves headroom for --duck


class PiperSynthesizer:
    engine = "piper"

    def __init__(self, files: PiperVoiceFiles, lang: str):
        try:
            from piper import PiperVoice, SynthesisConfig
        except ImportError:
            raise missing_extra("piper", "tts") from None
        try:
            self._voice = PiperVoice.load(files.model, config_path=files.config)
        except Exception as exc:  # onnxruntime and json raise many kinds; all mean "not a usable voice"
            raise LtError(
                f"cannot load the Piper voice {files.model}: {type(exc).__name__}: {exc}",
                hint="a voice is NAME.onnx with its NAME.onnx.json beside it",
            ) from None
        self._config = SynthesisConfig(volume=VOLUME)
        self.rate = self._voice.config.sample_rate
        self.voice = files.name
        self.lang = lang
        log.debug("Piper voice %s (%s, %d Hz) from %s", files.name, files.source, self.rate, files.model)

    def synthesize(self, text: str) -> np.ndarray:
        pause = np.zeros(int(SENTENCE_PAUSE * self.rate), dtype=np.float32)
        pieces: list[np.ndarray] = []
        for chunk in self._voice.synthesize(text, self._config):
            if pieces:
                pieces.append(pause)
            pieces.append(chunk.audio_float_array)
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        return Resampler(self.rate)(np.concatenate(pieces), last=True)
