"""The PCM contract on stdin: s16le, 16 kHz, mono, read on a thread so stalls can be noticed.

Every block is recorded with the wall time it arrived, so an event can say when
the audio up to its `end` had come in (`t.capture`) and latency can be measured.
"""

from __future__ import annotations

import collections
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
import numpy as np

from lt.pcm import SAMPLE_RATE, to_float
from lt.readahead import END, TIMEOUT, ReadAhead
from lt.errors import LtError

READ_BYTES = 3200  # 0.1 s: small reads keep a live source's latency low
FAST = 3.0  # audio arriving this many times faster than real time is not live
PROBE_TICK = 0.05  # while no block comes, how often the probe looks again at the rate
BACKLOG = 120.0  # seconds of audio already waiting beyond which the input is a file

log = logging.getLogger("lt.transcribe")


def fd_chunks(fd: int, first: bytes = b"") -> Iterator[bytes]:
    """Whatever bytes are available, as soon as they are.

    os.read on the descriptor, not a buffered file: a reader thread blocked in it
    holds no Python-level lock, so the process can still exit while it waits."""
    if first:
        yield first
    while chunk := os.read(fd, READ_BYTES):
        yield chunk


def read_head(fd: int, size: int) -> bytes:
    """The first `size` bytes (fewer only at end of input), to see what kind of input it is."""
    head = b""
    while len(head) < size and (chunk := os.read(fd, size - len(head))):
        head += chunk
    return head


@dataclass(frozen=True)
class Block:
    samples: np.ndarray  # int16, as it came

    @property
    def audio(self) -> np.ndarray:
        return to_float(self.samples)


class PcmInput:
    """Blocks of audio from byte chunks, with a deadline for a stalled source."""

    def __init__(self, chunks: Iterable[bytes], stall_timeout: float | None = None):
        self._read_ahead = ReadAhead(chunks, maxsize=1024)
        self.stall_timeout = stall_timeout or None
        self.samples = 0
        self.odd_byte = False
        self.first_arrival: float | None = None
        self._carry = b""
        self._held: list[Block] = []
        self._arrivals: collections.deque[tuple[float, float]] = collections.deque()

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE

    def probe_live(self, window: float = 1.0, backlog: float = BACKLOG) -> bool:
        """Is the audio arriving at about real time (a live source) or much faster (a file)?

        What arrived before the stage looked (while its model loaded, a live source may have
        queued seconds of audio) comes first, in a burst. Once `window` seconds have passed, an
        input whose last `window` seconds brought at most FAST times that much audio is live: a
        backlog followed by real-time arrival is live. An input that ends, brings more than
        `backlog` seconds, or still comes that fast after twice `window`, is a file. Only the
        rate decides, never a gap between blocks: a live source may write every 10 ms, and one
        that never paused for long was once taken for a file."""
        began = time.monotonic()
        recent = collections.deque([(began, self.seconds)])  # (when, seconds read by then)
        while True:
            now = time.monotonic()
            while len(recent) > 1 and recent[1][0] <= now - window:
                recent.popleft()
            fast = self.seconds - recent[0][1] > FAST * window
            if now - began >= window and not fast:
                return True
            if now - began >= 2 * window:
                return False
            block = self._next(timeout=PROBE_TICK)
            if block is END:
                return False
            if block is not TIMEOUT:
                self._held.append(block)
                recent.append((time.monotonic(), self.seconds))
                if self.seconds > backlog:
                    return False

    def blocks(self) -> Iterator[Block]:
        while self._held:
            yield self._held.pop(0)
        while True:
            block = self._next(self.stall_timeout)
            if block is END:
                return
            if block is TIMEOUT:
                raise LtError(
                    f"no audio on stdin for {self.stall_timeout:g} s: the stage before seems stuck",
                    hint="check the command feeding lt transcribe, or raise --stall-timeout (0 waits forever)",
                )
            yield block

    def ready(self) -> list[Block]:
        """The blocks that have already arrived, without waiting for more. They are held here until
        handed over, so a signal that cuts the reading short loses none: the next call gives them."""
        while (block := self._next(timeout=0)) is not TIMEOUT and block is not END:
            self._held.append(block)
        ready, self._held = self._held, []
        return ready  # after END, the next read gives END again

    def _next(self, timeout: float | None):
        while True:
            chunk = self._read_ahead.get(timeout)
            if chunk is END or chunk is TIMEOUT:
                if chunk is END and self._carry:
                    self.odd_byte = True
                    self._carry = b""
                    log.warning("input ended with half a sample (odd byte count); the last byte was dropped")
                return chunk
            block = self._block(chunk)
            if block is not None:
                return block

    def _block(self, chunk: bytes) -> Block | None:
        data = self._carry + chunk
        usable = len(data) - len(data) % 2
        self._carry = data[usable:]
        if not usable:
            return None
        now = time.time()
        if self.first_arrival is None:
            self.first_arrival = now
        samples = np.frombuffer(data[:usable], dtype="<i2")
        self.samples += len(samples)
        self._arrivals.append((self.seconds, now))
        return Block(samples)

    def arrival(self, audio_time: float) -> float:
        """Wall time at which the audio up to `audio_time` had arrived."""
        for end, wall in self._arrivals:
            if end >= audio_time - 1e-6:
                return wall
        return self._arrivals[-1][1] if self._arrivals else time.time()

    def forget_before(self, audio_time: float) -> None:
        """Drop arrival records no future event can refer to, so memory stays flat."""
        while len(self._arrivals) > 1 and self._arrivals[0][0] < audio_time:
            self._arrivals.popleft()
