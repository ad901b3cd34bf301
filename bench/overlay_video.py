"""CPU that `lt overlay --sink video` spends per second of video, against the sink as it was, in the same run.

The demo ends in the video sink, which runs beside the transcriber. On a
machine whose cores are taken by other work, every cycle the encoder takes is
one the transcriber lacks, and its captions come later.

Both sinks get the same frames: lt's renderer drawing captions that change five
times a second (`overlay_fps.py`'s events) on a still background at 30 fps, on the
events clock, with the example recording muxed in. The baseline is the sink
before 2026-12-07: every frame converted from RGB again, x264 `veryfast` on as
many threads as it likes, and the 16 kHz mono recording encoded as 48 kHz
stereo (given here as a 48 kHz stereo copy, so its resampling is not counted).
The two alternate, `--rounds` times each.

    .venv/bin/python bench/overlay_video.py [--seconds 30] [--size 1280x720] [--rounds 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from machine import describe as machine  # noqa: E402  (bench/ is on the path when run as a script)
from overlay_fps import CHANGES_PER_SECOND, caption_events  # noqa: E402
from lt.overlay.clock import ClockKind  # noqa: E402
from lt.overlay.sinks import Pictures, SinkKind, SinkSettings, VideoSink  # noqa: E402
from lt.overlay.stage import OverlaySettings, run_overlay  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


class BaselineSink(VideoSink):
    """The video sink's former settings: conversion on every frame, `veryfast`, x264's own threads."""

    def __init__(self, settings: SinkSettings):
        super().__init__(settings)
        self.stream.options = {"preset": "veryfast"}
        self.stream.codec_context.thread_count = 0

    def write(self, frame: np.ndarray, index: int) -> None:
        self.pictures = Pictures()
        super().write(frame, index)


def measure(sink_class, settings: SinkSettings, seconds: float) -> dict:
    overlay = OverlaySettings(size=settings.size, fps=settings.fps, clock=ClockKind.events, until=seconds)
    events = caption_events(int(seconds * CHANGES_PER_SECOND), paced=False)
    cpu = time.process_time()  # process time counts the encoder's threads too
    sink = sink_class(settings)
    try:
        stats = run_overlay(events, overlay, sink)
    finally:
        sink.close()
    cpu = time.process_time() - cpu
    return {"cpu_per_second": cpu / stats.seconds, "bytes": Path(settings.out).stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of video per run")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--audio", type=Path, default=ROOT / "examples" / "meeting.wav")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        audio, rate = sf.read(args.audio, dtype="float32")
        wide = Path(tmp) / "wide.wav"
        stretched = np.interp(np.arange(0, len(audio), rate / 48000), np.arange(len(audio)), audio)
        sf.write(wide, np.stack([stretched, stretched], axis=1), 48000)
        runs = {"lt": (VideoSink, args.audio), "baseline": (BaselineSink, wide)}
        results: dict[str, list[dict]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, (sink_class, track) in runs.items():
                settings = SinkSettings(SinkKind.video, size, 30.0, out=str(Path(tmp) / f"{name}.mp4"), audio=str(track))
                results[name].append(measure(sink_class, settings, args.seconds))
    print(f"machine: {machine()}")
    print(f"{size[0]}x{size[1]} at 30 fps, captions changing {CHANGES_PER_SECOND}x a second, {args.seconds:.0f} s of video "
          f"with {args.audio.name} muxed in; cpu = CPU seconds per second of video (1.0 = a whole core)")
    for name, rows in results.items():
        cpu = ", ".join(f"{r['cpu_per_second']:.3f}" for r in rows)
        print(f"  {name:8}  cpu {cpu}; {rows[-1]['bytes'] / args.seconds / 1000:.0f} kB per second of video")
    best = {name: min(r["cpu_per_second"] for r in rows) for name, rows in results.items()}
    print(f"  ratio     {best['baseline'] / best['lt']:.1f}x less CPU (best run of each)")


if __name__ == "__main__":
    main()
