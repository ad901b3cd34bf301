"""Batch mode: the whole input at once, VAD-segmented and batched for throughput.

faster-whisper's BatchedInferencePipeline does the decoding. With a fixed
language (or an English-only model) it segments the audio itself. Otherwise
each VAD segment's language is detected (one short encoder pass, with the same
session hysteresis as streaming), consecutive segments in one language are
decoded together in that language, so a recording that switches from English
to German comes out as English, then German. The words are cut into finals by
the same rules as in streaming (lt.asr.sentences), `--pause` included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

import numpy as np

from lt.asr.decoder import WhisperDecoder
from lt.asr.engine import Segment, Word
from lt.asr.hypothesis import HypWord, Phrase
from lt.asr.language import LanguageSettings, LanguageTracker
from lt.asr.sentences import FinalRules, next_final
from lt.asr.vad import SileroVad, Span
from lt.pcm import SAMPLE_RATE

CLIP_SECONDS = 30.0  # Whisper's window: the longest clip one batch item can hold
DETECT_SECONDS = 3.0  # audio a detection hears at least: on a 1 s greeting, Whisper guesses (Spanish as Japanese)


@dataclass(frozen=True)
class BatchSettings:
    task: str = "transcribe"
    beam_size: int = 5
    languages: LanguageSettings = LanguageSettings()
    batch_size: int = 8
    finals: FinalRules = field(default_factory=FinalRules)


@dataclass(frozen=True)
class Clip:
    """A stretch of audio decoded as one batch item, in one language."""

    start: float
    end: float
    language: str
    language_prob: float


def batch_phrases(model, audio: np.ndarray, settings: BatchSettings) -> list[Phrase]:
    if len(audio) == 0:
        return []
    fixed = settings.languages.fixed or (None if model.model.is_multilingual else "en")
    if fixed:
        words = _decode(model, audio, settings, fixed, 1.0, None)
    else:
        words = []
        for language, clips in groupby(_clips(model, audio, settings.languages), key=lambda c: c.language):
            clips = list(clips)
            prob = float(np.mean([c.language_prob for c in clips]))
            words += _decode(model, audio, settings, language, prob, clips)
    return split_phrases(words, settings.finals)


def _clips(model, audio: np.ndarray, languages: LanguageSettings) -> list[Clip]:
    """VAD segments, each in the language detected for it, merged into clips of one language."""
    decoder = WhisperDecoder(model)
    tracker = LanguageTracker(languages)
    clips: list[Clip] = []
    for span in SileroVad(min_silence=0.16, max_speech=CLIP_SECONDS).speech(audio):
        heard = Span(span.start, max(span.end, span.start + DETECT_SECONDS))
        language, prob = tracker.choose(decoder.detect_language(_cut(audio, heard)))
        tracker.pin(language, prob)
        tracker.end_utterance()
        last = clips[-1] if clips else None
        if last and last.language == language and span.end - last.start <= CLIP_SECONDS:
            clips[-1] = Clip(last.start, span.end, language, min(last.language_prob, prob))
        else:
            clips.append(Clip(span.start, span.end, language, prob))
    return clips


def _cut(audio: np.ndarray, span: Span) -> np.ndarray:
    return audio[int(span.start * SAMPLE_RATE) : int(span.end * SAMPLE_RATE)]


def _decode(model, audio, settings: BatchSettings, language: str, prob: float, clips: list[Clip] | None) -> list[HypWord]:
    from faster_whisper import BatchedInferencePipeline

    segments, _ = BatchedInferencePipeline(model).transcribe(
        audio,
        language=language,
        task=settings.task,
        beam_size=settings.beam_size,
        word_timestamps=True,
        batch_size=settings.batch_size,
        vad_filter=clips is None,
        clip_timestamps=None if clips is None else [{"start": c.start, "end": c.end} for c in clips],
    )
    return [
        HypWord(Word(w.word, w.start, w.end, w.probability), _quality(s), language, prob)
        for s in segments
        for w in (s.words or ())
    ]


def _quality(s) -> Segment:
    return Segment((), s.avg_logprob, s.no_speech_prob)


def split_phrases(words: list[HypWord], rules: FinalRules) -> list[Phrase]:
    phrases = []
    while words:
        size = next_final(words, rules, closed=True)
        phrases.append(Phrase(tuple(words[:size]), stable=size))
        words = words[size:]
    return phrases
