"""Live speech: a bounded queue of what is still to be said, drained in real time by a player.

Two captions are kept `gap` seconds apart, as on a file's timeline. The queue never lets the dub fall further behind than `max_delay` seconds: an
utterance arriving while speech is still waiting is sped up (more, the longer
the wait, up to `max_speedup`), and when the waiting speech would still be
longer than `max_delay`, the oldest utterances not yet begun are dropped (and
counted), then the one playing is cut short. So whatever is pushed begins
within `max_delay` of arriving.

Players pull from the queue and never wait on it: a sound device's callback
(`--sink device`, sounddevice) or a thread that writes a tenth of a second of
PCM to stdout every tenth of a second, silence when there is nothing to say.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from lt.pcm import LIVE_BLOCK_SECONDS, SAMPLE_RATE, to_s16le
from lt.errors import ExitCode, LtError
from lt.tts.stage import SpeakStats, Spoken
from lt.tts.stretch import speed_up

log = logging.getLogger("lt.speak")

BLOCK = int(SAMPLE_RATE * LIVE_BLOCK_SECONDS)
FADE = int(SAMPLE_RATE * 0.02)  # cutting speech short fades it out over 20 ms, not with a click


@dataclass
class _Queued:
    spoken: Spoken
    samples: np.ndarray
    offset: int = 0  # samples already played


class SpeechQueue:
    def __init__(self, max_delay: float, max_speedup: float, stats: SpeakStats | None = None, gap: float = 0.15):
        self.max_delay = max_delay
        self.max_speedup = max_speedup
        self.gap = np.zeros(int(gap * SAMPLE_RATE), dtype=np.float32)
        self.stats = stats if stats is not None else SpeakStats()
        self._items: deque[_Queued] = deque()
        self._lock = threading.Lock()

    def waiting(self) -> float:
        """Seconds of speech still to play, the rest of the one playing included."""
        with self._lock:
            return self._waiting()

    def _waiting(self) -> float:
        return sum(len(item.samples) - item.offset for item in self._items) / SAMPLE_RATE

    def push(self, spoken: Spoken) -> None:
        behind = self.waiting()
        rate = 1.0 + (self.max_speedup - 1.0) * min(1.0, behind / self.max_delay) if self.max_delay > 0 else 1.0
        samples = speed_up(spoken.samples, rate) if rate > 1.01 else spoken.samples
        if rate > 1.01:
            self.stats.sped_up += 1
            self.stats.max_rate = max(self.stats.max_rate, rate)
        with self._lock:
            self._make_room()
            if self._items:  # a pause between two captions, as on a file's timeline
                samples = np.concatenate([self.gap, samples])
            self._items.append(_Queued(spoken, samples))
        log.debug("segment %d: %.1f s of speech queued behind %.1f s (sped up %.2fx)", spoken.utterance.seg, len(samples) / SAMPLE_RATE, behind, rate)

    def _make_room(self) -> None:
        while self._waiting() > self.max_delay:
            waiting = [item for item in self._items if item.offset == 0]
            if not waiting:
                break
            self._items.remove(waiting[0])
            self.stats.dropped += 1
            log.warning("segment %d not spoken: the dub was more than %.1f s behind", waiting[0].spoken.utterance.seg, self.max_delay)
        if self._items and self._waiting() > self.max_delay:
            playing = self._items[0]
            keep = playing.offset + int(self.max_delay * SAMPLE_RATE)
            fade = min(FADE, keep - playing.offset)
            cut = playing.samples[:keep].copy()
            if fade > 0:
                cut[keep - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
            playing.samples = cut

    def pull(self, count: int) -> np.ndarray:
        """The next `count` samples to play, silence where nothing is waiting. Never blocks for long."""
        out = np.zeros(count, dtype=np.float32)
        filled = 0
        with self._lock:
            while filled < count and self._items:
                item = self._items[0]
                if item.offset == 0:
                    self.stats.first_sample(item.spoken.utterance, time.time())
                piece = item.samples[item.offset : item.offset + count - filled]
                out[filled : filled + len(piece)] = piece
                filled += len(piece)
                item.offset += len(piece)
                if item.offset >= len(item.samples):
                    self._items.popleft()
        return out

    def empty(self) -> bool:
        with self._lock:
            return not self._items


class StdoutPlayer:
    """Real-time PCM on a stream: BLOCK samples every LIVE_BLOCK_SECONDS, speech or silence."""

    def __init__(self, queue: SpeechQueue, stream: BinaryIO):
        self.queue = queue
        self.stream = stream
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="lt-speak-player")
        self._thread.start()

    def _run(self) -> None:
        due = time.monotonic()
        try:
            while not self._stop.is_set():
                self.stream.write(to_s16le(self.queue.pull(BLOCK)))
                self.stream.flush()
                due += LIVE_BLOCK_SECONDS
                delay = due - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                elif delay < -1.0:
                    due = time.monotonic()  # the reader stalled: go on from now rather than burst to catch up
        except (BrokenPipeError, OSError) as exc:
            self.error = exc

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self, drain: bool = True) -> None:
        while drain and self.error is None and not self.queue.empty():
            time.sleep(LIVE_BLOCK_SECONDS / 2)
        self._stop.set()
        self._thread.join()
        self.check()


def output_devices() -> list[dict]:
    from lt.capture import _import_sounddevice

    sd = _import_sounddevice()
    return [
        {"index": index, "name": info["name"], "channels": info["max_output_channels"], "default_rate": int(info["default_samplerate"])}
        for index, info in enumerate(sd.query_devices())
        if info["max_output_channels"] > 0
    ]


class DevicePlayer:
    """A sound card (or PipeWire/PulseAudio) through sounddevice; its callback only pulls from the queue."""

    def __init__(self, queue: SpeechQueue, device: str | None = None):
        from lt.capture import _import_sounddevice

        sd = _import_sounddevice()
        self.queue = queue
        selector: int | str | None = int(device) if device and device.isdigit() else device
        try:
            info = sd.query_devices(selector, kind="output")
            self.stream = sd.OutputStream(
                device=info["index"], samplerate=SAMPLE_RATE, channels=1, dtype="float32",
                blocksize=BLOCK, callback=self._callback,
            )
            self.stream.start()
        except (ValueError, sd.PortAudioError) as exc:
            raise LtError(
                f"cannot play on output device {device or 'default'!r}: {exc}",
                hint="list the devices with: lt speak --list-devices (a 'default' or 'pulse' device takes 16 kHz)",
                code=ExitCode.UNAVAILABLE,
            ) from None
        log.info("speaking on %s", info["name"])

    def _callback(self, outdata, frames, when, status) -> None:
        outdata[:, 0] = self.queue.pull(frames)

    def check(self) -> None:
        pass

    def close(self, drain: bool = True) -> None:
        while drain and not self.queue.empty():
            time.sleep(LIVE_BLOCK_SECONDS / 2)
        self.stream.stop()
        self.stream.close()
