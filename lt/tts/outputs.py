"""Where the speech goes: a track on audio time, a live player, or events with FLAC files.

Each output takes the speak stage's items one by one (`take`) and is closed once
(`close`), told whether the input ended or was cut short (Ctrl-C, a broken pipe):
a track closed early still gets a valid header; a live player drains what is
waiting only when the input ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lt.events import AnyEvent
from lt.home import lt_home
from lt.ndjson import EventWriter
from lt.tts.assemble import Assembler, Original, audio_stdout, open_track
from lt.tts.engine import Synthesizer
from lt.tts.live import DevicePlayer, SpeechQueue, StdoutPlayer
from lt.tts.speech_files import SpeechFiles
from lt.tts.stage import SpeakStats, Spoken, Tail
from lt.tts.timing import TimingSettings

Item = AnyEvent | Spoken | Tail


class SpeechOutput(Protocol):
    def take(self, item: Item) -> None: ...

    def close(self, finished: bool) -> None: ...


@dataclass(frozen=True)
class OutputSettings:
    events: bool = False  # NDJSON with audio events, FLAC files in audio_dir (default LT_HOME/speech)
    audio_dir: Path | None = None
    live: bool = False
    device: bool = False  # live, on a sound device (else real-time PCM on stdout)
    device_name: str | None = None
    out: str | None = None  # the track's file; None: stdout
    duck: str | None = None  # the original recording, mixed under the track
    duck_db: float = 18.0
    max_delay: float = 5.0
    timing: TimingSettings = TimingSettings()


def open_output(settings: OutputSettings, synth: Synthesizer, stats: SpeakStats) -> SpeechOutput:
    """Opens files and devices now, so a bad path or a missing device fails before any input is read."""
    if settings.events:
        return EventsOutput(settings.audio_dir or lt_home() / "speech", synth)
    if not settings.live:
        original = Original(settings.duck) if settings.duck else None
        return TrackOutput(Assembler(open_track(settings.out), original, settings.duck_db, stats))
    queue = SpeechQueue(settings.max_delay, settings.timing.max_speedup, stats, settings.timing.gap)
    player = DevicePlayer(queue, settings.device_name) if settings.device else StdoutPlayer(queue, audio_stdout())
    return LiveOutput(queue, player)


def drive(items: Iterable[Item], output: SpeechOutput) -> None:
    finished = False
    try:
        for item in items:
            output.take(item)
        finished = True
    finally:
        output.close(finished)


class TrackOutput:
    def __init__(self, assembler: Assembler):
        self.assembler = assembler
        self.done = False

    def take(self, item: Item) -> None:
        if isinstance(item, Spoken):
            self.assembler.add(item)
        elif isinstance(item, Tail):
            self.assembler.finish(item.end)
            self.done = True

    def close(self, finished: bool) -> None:
        if not self.done:
            self.assembler.out.close()


class LiveOutput:
    def __init__(self, queue: SpeechQueue, player: StdoutPlayer | DevicePlayer):
        self.queue = queue
        self.player = player

    def take(self, item: Item) -> None:
        self.player.check()  # a reader gone away stops the stage now, not at the end
        if isinstance(item, Spoken):
            self.queue.push(item)

    def close(self, finished: bool) -> None:
        self.player.close(drain=finished)


class EventsOutput:
    def __init__(self, directory: Path, synth: Synthesizer, writer: EventWriter | None = None):
        self.files = SpeechFiles(directory, synth)
        self.writer = writer or EventWriter()

    def take(self, item: Item) -> None:
        if isinstance(item, Spoken):
            self.writer.write(self.files.event(item))
        elif not isinstance(item, Tail):
            self.writer.write(item)

    def close(self, finished: bool) -> None:
        pass
