"""`--keep-audio DIR`: the session's audio as FLAC chunks, each announced by an `audio` event."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

from lt.pcm import SAMPLE_RATE
from lt.errors import LtError
from lt.events import TRANSCRIBE, AudioEvent, event_id

CHUNK_SECONDS = 30.0


class AudioKeeper:
    def __init__(self, directory: Path, session: str, chunk_seconds: float = CHUNK_SECONDS):
        self.directory = directory / session
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LtError(f"cannot create {self.directory}: {exc.strerror}", hint="choose a writable --keep-audio directory") from None
        self.session = session
        self.chunk_samples = int(chunk_seconds * SAMPLE_RATE)
        self.blocks: list[np.ndarray] = []
        self.held = 0
        self.written = 0  # samples already in files
        self.index = 0

    def add(self, block: np.ndarray) -> list[AudioEvent]:
        """`block`: int16 samples, kept bit-exact."""
        self.blocks.append(block)
        self.held += len(block)
        if self.held < self.chunk_samples:
            return []
        return [self._write()]

    def close(self) -> list[AudioEvent]:
        return [self._write()] if self.held else []

    def _write(self) -> AudioEvent:
        audio = np.concatenate(self.blocks)
        self.blocks, self.held = [], 0
        start, end = self.written / SAMPLE_RATE, (self.written + len(audio)) / SAMPLE_RATE
        path = self.directory / f"{self.index:05d}.flac"
        data = _flac_bytes(audio)
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise LtError(f"cannot write {path}: {exc.strerror}", hint="check the free space and permissions of --keep-audio") from None
        event = AudioEvent(
            session=self.session,
            id=event_id(self.session, "audio", self.index),
            start=start,
            end=end,
            sha256=hashlib.sha256(data).hexdigest(),
            path=str(path),
        ).stamped(TRANSCRIBE)
        self.written += len(audio)
        self.index += 1
        return event


def _flac_bytes(audio: np.ndarray) -> bytes:
    import soundfile as sf

    out = io.BytesIO()
    sf.write(out, audio, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return out.getvalue()
