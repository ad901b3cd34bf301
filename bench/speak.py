"""lt speak: real-time factor per engine, latency added from a translation to its first sample,
and intelligibility of the dub read back by lt's own Whisper.

    .venv/bin/python bench/speak.py [--model base] [--audio examples/meeting.wav] [--latency-captions 8]

1. Events: `lt capture AUDIO | lt transcribe --model M | lt translate --to pt`, once.
2. Real-time factor: each engine speaks every caption of its language through
   lt's Synthesizer; the baseline, in the same run, is the bare engine (Piper's
   own `PiperVoice.synthesize`, the plain `espeak-ng --stdout` program) on the
   same texts. RTF = synthesis seconds / seconds of speech; ratio = lt / bare.
3. Latency: `lt speak --clock live` as a process; each caption is written to
   its stdin at its `end` on the recording's clock (when a live pipeline would
   have its final). Added latency = the caption read -> its first sample handed
   to the player (the stage's own measure, from its summary line; the pipe adds
   at most one 0.1 s block). It includes any wait behind the caption before,
   when that one's speech runs longer. Baseline: the bare engine's synthesis
   time per caption (median), from step 2.
4. Intelligibility: `lt speak --lang L` writes the dub track of the whole
   recording; lt transcribe (batch, --language L, the same Whisper model) reads
   it back, and WER is against the text that was spoken. Also per caption (each
   caption's speech from `lt speak --events` transcribed alone), which keeps one
   misheard caption from derailing Whisper's reading of the next.

Targets (issue 16): WER <= 0.15 for Piper English; espeak-ng Portuguese reported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import soundfile as sf  # noqa: E402

from chain import Chain  # noqa: E402
from machine import describe  # noqa: E402

from lt.pcm import SAMPLE_RATE  # noqa: E402
from lt.wer import wer  # noqa: E402
from lt.tts.choose import choose_engine  # noqa: E402
from lt.tts.engine import EngineKind  # noqa: E402

LT = [sys.executable, "-m", "lt"]
ENGINES = (("en", EngineKind.piper), ("en", EngineKind.espeak), ("pt", EngineKind.espeak))


def front_events(audio: str, model: str, work: Path) -> list[dict]:
    out = work / "events.ndjson"
    chain = Chain(["capture", audio], ["transcribe", "--model", model, "--mode", "batch"], ["translate", "--to", "pt"], stdout_path=out)
    if chain.start().wait(timeout=1800) != [0, 0, 0]:
        sys.exit("\n".join(stage.stderr()[-800:] for stage in chain.stages))
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def texts_in(events: list[dict], lang: str) -> list[str]:
    if lang == "en":
        return [e["text"] for e in events if e["type"] == "transcript" and e["final"]]
    return [e["text"] for e in events if e["type"] == "translation" and e["target_lang"] == lang]


def bare(lang: str, kind: EngineKind):
    """The engine as its authors ship it, with no lt around it: the baseline."""
    if kind is EngineKind.piper:
        from piper import PiperVoice

        from lt.tts.voices import find_piper_voice

        voice = PiperVoice.load(find_piper_voice(lang).model)
        return lambda text: [chunk.audio_float_array for chunk in voice.synthesize(text)]
    return lambda text: subprocess.run(["espeak-ng", "-v", lang, "--stdout"], input=text.encode(), capture_output=True, check=True).stdout


def rtf(texts: list[str], lang: str, kind: EngineKind) -> dict:
    synth, plain = choose_engine(lang, kind), bare(lang, kind)
    synth.synthesize(texts[0]), plain(texts[0])  # warm up both
    times: dict[str, list[float]] = {"lt": [], "bare": []}
    speech = 0.0
    for text in texts:
        began = time.perf_counter()
        speech += len(synth.synthesize(text)) / SAMPLE_RATE
        times["lt"].append(time.perf_counter() - began)
        began = time.perf_counter()
        plain(text)
        times["bare"].append(time.perf_counter() - began)
    lt_s, bare_s = sum(times["lt"]), sum(times["bare"])
    return {
        "engine": f"{synth.engine} {synth.voice} ({lang})", "speech_s": round(speech, 1),
        "rtf": round(lt_s / speech, 3), "bare_rtf": round(bare_s / speech, 3), "ratio": round(lt_s / bare_s, 2),
        "bare_p50_s": statistics.median(times["bare"]),
    }


def live_latency(events: list[dict], lang: str, kind: EngineKind, captions: int) -> dict:
    """Captions written to `lt speak --clock live` at their end on the recording's clock; its own
    measure of each caption read -> first sample handed to the player, from its summary line."""
    wanted = [e for e in events if (lang == "en" and e["type"] == "transcript" and e["final"])
              or (e["type"] == "translation" and e["target_lang"] == lang)][:captions]
    proc = subprocess.Popen([*LT, "speak", "--lang", lang, "--engine", kind.value, "--clock", "live", "--max-delay", "30"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(8.0)  # the engine loads; no caption must wait for that
    began = time.monotonic() - wanted[0]["end"]
    for event in wanted:
        time.sleep(max(0.0, began + event["end"] - time.monotonic()))
        proc.stdin.write((json.dumps(event) + "\n").encode())
        proc.stdin.flush()
    proc.stdin.close()
    summary = proc.stderr.read().decode().strip().splitlines()[-1]
    proc.wait(timeout=120)
    found = re.search(r"read to first sample p50 ([\d.]+) s, p95 ([\d.]+) s", summary)
    return {"captions": len(wanted), "p50_s": float(found[1]), "p95_s": float(found[2]), "summary": summary}


class Reader:
    """lt's own Whisper (the transcribe stage, batch mode), loaded once per language."""

    def __init__(self, model: str, lang: str):
        from lt.asr.stage import TranscribeSettings, load_engines

        self.settings = TranscribeSettings(model=model, mode="batch", language=lang, partials=False)
        self.engines = load_engines(self.settings)

    def __call__(self, track: bytes) -> str:
        from lt.asr.stage import transcribe
        from lt.events import TranscriptEvent

        chunks = [track[i : i + 3200] for i in range(0, len(track), 3200)]
        return " ".join(e.text for e in transcribe(chunks, self.settings, self.engines) if isinstance(e, TranscriptEvent) and e.final)


