"""The two ways frames are timed.

- live: frames go out at a steady rate by the wall clock. Events are read on a
  thread (lt.readahead.ReadAhead) and applied between frames, never more
  than until the next frame is due, so a burst of events cannot stall the
  frame loop; new caption text is drawn while the loop waits for the next
  frame, not when the frame is due. A frame that could not be made in time
  is dropped, and the next one is timed as if it had been made.
- events: frame times are the events' audio time (`start`), and frames are
  made as fast as possible, so a file or a replay becomes a video whose
  captions appear when the words were spoken.

Both go on after the input ends until the last caption has had its time.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable
from typing import Protocol

from lt.events import AnyEvent, TranscriptEvent, TranslationEvent
from lt.readahead import END, TIMEOUT, ReadAhead


class ClockKind(str, enum.Enum):
    live = "live"
    events = "events"


class Frames(Protocol):
    """What a clock drives: the stage's frame loop."""

    def apply(self, event: AnyEvent, now: float, hold_until: float | None = None) -> None: ...

    def emit(self, index: int, t: float) -> None: ...

    def prepare(self, now: float) -> None: ...

    def finished(self, t: float) -> bool: ...

    def dropped(self, count: int) -> None: ...

    def late(self) -> None: ...


def run_live(events: Iterable[AnyEvent], frames: Frames, fps: float) -> None:
    feed = ReadAhead(events)
    period = 1.0 / fps
    start = time.monotonic()
    index = 0
    ended = False
    while True:
        due = start + index * period
        if ended:
            _sleep_until(due)
        else:
            ended = _apply_until(feed, frames, due, start)
        if ended and frames.finished(index * period):
            return
        behind = time.monotonic() - due
        if behind >= period:
            skipped = int(behind / period)
            frames.dropped(skipped)
            index += skipped
        frames.emit(index, index * period)
        index += 1
        if time.monotonic() > start + index * period:
            frames.late()


def _apply_until(feed: ReadAhead, frames: Frames, due: float, start: float) -> bool:
    """Apply whatever arrives until the frame is due; True once the input has ended.

    A burst is applied in full before anything is drawn, so captions replaced
    within the burst are never drawn at all."""
    while True:
        item = feed.get(timeout=0)
        if item is TIMEOUT:
            frames.prepare(time.monotonic() - start)
            item = feed.get(timeout=max(0.0, due - time.monotonic()))
        if item is TIMEOUT:
            return False
        if item is END:
            _sleep_until(due)
            return True
        frames.apply(item, time.monotonic() - start)
        if time.monotonic() >= due:
            return False


def _sleep_until(due: float) -> None:
    wait = due - time.monotonic()
    if wait > 0:
        time.sleep(wait)


def run_events(events: Iterable[AnyEvent], frames: Frames, fps: float) -> None:
    index = 0
    for event in events:
        spoken = isinstance(event, (TranscriptEvent, TranslationEvent))
        if spoken and event.start is not None:
            while index / fps < event.start:
                frames.emit(index, index / fps)
                index += 1
        frames.apply(event, index / fps, hold_until=event.end if spoken else None)
    while not frames.finished(index / fps):
        frames.emit(index, index / fps)
        index += 1
