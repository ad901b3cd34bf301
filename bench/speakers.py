"""Speaker tracking: DER, confusion, added latency per final, CPU per audio second, memory over an hour.

    .venv/bin/python bench/speakers.py [--conversations 8] [--hour-minutes 60]

The synthetic set: tests/data's two_voices and three_voices plus
`--conversations` more, made here from espeak-ng voices (en+m7, en+f3,
en+klatt4; 2 or 3 speakers, 10 turns, gaps from 0.15 s to 1.5 s), with
Whisper base's word times. The human set: tests/data/speakers/human_call (a
real telephone call, 2 speakers). Each recording is cut into finals the way
`lt transcribe` cuts them (pauses of 0.8 s, sentence ends) and fed to the
online tracker final by final; batch mode diarizes the whole file at once.

- DER (missed + false alarm + confusion) against the reference (the turns,
  cut at the voices' pauses: `Recording.reference`), without and with a
  0.25 s collar. The hypothesis is each word's speaker over Whisper's word
  times, so missed speech and false alarms measure Whisper's word edges;
  confusion is the speaker error itself.
- Added latency per final: the tracker's wall time for each final, against
  the baseline of one bare embedding of the same final (the least any
  speaker labelling can cost).
- CPU per audio second: process CPU time inside the online tracker's calls
  over the audio it labelled.
- Memory: the synthetic finals looped through one tracker until
  `--hour-minutes` of audio went through; RSS per tenth of the run.

Targets (issue 14): DER <= 10 % on the synthetic set, added latency per final
p50 <= 100 ms, flat memory.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
import psutil  # noqa: E402

import speaker_set  # noqa: E402  (bench/ is on the path as a script)
from lt.latency import percentile  # noqa: E402
from lt.speakers import SpeakerSettings, SpeakerTracker, diarize, load_speaker_model  # noqa: E402
from lt.speakers.scoring import Score, score, segments_from_words  # noqa: E402
from machine import describe as machine  # noqa: E402
from speaker_data import HUMAN_CALL, THREE_VOICES, TWO_VOICES, Recording, finals, load, times  # noqa: E402


def generated(count: int) -> list[Recording]:
    if count == 0:
        return []
    rng = random.Random(14)
    model = speaker_set.load_whisper()
    out = []
    for k in range(count):
        turns = speaker_set.conversation(rng, "AB" if k % 2 == 0 else "ABC", 10)
        audio, marks = speaker_set.render(turns)
        words = speaker_set.annotate(speaker_set.word_times(audio, model), marks)
        out.append(Recording(audio, marks, words, synthetic=True))
    return out


def final_audio(rec: Recording, indices: list[int]) -> tuple[np.ndarray, float]:
    start, end = rec.words[indices[0]]["start"], rec.words[indices[-1]]["end"]
    return rec.audio[int(start * 16000):int(end * 16000)], start


def online(embedder, rec: Recording, settings: SpeakerSettings, latencies: list, baseline: list, cpu: list) -> list[str]:
    tracker = SpeakerTracker(embedder, settings)
    labels: list[str] = []
    for indices in finals(rec.words):
        audio, start = final_audio(rec, indices)
        began = time.perf_counter()
        embedder.embed(audio, [(0, len(audio))])
        baseline.append(time.perf_counter() - began)
        began, began_cpu = time.perf_counter(), time.process_time()
        turns = tracker.turns(audio, start, times(rec.words, indices))
        latencies.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        bounds = [t.first_word for t in turns] + [len(indices)]
        for k, turn in enumerate(turns):
            labels += [turn.speaker] * (bounds[k + 1] - bounds[k])
    return labels


def scored(rec: Recording, labels: list[str], collar: float) -> Score:
    reference = rec.reference()
    hypothesis = segments_from_words([(w["start"], w["end"], s) for w, s in zip(rec.words, labels)])
    return score(reference, hypothesis, collar)


def pooled(scores: list[Score]) -> dict[str, float]:
    """Scores over a set, weighted by each recording's scored speech."""
    total = sum(s.scored_seconds for s in scores) or 1.0
    return {k: sum(getattr(s, k) * s.scored_seconds for s in scores) / total for k in ("der", "missed", "false_alarm", "confusion")}


