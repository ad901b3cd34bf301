"""WhisperLiveKit, lt's streaming peer, on audio fed at real time: word latency, WER, real-time factor.

The peer runs as its server runs a session (TranscriptionEngine + AudioProcessor,
PCM input, its Silero VAC on, language detected), on the same CTranslate2 model
directory lt bundles, on as many threads as lt transcribe by default (`--threads`,
default half the cores; OMP_NUM_THREADS sets CTranslate2's), compute type "auto"
(int8_float32 on this CPU, what lt's int8 gives), and min chunk 1 s. Two policies:

- localagreement: whisper_streaming's LocalAgreement on faster-whisper, beam 5
  (its default, and lt's); ASR deferred until 1 s of new audio has accrued
  (its --asr-coalesce-min-s, the counterpart of lt's --min-chunk).
- simulstreaming: its AlignAtt policy, the encoder on faster-whisper (the same
  CTranslate2 directory) and the decoder in PyTorch (torch on the same threads), greedy
  (its default, --beams 1), segment length 1 s. Its decoder needs PyTorch
  weights and no registry here ships Whisper that way, so ct2_whisper.py lays
  the CTranslate2 weights out again as an openai-whisper checkpoint (in a
  temporary directory), with the model's alignment heads from its config.json.

Computationally aware, as bench/transcribe_stream.py feeds lt: 0.1 s blocks,
block i released at wall time t0 + 0.1 i, whatever the model is doing. Every
update the peer sends (its FrontData: committed `lines` with their word tokens,
and the tentative `buffer_transcription`) is stamped on arrival. Per word the
peer commits: its audio end (the peer's own word timestamp), the wall time it
was first sent committed, and the wall time it was first shown right: the first
update whose text (committed, then tentative), normalised, begins with the final
text up to and including that word.
Latency is bench/stream_metrics.py's: wall time shown - (t0 + word audio end).
The peer has no separate "final": a committed word is final.

Offline (HF_HUB_OFFLINE=1): the models are local directories; the VAC model is
the ONNX Silero VAD inside the whisperlivekit wheel (no torch.hub); its warm-up
would download whisper.cpp's jfk.wav, so it is given a local file of 1 s of
silence instead. Nothing is fetched at run time.

    .venv/bin/pip install -e '.[all,test,bench]'
    .venv/bin/python bench/peer_stream.py [--models base,tiny.en] [--clips meeting,human]
        [--policies localagreement,simulstreaming] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from lt.threads import default_threads, one_blas_thread  # noqa: E402

one_blas_thread()  # the same for the peer as for lt, before numpy loads

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from machine import describe as machine  # noqa: E402  (bench/ is on the path as a script)
from stream_metrics import latency, normal, spread, wer  # noqa: E402
from lt.pcm import BYTES_PER_SECOND, LIVE_BLOCK_SECONDS, SAMPLE_RATE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BLOCK = int(LIVE_BLOCK_SECONDS * BYTES_PER_SECOND)
CLIPS = {
    "meeting": (ROOT / "examples" / "meeting.wav", ROOT / "examples" / "meeting.txt"),
    "human": (ROOT / "tests" / "data" / "human" / "english.wav", ROOT / "tests" / "data" / "human" / "english.txt"),
}

POLICIES = ("localagreement", "simulstreaming")


@dataclass
class PeerWord:
    text: str
    audio_end: float
    committed_wall: float
    shown_wall: float


@dataclass
class PeerRun:
    t0: float
    words: list[PeerWord]
    text: str
    decode_seconds: float
    decodes: int
    last_update_wall: float


def load_peer(model: str, policy: str, min_chunk: float, threads: int, scratch: Path):
    """A WhisperLiveKit engine on lt's model directory: LocalAgreement on faster-whisper, or SimulStreaming."""
    import torch
    import whisperlivekit.audio_processor  # noqa: F401  (configures DEBUG logging when imported)
    from whisperlivekit.core import TranscriptionEngine

    from ct2_whisper import alignment_heads, openai_checkpoint
    from lt.asr.models import resolve_model

    torch.set_num_threads(threads)
    path = Path(resolve_model(model).path)
    silence = scratch / "silence.wav"  # its warm-up file, instead of the jfk.wav it would download
    sf.write(silence, np.zeros(SAMPLE_RATE, dtype=np.int16), SAMPLE_RATE)
    common = dict(
        lan="auto", min_chunk_size=min_chunk, warmup_file=str(silence), pcm_input=True, vac=True,
        diarization=False, log_level="WARNING",
    )
    TranscriptionEngine.reset()  # a process-wide singleton: one per model and policy
    if policy == "localagreement":
        engine = TranscriptionEngine(
            backend="faster-whisper", backend_policy="localagreement", model_dir=str(path),
            asr_coalesce_min_s=min_chunk, **common,
        )
    else:
        checkpoint = openai_checkpoint(path)
        decoder = scratch / model  # its name tells it whether the model is English-only (.en)
        decoder.mkdir(exist_ok=True)
        torch.save(checkpoint, decoder / "model.pt")
        engine = TranscriptionEngine(
            backend="faster-whisper", backend_policy="simulstreaming", model_size=model,
            decoder_model_path=str(decoder), encoder_model_path=str(path),
            custom_alignment_heads=alignment_heads(path, checkpoint["dims"]), **common,
        )
    for name in list(logging.root.manager.loggerDict):
        if name.startswith(("whisperlivekit", "faster_whisper")):
            logging.getLogger(name).setLevel(logging.ERROR)
    return engine


