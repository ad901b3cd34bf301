"""A faster Transcriber for streaming: encode only the audio in the buffer, not a 30 s window.

Whisper's encoder always sees 30 s of audio, padded with silence, and on a CPU
that fixed cost dominates a streaming decode of a few seconds. CTranslate2's
encoder accepts a shorter input, so this engine encodes the buffered audio plus
a margin (rounded up to whole seconds) and hands that encoder output to
faster-whisper's own segment generator. Decodes get about three times faster;
Whisper was trained on full windows, so text is a little less stable, which
LocalAgreement's two-decode confirmation absorbs. No temperature fallback: a
decode that would have needed one is flagged by the guards instead of retried.
"""

from __future__ import annotations

import dataclasses
import inspect
import math

import numpy as np

from lt.asr.engine import Decoded, DecodeOptions, WhisperTranscriber, segment_of

FRAMES_PER_SECOND = 100
MARGIN_FRAMES = 200  # silence after the audio, so the decoder sees that it has ended
MIN_FRAMES = 1000  # below 10 s of context the decoder loops on short phrases far more often
TOKENS_PER_SECOND = 6  # fast speech is about 4 tokens a second; a looping decoder is stopped early


class ShortWindowTranscriber(WhisperTranscriber):
    def __init__(self, model, options: DecodeOptions):
        super().__init__(model, options)
        self._defaults = _transcribe_defaults(model)

    def _transcribe(self, audio: np.ndarray, prompt: str, language: str | None, cheap: bool) -> Decoded:
        from faster_whisper.tokenizer import Tokenizer

        model = self.model
        features = model.feature_extractor(audio)
        content = features.shape[-1] - 1
        frames = min(3000, max(MIN_FRAMES, math.ceil((content + MARGIN_FRAMES) / FRAMES_PER_SECOND) * FRAMES_PER_SECOND))
        window = np.pad(features[:, :content], ((0, 0), (0, frames - content)))
        encoder_output = model.encode(np.ascontiguousarray(window, dtype=np.float32))
        probability = 1.0
        if language is None and model.model.is_multilingual:
            # The same short encoding serves language detection: no second encoder pass.
            token, probability = model.model.detect_language(encoder_output)[0][0]
            language = token[2:-2]
        language = language or "en"
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task=self.options.task, language=language)
        options = self._options(tokenizer, prompt, cheap, seconds=len(audio) / 16000)
        segments = model.generate_segments(features, tokenizer, options, False, encoder_output)
        return Decoded(tuple(segment_of(s) for s in segments), language, probability)

    def _options(self, tokenizer, prompt: str, cheap: bool, seconds: float):
        from faster_whisper.transcribe import get_suppressed_tokens

        return dataclasses.replace(
            self._defaults,
            beam_size=1 if cheap else self.options.beam_size,
            temperatures=[0.0],
            initial_prompt=prompt or None,
            suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
            max_new_tokens=int(10 + TOKENS_PER_SECOND * seconds),
        )


def _transcribe_defaults(model):
    """faster-whisper's own defaults for every decoding option, from its transcribe signature."""
    from faster_whisper.transcribe import TranscriptionOptions

    params = inspect.signature(type(model).transcribe).parameters
    values = {f.name: params[f.name].default for f in dataclasses.fields(TranscriptionOptions) if f.name in params}
    values.update(
        temperatures=[0.0],
        word_timestamps=True,
        condition_on_previous_text=False,
        clip_timestamps="0",
    )
    return TranscriptionOptions(**values)
