"""lt transcribe --mode stream on audio fed at real time: latency, fragments, WER.

Computationally aware: the recording is released in blocks of lt's live block
(`LIVE_BLOCK_SECONDS`) on the wall clock, each once its last sample has been
spoken, as a microphone would deliver it, while the stage decodes in the same
process, so the clock keeps running while the model computes. t0 is the wall
time the recording starts (its first sample is spoken); a word's audio end is
at t0 + its end.

Measured, per word of the finals (the words a reader ends up with):

- stable: when the stage first emitted it as committed (a partial's stable
  words or a final) minus t0 + its end;
- final: when the final carrying it left the stage, likewise;
- sentence end: for each final ending a sentence, when it left minus t0 + its
  last word's end;
- partial: per partial, when it left minus when the audio up to its newest
  word had arrived;

and the fraction of one-word finals, words per final, the real-time factor
(decoding time / audio time), and the WER of the stream's finals next to batch
mode's on the same audio and model. The stage's events leave for the next
stage at once; on screen through the whole pipeline, see bench/e2e_latency.py.

    .venv/bin/python bench/transcribe_stream.py [--models tiny.en,base] [--audio FILE --reference TEXT] [--lookahead 0.2] [--context 5]

Targets (DESIGN.md, 2-core CPU, base int8): word -> stable p50 <= 1.0 s, p95
<= 2.0 s; sentence end -> final p50 <= 2.0 s, p95 <= 3.0 s (with its
translation on screen); partial p50 <= 0.7 s; streamed WER <= 1.1 x batch;
under 5 % one-word finals.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from lt.threads import one_blas_thread  # noqa: E402

one_blas_thread()  # as the lt command does, before numpy loads

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from machine import describe as machine  # noqa: E402  (bench/ is on the path when run as a script)
from stream_metrics import latency, normal, spread, wer  # noqa: E402
from lt.asr.engine import Decoded, Transcriber  # noqa: E402
from lt.asr.stage import Engines, TranscribeSettings, TranscribeStats, load_engines, transcribe  # noqa: E402
from lt.captions import ends_sentence  # noqa: E402
from lt.events import TranscriptEvent  # noqa: E402
from lt.pcm import BYTES_PER_SECOND, LIVE_BLOCK_SECONDS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BLOCK = int(LIVE_BLOCK_SECONDS * BYTES_PER_SECOND)


class TimedTranscriber:
    """A Transcriber that adds up the time its inner one spends decoding."""

    def __init__(self, inner: Transcriber):
        self.inner = inner
        self.seconds = 0.0

    def transcribe(self, audio: np.ndarray, **options) -> Decoded:
        began = time.perf_counter()
        try:
            return self.inner.transcribe(audio, **options)
        finally:
            self.seconds += time.perf_counter() - began


def paced(pcm: bytes, clock: dict) -> Iterator[bytes]:
    began = clock["t0"] = time.time()
    for sent in range(0, len(pcm), BLOCK):
        delay = began + (sent + BLOCK) / BYTES_PER_SECOND - time.time()
        if delay > 0:
            time.sleep(delay)
        yield pcm[sent : sent + BLOCK]


def word_latencies(events: list[TranscriptEvent], t0: float) -> dict[str, dict]:
    """Stable and final latency per word of the finals (bench/stream_metrics.py's definition);
    sentence-end latency per final."""
    first_stable: dict[tuple, float] = {}
    for e in events:
        for w in e.words[: len(e.words) if e.final else e.stable]:
            first_stable.setdefault((w.start, w.w), e.t["transcribe"])
    finals = [e for e in events if e.final]
    words = [(w.end, first_stable[(w.start, w.w)], e.t["transcribe"]) for e in finals for w in e.words]
    sentences = [e.t["transcribe"] - (t0 + e.words[-1].end) for e in finals if e.words and ends_sentence(e.text)]
    return {"stable": latency(words, t0, "committed"), "final": latency(words, t0, "final"), "sentence": spread(sentences)}


def rounded(summary: dict) -> dict:
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in summary.items()}


def measure(name: str, pcm: bytes, reference: str, args) -> dict:
    loaded = load_engines(TranscribeSettings(model=name, beam_size=args.beam_size, window=args.window, threads=args.threads))
    timed = TimedTranscriber(loaded.transcriber)
    engines = Engines(timed, loaded.model, loaded.vad, name)
    timed.transcribe(np.zeros(16000, dtype=np.float32), language="en")  # warm up
    timed.seconds = 0.0
    clock: dict = {}
    stats = TranscribeStats()
    settings = TranscribeSettings(
        model=name, mode="stream", beam_size=args.beam_size, min_chunk=args.min_chunk, lookahead=args.lookahead, context=args.context,
        window=args.window, language=args.language,
    )
    events = [e for e in transcribe(paced(pcm, clock), settings, engines, stats) if isinstance(e, TranscriptEvent)]
    finals = [e for e in events if e.final]
    latencies = word_latencies(events, clock["t0"])
    partial = [e.t["transcribe"] - e.t["capture"] for e in events if not e.final]
    batch = transcribe([pcm], TranscribeSettings(model=name, mode="batch", beam_size=args.beam_size, language=args.language), engines)
    batch_text = " ".join(e.text for e in batch if isinstance(e, TranscriptEvent))
    stream_wer = wer(reference, " ".join(e.text for e in finals))
    batch_wer = wer(reference, batch_text)
    sizes = [len(normal(e.text).split()) for e in finals]
    return {
        "model": name,
        "audio_s": round(stats.audio_seconds, 1),
        "threads": args.threads,
        "lookahead": args.lookahead,
        "context": args.context,
        "stable": rounded(latencies["stable"]),
        "final": rounded(latencies["final"]),
        "sentence_end": rounded(latencies["sentence"]),
        "partial": rounded(spread(partial)),
        "rtf": round(timed.seconds / stats.audio_seconds, 3),
        "decodes": stats.decodes,
        "cheap_decodes": stats.cheap_decodes,
        "finals": len(finals),
        "one_word_finals": round(sum(n == 1 for n in sizes) / len(sizes), 3) if sizes else None,
        "words_per_final": round(float(np.mean(sizes)), 1) if sizes else None,
        "stream_wer": round(stream_wer, 3),
        "batch_wer": round(batch_wer, 3),
        "wer_ratio": round(stream_wer / batch_wer, 2) if batch_wer else None,
        "finals_text": [e.text for e in finals] if args.show else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--audio", type=Path, default=ROOT / "examples" / "meeting.wav")
    parser.add_argument("--reference", type=Path, default=ROOT / "examples" / "meeting.txt")
    parser.add_argument("--language", default=None, help="pin the language (default: detect)")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for the model (0: lt's default, as the peer bench)")
    parser.add_argument("--min-chunk", type=float, default=TranscribeSettings().min_chunk)
    parser.add_argument("--lookahead", type=float, default=TranscribeSettings().lookahead, help="lt transcribe --lookahead")
    parser.add_argument("--context", type=float, default=TranscribeSettings().context, help="lt transcribe --context")
    parser.add_argument("--window", choices=["short", "full"], default="short", help="encoder window of stream decodes")
    parser.add_argument(
        "--lead", type=float, default=0.0,
        help="seconds of silence before the audio: shifts where the decodes fall, as a live start would",
    )
    parser.add_argument("--show", action="store_true", help="print the finals")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pcm = bytes(int(args.lead * BYTES_PER_SECOND) // 2 * 2) + sf.read(args.audio, dtype="int16")[0].tobytes()
    reference = args.reference.read_text().strip()
    results = [measure(name, pcm, reference, args) for name in args.models.split(",")]
    if args.json:
        print(json.dumps({"machine": machine(), "results": results}, indent=2))
        return
    print(f"machine: {machine()}")
    print(f"audio: {args.audio.name}; window {args.window}, beam size {args.beam_size}, min chunk {args.min_chunk} s,"
          f" lookahead {args.lookahead} s, context {args.context} s")
    print("model     stable p50/p95/max   final p50/p95    sentence end p50/p95  partial p50   RTF  finals  1-word  words/final  WER stream/batch (ratio)")
    for r in results:
        st, fi, se, pa = r["stable"], r["final"], r["sentence_end"], r["partial"]
        print(
            f"{r['model']:8}  {st['p50']:5.2f} {st['p95']:5.2f} {st['max']:5.2f}    {fi['p50']:5.2f} {fi['p95']:5.2f}"
            f"     {se['p50'] or 0:5.2f} {se['p95'] or 0:5.2f}          {pa['p50']:5.2f}     {r['rtf']:5.2f} {r['finals']:6d}"
            f"  {r['one_word_finals']:6.1%}  {r['words_per_final']:8.1f}     {r['stream_wer']:.3f}/{r['batch_wer']:.3f}"
            f" ({r['wer_ratio'] if r['wer_ratio'] is not None else '-'})"
        )
        for text in r["finals_text"] or ():
            print("   |", text)
    print("targets (base): stable p50 <= 1.0 s, p95 <= 2.0 s; sentence end p50 <= 2.0, p95 <= 3.0 s; partial p50 <= 0.7 s;"
          " WER ratio <= 1.1; one-word finals < 5 %")


if __name__ == "__main__":
    main()