async def feed_and_watch(engine, pcm: bytes) -> tuple[float, list, object]:
    """Release pcm in 0.1 s blocks on the wall clock; return t0, every update stamped, the peer's metrics."""
    from whisperlivekit.audio_processor import AudioProcessor

    processor = AudioProcessor(transcription_engine=engine, pcm_input=True)
    updates = await processor.create_tasks()
    seen: list = []

    async def watch() -> None:
        async for front in updates:
            seen.append((time.time(), front))

    watcher = asyncio.create_task(watch())
    t0 = time.time()
    for sent in range(0, len(pcm), BLOCK):
        delay = t0 + (sent + BLOCK) / BYTES_PER_SECOND - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await processor.process_audio(pcm[sent : sent + BLOCK])
    await processor.process_audio(b"")  # end of stream: the peer flushes its tentative tail
    await watcher
    await processor.cleanup()
    return t0, seen, processor.metrics


def committed_tokens(front) -> list:
    return [tok for line in front.lines if not line.is_silence() and line.tokens for tok in line.tokens]


def words_of(t0: float, seen: list, metrics) -> PeerRun:
    final = committed_tokens(seen[-1][1])
    prefixes = [normal("".join(tok.text for tok in final[: i + 1])) for i in range(len(final))]
    committed_at: list[float] = []
    shown_at: list[float | None] = [None] * len(final)
    for wall, front in seen:
        tokens = committed_tokens(front)
        committed_at.extend([wall] * (len(tokens) - len(committed_at)))
        shown = normal("".join(tok.text for tok in tokens) + " " + front.buffer_transcription) + " "
        for i, prefix in enumerate(prefixes):
            if shown_at[i] is None and shown.startswith(prefix + " "):
                shown_at[i] = wall
    words = [
        PeerWord(tok.text.strip(), tok.end, committed_at[i], min(shown_at[i] or committed_at[i], committed_at[i]))
        for i, tok in enumerate(final)
    ]
    text = "".join(tok.text for tok in final)
    return PeerRun(t0, words, text, sum(metrics.transcription_durations), metrics.n_transcription_calls, seen[-1][0])


def measure(clip: str, model: str, policy: str, args) -> dict:
    wav, txt = CLIPS[clip]
    audio, rate = sf.read(wav, dtype="int16")
    assert rate == SAMPLE_RATE and audio.ndim == 1, f"{wav}: want 16 kHz mono"
    seconds = len(audio) / rate
    row = {"clip": clip, "model": model, "policy": policy, "audio_s": round(seconds, 1)}
    with tempfile.TemporaryDirectory() as scratch:
        engine = load_peer(model, policy, args.min_chunk, args.threads, Path(scratch))
        t0, seen, metrics = asyncio.run(feed_and_watch(engine, audio.tobytes()))
    run = words_of(t0, seen, metrics)
    triples = [(w.audio_end, w.committed_wall, w.committed_wall) for w in run.words]
    committed = latency(triples, run.t0, "committed")
    shown = spread([w.shown_wall - (run.t0 + w.audio_end) for w in run.words])
    return {
        **row,
        "words": committed["n"],
        "committed_p50": round(committed["p50"], 2),
        "committed_p95": round(committed["p95"], 2),
        "committed_max": round(committed["max"], 2),
        "shown_p50": round(shown["p50"], 2),
        "shown_p95": round(shown["p95"], 2),
        "shown_max": round(shown["max"], 2),
        "wer": round(wer(txt.read_text(encoding="utf-8"), run.text), 3),
        "rtf": round(run.decode_seconds / seconds, 3),
        "decodes": run.decodes,
        "tail_s": round(run.last_update_wall - (run.t0 + seconds), 2),
        "text": run.text.strip(),
        "per_word": [
            {"w": w.text, "end": round(w.audio_end, 2), "committed": round(w.committed_wall - run.t0, 2),
             "shown": round(w.shown_wall - run.t0, 2)}
            for w in run.words
        ],
    }


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="base,tiny.en")
    parser.add_argument("--clips", default="meeting,human", help=f"comma-separated, of: {', '.join(CLIPS)}")
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--min-chunk", type=float, default=1.0, help="seconds of new audio before the peer decodes")
    parser.add_argument("--threads", type=int, default=default_threads(), help="CPU threads (default: lt transcribe's)")
    parser.add_argument("--json", action="store_true", help="everything, with each word's times (seconds from t0)")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read when the peer first loads CTranslate2
    for given, known in ((args.clips, CLIPS), (args.policies, POLICIES)):
        if unknown := set(given.split(",")) - set(known):
            parser.error(f"unknown {', '.join(sorted(unknown))}; known: {', '.join(known)}")
    before = uptime()
    results = [
        measure(clip, model, policy, args)
        for clip in args.clips.split(",")
        for model in args.models.split(",")
        for policy in args.policies.split(",")
    ]
    load = {"machine": machine(), "threads": args.threads, "uptime_before": before, "uptime_after": uptime()}
    if args.json:
        print(json.dumps({**load, "results": results}, indent=2, ensure_ascii=False))
        return
    print(f"machine: {load['machine']}\nuptime before: {before}\nuptime after:  {load['uptime_after']}")
    print(f"WhisperLiveKit, {args.threads} threads, int8, min chunk {args.min_chunk} s; latency = wall shown - (t0 + word end)")
    print("clip     model    policy           words  committed p50   p95   max   shown p50   p95   max    WER    RTF  decodes  tail")
    for r in results:
        print(
            f"{r['clip']:8} {r['model']:8} {r['policy']:16} {r['words']:5d} {r['committed_p50']:12.2f}s"
            f" {r['committed_p95']:5.2f}s {r['committed_max']:5.2f}s {r['shown_p50']:9.2f}s {r['shown_p95']:5.2f}s"
            f" {r['shown_max']:5.2f}s {r['wer']:6.3f} {r['rtf']:6.2f} {r['decodes']:7d} {r['tail_s']:5.2f}s"
        )


if __name__ == "__main__":
    main()
