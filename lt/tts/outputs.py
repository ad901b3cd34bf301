"""Where the speech goes: a track on audio time, a live player, or events with FLAC files.

Each output takes the speak stage's items one by one (`take`) and is closed once
(`close`), told whether the input ended or was cut short (Ctrl-C, a broken pipe):
a track closed early still gets a valid header; a live player drains what is
waiting only when the input ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from lt.events import AnyEvent
from lt.ndjson import EventWriter
from lt.tts.assemble import Assembler
from lt.tts.engine import Synthesizer
from lt.tts.live import DevicePlayer, SpeechQueue, StdoutPlayer
from lt.tts.speech_files import SpeechFiles
from lt.tts.stage import Spoken, Tail

Item = AnyEvent | Spoken | Tail


class SpeechOutput(Protocol):
    def take(self, item: Item) -> None: ...

    def close(self, finished: bool) -> None: ...


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
