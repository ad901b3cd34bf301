"""A stored session back as a stream: its events as they were stored, or its audio as PCM.

Pacing (`speed`): None replays as fast as the reader takes it; 1.0 keeps the
original timing, 2.0 twice as fast. The clock is each event's `t` trace (the
moment it left its last stage before the store) or, for a session stored
without stamps, its audio time (`end`, else `start`); whichever the first
timed event has is used for the whole replay, and an event without that
clock is sent right after the one before it. Order is always the stored one.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lt.pcm import LIVE_BLOCK_SECONDS, SAMPLE_RATE, Resampler, to_s16le
from lt.db import queries
from lt.errors import LtError
from lt.events import FRAME, STORE

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("lt.replay")

# Stamps added at or after the store: not part of the stream the store received.
_AFTER_STORE = (STORE, FRAME)


@dataclass(frozen=True)
class ReplaySettings:
    speed: float | None = None
    types: tuple[str, ...] = ()


class Pacer:
    """Sleeps so that moments on the recorded clock come out `speed` times as fast, from the first one."""

    def __init__(self, speed: float | None, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.speed, self.clock, self.sleep = speed, clock, sleep
        self.origin: tuple[float, float] | None = None  # (recorded moment, our clock) of the first one

    def wait(self, moment: float | None) -> None:
        if self.speed is None or moment is None:
            return
        if self.origin is None:
            self.origin = (moment, self.clock())
            return
        delay = self.origin[1] + (moment - self.origin[0]) / self.speed - self.clock()
        if delay > 0:
            self.sleep(delay)


def stage_time(body: Mapping[str, Any]) -> float | None:
    """When the event left its last stage before the store (wall clock)."""
    t = body.get("t")
    if not isinstance(t, dict):
        return None
    stamps = [v for k, v in t.items() if k not in _AFTER_STORE and _is_number(v)]
    return max(stamps) if stamps else None


def audio_time(body: Mapping[str, Any]) -> float | None:
    for key in ("end", "start"):
        if _is_number(body.get(key)):
            return body[key]
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def replay_events(conn: psycopg.Connection, session: str, settings: ReplaySettings, pacer: Pacer | None = None) -> Iterator[dict[str, Any]]:
    queries.require_session(conn, session)
    pacer = pacer or Pacer(settings.speed)
    clock: Callable[[Mapping[str, Any]], float | None] | None = None
    for body in queries.iter_events(conn, session, settings.types):
        if clock is None:
            clock = next((c for c in (stage_time, audio_time) if c(body) is not None), None)
        pacer.wait(clock(body) if clock else None)
        yield body


def replay_audio(conn: psycopg.Connection, session: str, settings: ReplaySettings, pacer: Pacer | None = None) -> Iterator[bytes]:
    """The session's audio as s16le 16 kHz mono, silence filling the gaps between chunks."""
    queries.require_session(conn, session)
    pacer = pacer or Pacer(settings.speed)
    written = 0  # samples
    chunks = 0
    for chunk in queries.audio_chunks(conn, session):
        chunks += 1
        samples = _decode(chunk)
        if chunk["start"] is not None:
            at = round(chunk["start"] * SAMPLE_RATE)
            if at > written:
                samples = np.concatenate([np.zeros(at - written, dtype=np.float32), samples])
            else:  # overlaps what was sent already
                samples = samples[written - at:]
        for block in _blocks(samples):
            pacer.wait(written / SAMPLE_RATE)
            written += len(block)
            yield to_s16le(block)
    if not chunks:
        raise LtError(
            f"session {session!r} has no stored audio",
            hint="keep it while transcribing (lt transcribe --keep-audio DIR), then store the stream",
        )


def _blocks(samples: np.ndarray) -> Iterator[np.ndarray]:
    step = int(SAMPLE_RATE * LIVE_BLOCK_SECONDS)
    for i in range(0, len(samples), step):
        yield samples[i:i + step]


def _decode(chunk: Mapping[str, Any]) -> np.ndarray:
    import soundfile as sf

    data = bytes(chunk["data"]) if chunk["data"] is not None else _read(chunk["path"])
    if chunk["sha256"] and hashlib.sha256(data).hexdigest() != chunk["sha256"]:
        log.warning("audio chunk %s: its sha256 does not match the stored one (changed since?)", chunk["path"] or chunk["event_id"])
    try:
        audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise LtError(f"cannot decode audio chunk {chunk['path'] or chunk['event_id']}: {exc}", hint="the file may be damaged") from None
    resample = Resampler(rate)
    mono = audio.mean(axis=1)
    return np.concatenate([resample(mono), resample.flush()])


def _read(path: str | None) -> bytes:
    if not path:
        raise LtError("an audio chunk has neither stored bytes nor a path", hint="store audio with lt store --audio-bytes")
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise LtError(
            f"cannot read audio chunk {path}: {exc.strerror}",
            hint="the files named by the session's audio events must still exist (or store them with lt store --audio-bytes)",
        ) from None