def intelligibility(events: list[dict], lang: str, kind: EngineKind, model: str, work: Path) -> dict:
    stream = "".join(json.dumps(e) + "\n" for e in events).encode()
    args = ["speak", "--lang", lang, "--engine", kind.value]
    track = subprocess.run([*LT, *args], input=stream, capture_output=True, check=True)
    said = " ".join(texts_in(events, lang))
    read_back = Reader(model, lang)
    whole = wer(said, read_back(track.stdout))
    chunks = subprocess.run([*LT, *args, "--events", "--audio-dir", str(work / f"{lang}-{kind.value}")], input=stream, capture_output=True, check=True)
    audio_events = [json.loads(line) for line in chunks.stdout.decode().splitlines() if '"type":"audio"' in line]
    per_caption = []
    for event in audio_events:
        samples, _ = sf.read(event["path"], dtype="int16")
        per_caption.append(read_back(samples.tobytes()))
    per = wer(" ".join(e["text"] for e in audio_events), " ".join(per_caption))
    summary = track.stderr.decode().strip().splitlines()[-1]
    return {"engine": kind.value, "lang": lang, "wer_track": round(whole, 3), "wer_per_caption": round(per, 3),
            "track_s": round(len(track.stdout) / 32000, 2), "speak": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base", help="Whisper model for the transcript and the read-back")
    parser.add_argument("--audio", default=str(ROOT / "examples" / "meeting.wav"))
    parser.add_argument("--latency-captions", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lt-bench-speak-"))
    print(f"machine: {describe()}")
    events = front_events(args.audio, args.model, work)
    print(f"{args.audio}: {len(texts_in(events, 'en'))} English finals, {len(texts_in(events, 'pt'))} Portuguese translations (Whisper {args.model})")

    print("\nreal-time factor (synthesis s / speech s), lt vs the bare engine on the same captions")
    bare_p50 = {}
    for lang, kind in ENGINES:
        r = rtf(texts_in(events, lang), lang, kind)
        bare_p50[(lang, kind)] = r["bare_p50_s"]
        print(f"  {r['engine']:<36} {r['speech_s']:6.1f} s of speech  RTF {r['rtf']:.3f}  bare {r['bare_rtf']:.3f}  ratio {r['ratio']:.2f}")

    print("\nadded latency, caption read (written at its end on the recording's clock) -> its first sample to the player, `lt speak --clock live`")
    for lang, kind in ENGINES:
        r = live_latency(events, lang, kind, args.latency_captions)
        print(f"  {kind.value:<10} {lang}: p50 {r['p50_s']:.2f} s  p95 {r['p95_s']:.2f} s  ({r['captions']} captions);"
              f" bare synthesis p50 {bare_p50[(lang, kind)]:.3f} s, ratio {r['p50_s'] / bare_p50[(lang, kind)]:.1f}")
        print(f"    {r['summary']}")

    print(f"\nintelligibility: the dub track read back by Whisper {args.model}, WER against the text spoken")
    for lang, kind in ENGINES:
        r = intelligibility(events, lang, kind, args.model, work)
        target = "  (target <= 0.15: " + ("met" if r["wer_track"] <= 0.15 else "NOT met") + ")" if kind is EngineKind.piper else ""
        print(f"  {kind.value:<10} {lang}: whole track WER {r['wer_track']:.3f}, caption by caption {r['wer_per_caption']:.3f}; track {r['track_s']} s{target}")
        print(f"    {r['speak']}")
    print(f"\nfiles: {work}")


if __name__ == "__main__":
    main()