def report_set(name: str, embedder, recordings: list[Recording], settings: SpeakerSettings) -> tuple[list, list, float, float]:
    latencies: list[float] = []
    baseline: list[float] = []
    cpu: list[float] = []
    labels = [online(embedder, rec, settings, latencies, baseline, cpu) for rec in recordings]
    audio = sum(len(r.audio) for r in recordings) / 16000
    batch = [[w.speaker for w in diarize(embedder, r.audio, [(w["start"], w["end"]) for w in r.words], settings)] for r in recordings]
    for mode, per_rec in (("online", labels), ("batch", batch)):
        for collar in (0.0, 0.25):
            p = pooled([scored(r, l, collar) for r, l in zip(recordings, per_rec)])
            print(f"{name:9s} {mode:6s} collar {collar:.2f}: DER {p['der']:6.1%}  confusion {p['confusion']:6.1%}  "
                  f"missed {p['missed']:5.1%}  false alarm {p['false_alarm']:5.1%}")
    return latencies, baseline, sum(cpu), audio


def hour(embedder, recordings: list[Recording], minutes: float) -> None:
    tracker = SpeakerTracker(embedder, SpeakerSettings())
    process = psutil.Process()
    pieces = [(rec, indices) for rec in recordings for indices in finals(rec.words)]
    target, done, offset, samples = minutes * 60, 0.0, 0.0, []
    while done < target:
        for rec, indices in pieces:
            audio, start = final_audio(rec, indices)
            ws = [(s + offset, e + offset) for s, e in times(rec.words, indices)]
            tracker.turns(audio, start + offset, ws)
            done += len(audio) / 16000
            samples.append((done, process.memory_info().rss / 2**20))
            if done >= target:
                break
        offset += sum(len(r.audio) for r in recordings) / 16000
    tenth = [statistics.median(m for t, m in samples if k * target / 10 <= t < (k + 1) * target / 10 + 1e-9) for k in range(10)]
    print(f"memory over {done / 60:.0f} min of audio ({tracker.stats.finals} finals, {len(tracker.speakers)} speakers, "
          f"{len(tracker.merged)} merges): RSS median per tenth " + " ".join(f"{m:.1f}" for m in tenth) + " MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=8, help="espeak-ng conversations made here, beside the committed two")
    parser.add_argument("--hour-minutes", type=float, default=60.0, help="audio minutes for the memory run")
    args = parser.parse_args()
    print(machine())
    embedder = load_speaker_model()
    synthetic = [load(TWO_VOICES), load(THREE_VOICES), *generated(args.conversations)]
    print(f"synthetic set: {len(synthetic)} recordings, {sum(len(r.audio) for r in synthetic) / 16000:.0f} s, "
          f"{sum(len(r.turns) for r in synthetic)} turns")
    latencies, baseline, cpu, audio = report_set("synthetic", embedder, synthetic, SpeakerSettings())
    human_lat, human_base, human_cpu, human_audio = report_set("human", embedder, [load(HUMAN_CALL)], SpeakerSettings())
    everything, bare = latencies + human_lat, baseline + human_base
    print(f"added latency per final ({len(everything)} finals): p50 {percentile(everything, 50) * 1000:.0f} ms, "
          f"p95 {percentile(everything, 95) * 1000:.0f} ms; one bare embedding of the same final p50 "
          f"{percentile(bare, 50) * 1000:.0f} ms (ratio {percentile(everything, 50) / percentile(bare, 50):.2f})")
    print(f"CPU per audio second (online): {(cpu + human_cpu) / (audio + human_audio) * 1000:.1f} ms "
          f"({(audio + human_audio):.0f} s of audio)")
    hour(embedder, synthetic, args.hour_minutes)
    print(machine())


if __name__ == "__main__":
    main()
