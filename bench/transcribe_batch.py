"""lt transcribe --mode batch vs plain faster-whisper, same file, model and settings, same run.

Baseline: `WhisperModel.transcribe(audio, beam_size=5, word_timestamps=True,
vad_filter=True)`, its segments consumed. lt: the whole stage (PCM bytes in,
events out) in batch mode, which runs faster-whisper's BatchedInferencePipeline.
The two alternate for --rounds rounds and the medians are compared, so load
from other processes hits both alike. WER of each against examples/meeting.txt.

    .venv/bin/python bench/transcribe_batch.py [--models tiny.en,base] [--repeat 3] [--rounds 3]

Target (DESIGN.md): lt / baseline wall time <= 1.15.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from lt.asr.stage import TranscribeSettings, load_engines, transcribe  # noqa: E402
from machine import describe as machine  # noqa: E402  (bench/ is on the path as a script)
from lt.wer import normal, wer  # noqa: E402,F401  (normal: bench/transcribe_stream.py imports it from here)
from lt.events import TranscriptEvent  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def plain(model, audio: np.ndarray) -> str:
    segments, _ = model.transcribe(audio, beam_size=5, word_timestamps=True, vad_filter=True)
    return " ".join(s.text for s in segments)


def staged(engines, pcm: bytes, model: str) -> str:
    chunks = [pcm[i : i + 3200] for i in range(0, len(pcm), 3200)]
    events = transcribe(chunks, TranscribeSettings(model=model, mode="batch", beam_size=5), engines)
    return " ".join(e.text for e in events if isinstance(e, TranscriptEvent))


def measure(name: str, pcm: bytes, reference: str, rounds: int) -> dict:
    engines = load_engines(TranscribeSettings(model=name))
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    plain(engines.model, audio[: 16000 * 5])  # warm up both paths once
    times: dict[str, list[float]] = {"plain": [], "lt": []}
    texts = {}
    for _ in range(rounds):
        for label, call in (("plain", lambda: plain(engines.model, audio)), ("lt", lambda: staged(engines, pcm, name))):
            began = time.perf_counter()
            texts[label] = call()
            times[label].append(time.perf_counter() - began)
    seconds = len(audio) / 16000
    plain_s, lt_s = statistics.median(times["plain"]), statistics.median(times["lt"])
    return {
        "model": name,
        "audio_s": round(seconds, 1),
        "plain_s": round(plain_s, 2),
        "lt_s": round(lt_s, 2),
        "ratio": round(lt_s / plain_s, 3),
        "plain_rtf": round(plain_s / seconds, 3),
        "lt_rtf": round(lt_s / seconds, 3),
        "plain_wer": round(wer(reference, texts["plain"]), 3),
        "lt_wer": round(wer(reference, texts["lt"]), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--repeat", type=int, default=3, help="the example recording this many times over")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pcm = sf.read(ROOT / "examples" / "meeting.wav", dtype="int16")[0].tobytes() * args.repeat
    reference = " ".join([(ROOT / "examples" / "meeting.txt").read_text().strip()] * args.repeat)
    results = [measure(name, pcm, reference, args.rounds) for name in args.models.split(",")]
    if args.json:
        print(json.dumps({"machine": machine(), "results": results}, indent=2))
        return
    print(f"machine: {machine()}")
    print(f"{'model':8} {'audio':>6} {'plain':>7} {'lt':>7} {'ratio':>6} {'plain WER':>9} {'lt WER':>7}  (target ratio <= 1.15)")
    for r in results:
        print(
            f"{r['model']:8} {r['audio_s']:5.1f}s {r['plain_s']:6.2f}s {r['lt_s']:6.2f}s {r['ratio']:6.3f}"
            f" {r['plain_wer']:9.3f} {r['lt_wer']:7.3f}"
        )


if __name__ == "__main__":
    main()
