"""Batch mode: the whole input at once, VAD-segmented and batched for throughput.

faster-whisper's BatchedInferencePipeline does the work; this module only turns
its segments into the same caption-sized finals the streaming policy emits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lt.asr.captions import CaptionRules, caption_size
from lt.asr.engine import DecodeOptions, Segment, Word
from lt.asr.streaming import Caption, HypWord

PAUSE = 0.8  # a gap between words this long ends a caption, as in streaming


@dataclass(frozen=True)
class BatchSettings:
    decode: DecodeOptions = DecodeOptions()
    language: str | None = None
    batch_size: int = 8
    captions: CaptionRules = CaptionRules()


def batch_captions(model, audio: np.ndarray, settings: BatchSettings) -> list[Caption]:
    from faster_whisper import BatchedInferencePipeline

    if len(audio) == 0:
        return []
    segments, info = BatchedInferencePipeline(model).transcribe(
        audio,
        language=settings.language,
        task=settings.decode.task,
        beam_size=settings.decode.beam_size,
        temperature=settings.decode.temperatures,
        word_timestamps=True,
        batch_size=settings.batch_size,
        vad_filter=True,
    )
    words = [
        HypWord(Word(w.word, w.start, w.end, w.probability), _quality(s), info.language, info.language_probability)
        for s in segments
        for w in (s.words or ())
    ]
    return split_captions(words, settings.captions)


def _quality(s) -> Segment:
    return Segment((), s.avg_logprob, s.no_speech_prob, s.compression_ratio)


def split_captions(words: list[HypWord], rules: CaptionRules, pause: float = PAUSE) -> list[Caption]:
    captions = []
    while words:
        size = caption_size([w.text for w in words], rules) or len(words)
        for i in range(1, size):
            if words[i].word.start - words[i - 1].word.end >= pause:
                size = i
                break
        captions.append(Caption(tuple(words[:size])))
        words = words[size:]
    return captions
