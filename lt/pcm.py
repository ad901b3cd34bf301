"""The PCM contract between `lt capture` and `lt transcribe`: s16le, 16 kHz, mono, no header.

The one home for the sample rate, the live block size, the resampler and the scaling
between 16-bit samples and float audio. Samples are scaled by 32768 both ways,
so PCM that comes in as 16-bit goes out bit-exact.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2
HALF_SAMPLE = 0.5 / SAMPLE_RATE  # slack for audio times that are sums of block lengths: 0.1 s blocks add up to a hair under 0.3 s
LIVE_BLOCK_SECONDS = 0.02  # what a live source delivers at a time (WebRTC's frames are 10-20 ms): a decode
# starts on audio at most this old; 0.1 s blocks made every word wait 0.05 s more on average
SCALE = 32768.0


def to_float(samples: np.ndarray) -> np.ndarray:
    """int16 samples as float32 audio in [-1, 1)."""
    return np.asarray(samples).astype(np.float32) / SCALE


def from_bytes(data: bytes) -> np.ndarray:
    """s16le bytes (an even count) as float32 audio."""
    return to_float(np.frombuffer(data, dtype="<i2"))


def clipped(audio: np.ndarray) -> int:
    """How many samples of float audio lie outside what 16 bits can hold."""
    return int(np.count_nonzero(np.abs(audio) > 1.0))


def to_s16le(audio: np.ndarray) -> bytes:
    """float audio as s16le bytes, clipped to the 16-bit range."""
    return np.clip(np.round(np.asarray(audio) * SCALE), -32768, 32767).astype("<i2").tobytes()


class Resampler:
    """Streaming high-quality resampling of float audio to the contract's rate (soxr), keeping state across blocks."""

    def __init__(self, rate: int):
        import soxr

        self._stream = None if rate == SAMPLE_RATE else soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")

    def __call__(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        block = np.ascontiguousarray(block, dtype=np.float32)
        if self._stream is None:
            return block
        return self._stream.resample_chunk(block, last=last)

    def flush(self) -> np.ndarray:
        return self(np.zeros(0, dtype=np.float32), last=True)
