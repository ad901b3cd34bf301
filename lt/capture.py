"""Audio in, the PCM contract out: s16le, 16 kHz, mono, no header (32,000 bytes a second).

Sources: a file (WAV/FLAC/OGG through libsndfile, everything else, URLs and
streams included, through FFmpeg via PyAV), stdin (`-`, any container the
decoders know, or raw PCM already in the contract), or a live input device
(sounddevice). Resampling uses soxr or libswresample; nothing is ever
resampled by dropping samples.
"""

from __future__ import annotations

import io
import logging
import os
import queue
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from lt import pcm
from lt.errors import LtError, missing_extra
from lt.pcm import BYTES_PER_SECOND, LIVE_BLOCK_SECONDS, SAMPLE_RATE, Resampler

log = logging.getLogger("lt.capture")

# Leading bytes of the containers we hand to a decoder; anything else on stdin is raw PCM.
_CONTAINER_MAGIC = (b"RIFF", b"RF64", b"fLaC", b"OggS", b"ID3", b"FORM", b"#!AMR", b"\x1aE\xdf\xa3", b"caff")
_MPEG_SYNC = (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xf1", b"\xff\xf9")


@dataclass(frozen=True)
class CaptureSettings:
    source: str
    device: str | None = None
    realtime: bool = False
    start: float = 0.0
    duration: float | None = None
    loop: bool = False
    raw: bool = False
    buffer_seconds: float = 10.0


@dataclass
class CaptureStats:
    samples: int = 0
    dropped: int = 0
    clipped: int = 0

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE

    def summary(self) -> str:
        return (
            f"captured {self.seconds:.1f} s of audio, {self.dropped / SAMPLE_RATE:.1f} s dropped, "
            f"{self.clipped} samples clipped"
        )


def is_live(settings: CaptureSettings) -> bool:
    return settings.source == "mic" or settings.device is not None


def capture(settings: CaptureSettings, stats: CaptureStats | None = None) -> Iterator[bytes]:
    """PCM-contract bytes from the source, trimmed, looped and paced as the settings ask.

    The source is opened before this returns, so a missing file or device fails at once."""
    stats = stats if stats is not None else CaptureStats()
    if is_live(settings):
        blocks = _open_live(settings, stats)
    else:
        blocks = _file_blocks(settings, _open_file_source(settings))
    blocks = _trim(blocks, settings.start, settings.duration, "stdin" if settings.source == "-" else settings.source)
    if settings.realtime and not is_live(settings):
        blocks = _paced(blocks)
    return _encoded(blocks, stats)


def _encoded(blocks: Iterator[np.ndarray], stats: CaptureStats) -> Iterator[bytes]:
    for block in blocks:
        stats.samples += len(block)
        stats.clipped += pcm.clipped(block)
        yield pcm.to_s16le(block)


def _file_blocks(settings: CaptureSettings, opened: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    while True:
        yield from opened
        if not settings.loop or settings.source == "-":
            return
        opened = _open_file_source(settings)


def _open_file_source(settings: CaptureSettings) -> Iterator[np.ndarray]:
    """Opens eagerly, so a missing or undecodable input fails here, with its name, not later."""
    if settings.source == "-":
        return _stdin_blocks(sys.stdin.buffer, settings.raw)
    path = settings.source
    if "://" not in path and not os.path.exists(path):
        raise LtError(f"no such file: {path}", hint="check the path; use - for stdin or mic for the microphone")
    if "://" not in path and os.path.isdir(path):
        raise LtError(f"{path} is a directory, not an audio file", hint="name one file inside it")
    if settings.raw:
        return _raw_blocks(open(path, "rb"))
    soundfile_blocks = _try_soundfile(path)
    if soundfile_blocks is not None:
        return soundfile_blocks
    return _av_blocks(path, path)


def _try_soundfile(source: str | BinaryIO) -> Iterator[np.ndarray] | None:
    import soundfile as sf

    try:
        handle = sf.SoundFile(source)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return None
    return _soundfile_blocks(handle)


def _soundfile_blocks(handle) -> Iterator[np.ndarray]:
    resample = Resampler(handle.samplerate)
    with handle:
        for block in handle.blocks(blocksize=handle.samplerate, dtype="float32", always_2d=True):
            yield resample(block.mean(axis=1))
    yield resample.flush()


def _av_blocks(source: str | BinaryIO, name: str) -> Iterator[np.ndarray]:
    import av

    try:
        container = av.open(source, mode="r", timeout=(15.0, 30.0))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise _undecodable(name, exc) from None
    if not container.streams.audio:
        container.close()
        raise LtError(f"{name} has no audio stream", hint="lt needs a file or stream with sound in it")
    return _av_decode(container, name)


def _av_decode(container, name: str) -> Iterator[np.ndarray]:
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    stream = container.streams.audio[0]
    try:
        with container:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    yield out.to_ndarray().reshape(-1)
            for out in resampler.resample(None):
                yield out.to_ndarray().reshape(-1)
    except av.error.FFmpegError as exc:
        raise _undecodable(name, exc) from None


def _undecodable(name: str, exc: Exception) -> LtError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return LtError(
        f"cannot decode {name}: {reason}",
        hint="lt reads audio and video files, URLs and streams that FFmpeg can decode, or raw PCM with --raw",
    )


def _stdin_blocks(stream: BinaryIO, raw: bool) -> Iterator[np.ndarray]:
    head = stream.read(12)
    joined = _Prepended(head, stream)
    if raw or not _looks_like_container(head):
        log.debug("stdin has no container header: reading it as raw s16le 16 kHz mono")
        return _raw_blocks(joined)
    return _av_blocks(joined, "stdin")


def _looks_like_container(head: bytes) -> bool:
    return head.startswith(_CONTAINER_MAGIC) or head.startswith(_MPEG_SYNC) or head[4:8] == b"ftyp"


def _raw_blocks(stream: BinaryIO) -> Iterator[np.ndarray]:
    carry = b""
    with stream:
        while True:
            data = stream.read(BYTES_PER_SECOND // 10)
            if not data:
                break
            data = carry + data
            usable = len(data) - len(data) % 2
            carry = data[usable:]
            yield pcm.from_bytes(data[:usable])
    if carry:
        log.warning("input ended with half a sample (odd byte count); the last byte was dropped")


class _Prepended(io.RawIOBase):
    """A read-only stream that gives back bytes already read for sniffing, then the rest."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _trim(blocks: Iterator[np.ndarray], start: float, duration: float | None, name: str) -> Iterator[np.ndarray]:
    skip = int(round(start * SAMPLE_RATE))
    remaining = None if duration is None else int(round(duration * SAMPLE_RATE))
    seen = 0
    for block in blocks:
        seen += len(block)
        if skip:
            cut = min(skip, len(block))
            block, skip = block[cut:], skip - cut
        if remaining is not None:
            block = block[:remaining]
            remaining -= len(block)
        if len(block):
            yield block
        if remaining == 0:
            return
    if skip:
        # Silently capturing nothing would look like a broken pipeline further down.
        raise LtError(
            f"{name} is {seen / SAMPLE_RATE:.1f} s long: nothing to capture from {start:g} s on",
            hint=f"start before {seen / SAMPLE_RATE:.1f} s",
        )


def _paced(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """Release audio no faster than real time, in small blocks, like a live device would."""
    step = int(SAMPLE_RATE * LIVE_BLOCK_SECONDS)
    began = time.monotonic()
    sent = 0
    pending = np.zeros(0, dtype=np.float32)
    for block in blocks:
        pending = np.concatenate([pending, block])
        while len(pending) >= step:
            piece, pending = pending[:step], pending[step:]
            sent += len(piece)
            _sleep_until(began + sent / SAMPLE_RATE)
            yield piece
    if len(pending):
        _sleep_until(began + (sent + len(pending)) / SAMPLE_RATE)
        yield pending


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _import_sounddevice():
    try:
        import sounddevice
    except ImportError:
        raise missing_extra("sounddevice", "mic") from None
    except OSError as exc:
        raise LtError(
            f"the PortAudio library could not be loaded: {exc}",
            hint="install it, e.g. apt-get install libportaudio2",
        ) from None
    return sounddevice


def list_input_devices() -> list[dict]:
    sd = _import_sounddevice()
    devices = []
    for index, info in enumerate(sd.query_devices()):
        if info["max_input_channels"] > 0:
            devices.append({
                "index": index,
                "name": info["name"],
                "channels": info["max_input_channels"],
                "default_rate": int(info["default_samplerate"]),
                "monitor": "monitor" in info["name"].lower(),
            })
    return devices


def _resolve_device(sd, device: str | None):
    if device is None:
        return None
    selector: int | str = int(device) if device.isdigit() else device
    try:
        info = sd.query_devices(selector, kind="input")
    except (ValueError, sd.PortAudioError) as exc:
        raise LtError(
            f"no input device {device!r}: {exc}",
            hint="list the devices with: lt capture --list-devices",
        ) from None
    return info


def _open_live(settings: CaptureSettings, stats: CaptureStats) -> Iterator[np.ndarray]:
    """Blocks from an input device. The audio callback never blocks: when the consumer
    stalls, blocks queue up to `buffer_seconds`, then new audio is dropped and counted."""
    sd = _import_sounddevice()
    info = _resolve_device(sd, settings.device) or sd.query_devices(kind="input")
    rate = int(info["default_samplerate"])
    block_frames = int(rate * LIVE_BLOCK_SECONDS)
    blocks: queue.Queue[np.ndarray] = queue.Queue(maxsize=max(1, int(settings.buffer_seconds / LIVE_BLOCK_SECONDS)))

    def callback(indata, frames, when, status) -> None:
        try:
            blocks.put_nowait(indata.mean(axis=1).copy())
        except queue.Full:
            stats.dropped += int(frames * SAMPLE_RATE / rate)

    resample = Resampler(rate)
    try:
        stream = sd.InputStream(
            device=info["index"],
            samplerate=rate, channels=min(2, info["max_input_channels"]),
            dtype="float32", blocksize=block_frames, callback=callback,
        )
    except sd.PortAudioError as exc:
        raise LtError(f"cannot open input device {info['name']!r}: {exc}", hint="is it in use or unplugged?") from None
    log.info("capturing from %s at %d Hz", info["name"], rate)
    return _live_blocks(stream, blocks, resample, stats)


def _live_blocks(stream, blocks: queue.Queue, resample: Resampler, stats: CaptureStats) -> Iterator[np.ndarray]:
    warned = 0
    with stream:
        while True:
            block = blocks.get()
            if stats.dropped > warned:
                log.warning("consumer too slow: %.1f s of audio dropped so far", stats.dropped / SAMPLE_RATE)
                warned = stats.dropped
            yield resample(block)
