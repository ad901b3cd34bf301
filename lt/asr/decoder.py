"""The streaming decoder: one Whisper pass over the buffered audio, with the committed words forced.

faster-whisper's `transcribe` suits files: it pads every window to 30 s and,
when a window's text stops short of the audio's end, seeks and decodes a
second padded window. On a CPU that fixed cost dominated a streaming decode of
a few seconds. This decoder makes exactly one pass:

1. encode the buffered audio plus a margin (rounded up to whole seconds, at
   least `min_window` seconds, below which Whisper loops on short phrases),
   or a full 30 s window with `window="full"`;
2. detect the language on that same encoder output when none is given, and
   let the caller choose among the probabilities (session hysteresis, a
   restricted set of candidates);
3. generate once from a prompt of earlier text and a forced *prefix*: the
   words already committed inside the buffer. Forcing them means a decode can
   only add words after them, so nothing committed is decoded twice or
   dropped where the buffer was cut. Without forced words Whisper decodes with
   its timestamp tokens, as it was trained (better punctuation); after them,
   without, because with them it often stops as if its segment were done;
4. align the tokens to the audio (Whisper's cross-attention, as faster-whisper
   does for word timestamps) and return the words after the prefix.

No temperature fallback: a decode that would have needed one is flagged by the
guards instead of retried.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lt.asr.engine import Decoded, LanguageChooser, Segment, Word, out_of_memory
from lt.pcm import SAMPLE_RATE

FRAMES_PER_SECOND = 100
MARGIN_FRAMES = 200  # silence after the audio, so the decoder sees that it has ended
FULL_WINDOW_FRAMES = 3000
TOKENS_PER_SECOND = 6  # fast speech is about 4 tokens a second; a looping decoder is stopped early
NOT_SPEECH = set("_*=#~")
PROMPT_TOKENS = 223  # Whisper's limit for the previous-text prompt (half its context, less one)
TEXT_CONTEXT = 448  # Whisper's whole text context, prompt and transcript
# faster-whisper's defaults for which punctuation joins the word before or after it.
PREPEND = "\"'“¿([{-"
APPEND = "\"'.。,，!！?？:：”)]}、"

@dataclass(frozen=True)
class DecodeOptions:
    task: str = "transcribe"
    beam_size: int = 5
    window: str = "short"  # short: the buffered audio only; full: Whisper's fixed 30 s window
    min_window: float = 10.0
    timestamps: bool = True  # a decode without forced words uses Whisper's timestamp tokens, as it was trained


class WhisperDecoder:
    """Implements the Transcriber Protocol on a faster-whisper WhisperModel."""

    def __init__(self, model, options: DecodeOptions = DecodeOptions()):
        self.model = model
        self.options = options
        self.multilingual = model.model.is_multilingual
        self._suppress: list[int] | None = None

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        prompt: str = "",
        prefix: Sequence[str] = (),
        language: str | None = None,
        choose: LanguageChooser | None = None,
        cheap: bool = False,
    ) -> Decoded:
        try:
            return self._transcribe(audio, prompt, prefix, language, choose, cheap)
        except RuntimeError as exc:
            raise out_of_memory(exc) from None

    def detect_language(self, audio: np.ndarray) -> dict[str, float]:
        """Whisper's probability for every language it knows, from one short-window encoding."""
        if not self.multilingual:
            return {"en": 1.0}
        return self._languages(self._encode(audio)[0])

    def _encode(self, audio: np.ndarray):
        features = self.model.feature_extractor(audio)
        content = features.shape[-1] - 1
        return self.model.encode(self._window(features, content)), content

    def _languages(self, encoder_output) -> dict[str, float]:
        return {token[2:-2]: p for token, p in self.model.model.detect_language(encoder_output)[0]}

    def _transcribe(self, audio, prompt, prefix, language, choose, cheap) -> Decoded:
        from faster_whisper.tokenizer import Tokenizer

        encoder_output, content = self._encode(audio)
        probs: dict[str, float] = {}
        probability = 1.0
        if language is None and self.multilingual:
            probs = self._languages(encoder_output)
            language, probability = choose(probs) if choose else max(probs.items(), key=lambda kv: kv[1])
        language = language or "en"
        tokenizer = Tokenizer(self.model.hf_tokenizer, self.multilingual, task=self.options.task, language=language)
        forced = _encode_words(tokenizer, prefix)
        result = self._generate(tokenizer, encoder_output, prompt, forced, len(audio) / SAMPLE_RATE, cheap)
        tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
        words = self._align(tokenizer, tokens, encoder_output, content, len(forced))
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1) if result.scores else 0.0
        segment = Segment(tuple(words), avg_logprob, result.no_speech_prob)
        return Decoded((segment,), language, probability, probs)

    def _window(self, features: np.ndarray, content: int) -> np.ndarray:
        if self.options.window == "full":
            frames = FULL_WINDOW_FRAMES
        else:
            wanted = math.ceil((content + MARGIN_FRAMES) / FRAMES_PER_SECOND) * FRAMES_PER_SECOND
            frames = min(FULL_WINDOW_FRAMES, max(int(self.options.min_window * FRAMES_PER_SECOND), wanted))
        content = min(content, frames)
        window = np.pad(features[:, :content], ((0, 0), (0, frames - content)))
        return np.ascontiguousarray(window, dtype=np.float32)

    def _generate(self, tokenizer, encoder_output, prompt: str, forced: list[int], seconds: float, cheap: bool):
        tokens = []
        if prompt:
            tokens = [tokenizer.sot_prev, *tokenizer.encode(" " + prompt.strip())[-PROMPT_TOKENS:]]
        tokens += tokenizer.sot_sequence
        if forced or not self.options.timestamps:
            # After forced words, Whisper with timestamp tokens often stops (its segment looks done).
            tokens.append(tokenizer.no_timestamps)
        tokens += forced
        # The forced words stand for audio already spoken: only the rest may add tokens.
        new = max(10, int(10 + TOKENS_PER_SECOND * seconds) - len(forced))
        return self.model.model.generate(
            encoder_output,
            [tokens],
            beam_size=1 if cheap else self.options.beam_size,
            max_length=_max_length(len(tokens), len(forced), new),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=not forced,
            suppress_tokens=self._suppressed(tokenizer),
        )[0]

    def _suppressed(self, tokenizer) -> list[int]:
        """Whisper's own suppressed symbols, and tokens that are runs of `_*=#~`: never speech, but
        what a beam search falls into at the cut-off end of a buffer ("until ______...")."""
        if self._suppress is None:
            from faster_whisper.transcribe import get_suppressed_tokens

            runs = [i for i in range(tokenizer.eot) if (text := tokenizer.decode([i]).strip()) and set(text) <= NOT_SPEECH]
            self._suppress = sorted(set(get_suppressed_tokens(tokenizer, [-1])) | set(runs))
        return self._suppress

    def _align(self, tokenizer, tokens: list[int], encoder_output, frames: int, forced: int) -> list[Word]:
        """Words with times (seconds from the buffer start) for the tokens after the first `forced`.

        A word that straddles the forced prefix (punctuation the decoder added to the last
        committed word) comes back as that added text alone, so committed words never change."""
        from faster_whisper.transcribe import merge_punctuations

        if len(tokens) <= forced:
            return []
        alignment = self.model.find_alignment(tokenizer, [tokens], encoder_output, frames)[0]
        merge_punctuations(alignment, PREPEND, APPEND)
        words = []
        seen = 0
        for timing in alignment:
            count = len(timing["tokens"])
            new = timing["tokens"][max(0, forced - seen):]
            seen += count
            if not new or not timing["word"]:
                continue
            text = timing["word"] if len(new) == count else tokenizer.decode(new)
            if text.strip():
                words.append(Word(text, float(timing["start"]), float(timing["end"]), float(timing["probability"])))
        return words


def _max_length(tokens: int, forced: int, new: int) -> int:
    """CTranslate2's `max_length` for `new` tokens after `forced` ones, `tokens` in all. Its Whisper
    decodes at most half of `max_length` steps, and the forced tokens take a step each: with the plain
    sum, a long prefix after a short prompt (38 forced tokens of Italian) left one step, and the
    decode stopped after a syllable every time ("secondo l'ord"), losing the end of the utterance."""
    return min(TEXT_CONTEXT, max(tokens + new, 2 * (forced + new + 1)))


def _encode_words(tokenizer, words: Sequence[str]) -> list[int]:
    text = "".join(words)
    return tokenizer.encode(text if text.startswith(" ") else " " + text) if text.strip() else []

