"""lt transcribe --mode stream on audio fed at real time: latency, real-time factor, WER.

Computationally aware: the example recording is released in 0.1 s blocks on
the wall clock, as a microphone would deliver it, while the stage decodes, so
the clock keeps running while the model computes. Measured:

- final latency, per word: when its final left the stage minus when the audio
  up to the word's end had arrived (p50, p95);
- partial latency, per partial: when it left minus when the audio up to its
  newest word's end had arrived (p50);
- real-time factor: time spent decoding / audio duration;
- WER of the stream's finals and of batch mode on the same audio and model.

    .venv/bin/python bench/transcribe_stream.py [--models tiny.en,base] [--window short|full] [--beam-size 5]

Targets (DESIGN.md, 2-core CPU, base int8): final p50 <= 2.0 s, p95 <= 3.3 s,
partial p50 <= 1.2 s, keeps up with real time, WER <= 1.1 x batch WER.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import jiwer  # noqa: E402
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from transcribe_batch import machine, normal  # noqa: E402  (bench/ is on the path when run as a script)
from lt.asr.engine import Decoded, Transcriber  # noqa: E402
from lt.asr.stage import Engines, TranscribeSettings, TranscribeStats, load_engines, transcribe  # noqa: E402
from lt.events import TranscriptEvent  # noqa: E402
from lt.latency import percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 3200  # 0.1 s of PCM


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
        delay = began + sent / 32000 - time.time()
        if delay > 0:
            time.sleep(delay)
        yield pcm[sent : sent + BLOCK]


def measure(name: str, pcm: bytes, reference: str, args) -> dict:
    loaded = load_engines(TranscribeSettings(model=name, beam_size=args.beam_size, window=args.window))
    timed = TimedTranscriber(loaded.transcriber)
    engines = Engines(timed, loaded.model, loaded.vad, name)
    timed.transcribe(np.zeros(16000, dtype=np.float32))  # warm up
    timed.seconds = 0.0
    clock: dict = {}
    stats = TranscribeStats()
    settings = TranscribeSettings(
        model=name, mode="stream", beam_size=args.beam_size, min_chunk=args.min_chunk, max_hold=args.max_hold, window=args.window
    )
    events = [e for e in transcribe(paced(pcm, clock), settings, engines, stats) if isinstance(e, TranscriptEvent)]
    finals = [e for e in events if e.final]
    final_lat = [e.t["transcribe"] - (clock["t0"] + w.end) for e in finals for w in e.words]
    partial_lat = [e.t["transcribe"] - e.t["capture"] for e in events if not e.final]
    batch = transcribe([pcm], TranscribeSettings(model=name, mode="batch", beam_size=args.beam_size), engines)
    batch_text = " ".join(e.text for e in batch if isinstance(e, TranscriptEvent))
    stream_wer = jiwer.wer(normal(reference), normal(" ".join(e.text for e in finals)))
    batch_wer = jiwer.wer(normal(reference), normal(batch_text))
    return {
        "model": name,
        "beam_size": args.beam_size,
        "min_chunk": args.min_chunk,
        "window": args.window,
        "max_hold": args.max_hold,
        "finals": len(finals),
        "audio_s": round(stats.audio_seconds, 1),
        "final_p50": round(percentile(final_lat, 50), 2),
        "final_p95": round(percentile(final_lat, 95), 2),
        "partial_p50": round(percentile(partial_lat, 50), 2),
        "rtf": round(timed.seconds / stats.audio_seconds, 3),
        "decodes": stats.decodes,
        "cheap_decodes": stats.cheap_decodes,
        "max_buffer_s": stats.max_buffer,
        "stream_wer": round(stream_wer, 3),
        "batch_wer": round(batch_wer, 3),
        "wer_ratio": round(stream_wer / batch_wer, 2) if batch_wer else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--min-chunk", type=float, default=1.0)
    parser.add_argument("--max-hold", type=float, default=TranscribeSettings().max_hold)
    parser.add_argument("--window", choices=["short", "full"], default="short", help="encoder window of stream decodes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pcm = sf.read(ROOT / "examples" / "meeting.wav", dtype="int16")[0].tobytes()
    reference = (ROOT / "examples" / "meeting.txt").read_text().strip()
    results = [measure(name, pcm, reference, args) for name in args.models.split(",")]
    if args.json:
        print(json.dumps({"machine": machine(), "results": results}, indent=2))
        return
    print(f"machine: {machine()}")
    print(f"window: {args.window}, max hold {args.max_hold} s, beam size {args.beam_size}, min chunk {args.min_chunk} s")
    print("model    final p50  final p95  partial p50   RTF  decodes (cheap)  finals  stream WER  batch WER  ratio")
    for r in results:
        print(
            f"{r['model']:8} {r['final_p50']:8.2f}s {r['final_p95']:9.2f}s {r['partial_p50']:11.2f}s"
            f" {r['rtf']:6.2f} {r['decodes']:7d} ({r['cheap_decodes']:3d}) {r['finals']:7d} {r['stream_wer']:11.3f}"
            f" {r['batch_wer']:10.3f} {r['wer_ratio'] if r['wer_ratio'] is not None else '-':>6}"
        )
    print("targets (base): final p50 <= 2.0 s, p95 <= 3.3 s, partial p50 <= 1.2 s, RTF < 1, WER ratio <= 1.1")


if __name__ == "__main__":
    main()
