"""The streaming policy replayed deterministically: what live decodes landing at other places give.

A live run decodes wherever the clock lands, so two runs on the same audio can
come out differently and one run says little about a change to the policy.
This replays the recording through lt's StreamingPolicy with one decode every
`--step` seconds of audio (live, a decode takes the audio that arrived while
the last one ran, at least `lt transcribe --min-chunk`, 0.3 s: a base decode
took 0.33 s on the 2-core AMD EPYC here, 0.3 s on an Intel Xeon) from each of
several starting offsets (by default six, 0.05 s apart across one step), with
the real model and VAD and no clock: the same offset gives the same output
every time, so two versions of the policy compare word for word.

    .venv/bin/python bench/stream_offsets.py [--model base] [--audio FILE --reference TEXT] [--show]
        [--lookahead 0.2,0.6,1.0] [--context 5] [--beam-size 5]

`--lookahead` takes several values to sweep `lt transcribe --lookahead` (the
audio a decode must have heard past a word before agreement commits it): the
trade between stable latency and WER, each value from the same offsets.
`--beam-size` sets the stream's beam width; batch mode, the baseline, keeps
its default (5).

Per offset: finals, how many of them end a sentence, one-word finals and the
WER of the finals; batch mode's WER on the same audio and model is the
baseline (the ratio is the issue's target: <= 1.1). Also each word's stable
latency in audio time: when the decode that committed it had heard up to,
plus one step for that decode to run (a live decoder that just keeps up),
minus the word's end; `bench/transcribe_stream.py` measures it on the clock.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import soundfile as sf  # noqa: E402

from machine import describe as machine  # noqa: E402  (bench/ is on the path when run as a script)
from stream_metrics import normal, wer  # noqa: E402
from lt.asr.hypothesis import Phrase  # noqa: E402
from lt.asr.stage import TranscribeSettings, load_engines, transcribe  # noqa: E402
from lt.asr.streaming import StreamingPolicy  # noqa: E402
from lt.captions import ends_sentence  # noqa: E402
from lt.events import TranscriptEvent  # noqa: E402
from lt.latency import percentile  # noqa: E402
from lt.pcm import SAMPLE_RATE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def replay(audio, engines, settings: TranscribeSettings, step: float, offset: float) -> list[Phrase]:
    """The finals, the audio fed in `step`-second blocks after a first block of `offset` s."""
    policy = StreamingPolicy(engines.transcriber, engines.vad, settings.stream_settings)
    first, size = int(offset * SAMPLE_RATE), int(step * SAMPLE_RATE)
    cuts = [c for c in [first, *range(first + size, len(audio), size), len(audio)] if c > 0]
    finals, fed = [], 0
    for cut in cuts:
        policy.insert_audio_chunk(audio[fed:cut])
        fed = cut
        finals += policy.process_iter().finals
    return finals + list(policy.finish().finals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--audio", type=Path, default=ROOT / "examples" / "meeting.wav")
    parser.add_argument("--reference", type=Path, default=ROOT / "examples" / "meeting.txt")
    parser.add_argument("--step", type=float, default=TranscribeSettings().min_chunk, help="seconds of audio per decode")
    parser.add_argument("--offsets", default="0,0.05,0.1,0.15,0.2,0.25", help="first-block lengths, seconds")
    parser.add_argument("--lookahead", default=str(TranscribeSettings().lookahead), help="seconds; a comma list sweeps them")
    parser.add_argument("--context", type=float, default=TranscribeSettings().context, help="lt transcribe --context")
    parser.add_argument("--beam-size", type=int, default=TranscribeSettings().beam_size, help="lt transcribe --beam-size (batch mode keeps its default)")
    parser.add_argument("--show", action="store_true", help="print the finals")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    audio = sf.read(args.audio, dtype="float32")[0]
    reference = args.reference.read_text().strip()
    engines = load_engines(TranscribeSettings(model=args.model, beam_size=args.beam_size))  # the stream's; batch mode takes its own
    pcm = sf.read(args.audio, dtype="int16")[0].tobytes()
    batch = [e.text for e in transcribe([pcm], TranscribeSettings(model=args.model, mode="batch"), engines) if isinstance(e, TranscriptEvent)]
    batch_wer = wer(reference, " ".join(batch))
    results = []
    runs = [(float(look), float(offset)) for look in args.lookahead.split(",") for offset in args.offsets.split(",")]
    for lookahead, offset in runs:
        settings = TranscribeSettings(model=args.model, lookahead=lookahead, context=args.context)
        phrases = replay(audio, engines, settings, args.step, offset)
        finals = [f.text for f in phrases]
        stable = [w.committed_at + args.step - w.end for f in phrases for w in f.words]
        stream_wer = wer(reference, " ".join(finals))
        results.append({
            "lookahead": lookahead,
            "offset": offset,
            "finals": len(finals),
            "sentence_finals": sum(ends_sentence(f.split()[-1]) for f in finals if f.split()),
            "one_word_finals": sum(len(normal(f).split()) == 1 for f in finals),
            "stream_wer": round(stream_wer, 3),
            "wer_ratio": round(stream_wer / batch_wer, 2) if batch_wer else None,
            "stable_p50": round(percentile(stable, 50), 2),
            "stable_p95": round(percentile(stable, 95), 2),
            "finals_text": finals if args.show else None,
        })
    if args.json:
        print(json.dumps({"machine": machine(), "batch_wer": round(batch_wer, 3), "results": results}, indent=2))
        return
    print(f"machine: {machine()}")
    print(f"audio: {args.audio.name}; model {args.model}; a decode every {args.step} s of audio; batch WER {batch_wer:.3f}")
    print("lookahead  offset  finals  ending a sentence  one-word  WER stream (ratio to batch)  stable p50/p95")
    for r in results:
        print(f"{r['lookahead']:9.2f}  {r['offset']:6.2f}  {r['finals']:6d}  {r['sentence_finals']:17d}  {r['one_word_finals']:8d}  "
              f"{r['stream_wer']:.3f} ({r['wer_ratio'] if r['wer_ratio'] is not None else '-'})"
              f"{'':18s}{r['stable_p50']:.2f} {r['stable_p95']:.2f}")
        for text in r["finals_text"] or ():
            print("   |", text)


if __name__ == "__main__":
    main()
