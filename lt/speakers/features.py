"""Kaldi-style log mel filterbank features in numpy: what CAM++ was trained on.

The settings are Kaldi's `compute-fbank-feats` defaults as 3D-Speaker uses
them: 25 ms frames every 10 ms (edges snipped), DC removed, pre-emphasis 0.97,
Povey window, a 512-point power spectrum, 80 triangular mel bins from 20 Hz to
Nyquist, natural log, no dither. Each window of features is mean-normalised
over time before it is embedded (`normalised`), so the scale of the samples
does not matter.
"""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE = 16000
FRAME_LENGTH = 400  # 25 ms
FRAME_SHIFT = 160  # 10 ms
FFT_SIZE = 512
MEL_BINS = 80
LOW_HZ = 20.0
PREEMPHASIS = 0.97
_EPSILON = float(np.finfo(np.float32).eps)


def frames_for(samples: int) -> int:
    """How many feature frames `samples` samples give (0 for less than one frame)."""
    return 0 if samples < FRAME_LENGTH else 1 + (samples - FRAME_LENGTH) // FRAME_SHIFT


def fbank(audio: np.ndarray) -> np.ndarray:
    """(frames, 80) float32 log mel energies of 16 kHz mono float audio."""
    audio = np.asarray(audio, dtype=np.float32)
    count = frames_for(len(audio))
    if count == 0:
        return np.zeros((0, MEL_BINS), dtype=np.float32)
    strides = (audio.strides[0] * FRAME_SHIFT, audio.strides[0])
    frames = np.lib.stride_tricks.as_strided(audio, (count, FRAME_LENGTH), strides).astype(np.float64)
    frames = frames - frames.mean(axis=1, keepdims=True)
    frames[:, 1:] -= PREEMPHASIS * frames[:, :-1].copy()
    frames[:, 0] *= 1.0 - PREEMPHASIS
    spectrum = np.fft.rfft(frames * _povey_window(), n=FFT_SIZE)
    power = spectrum.real**2 + spectrum.imag**2
    energies = power[:, : FFT_SIZE // 2] @ _mel_banks().T
    return np.log(np.maximum(energies, _EPSILON)).astype(np.float32)


def normalised(features: np.ndarray) -> np.ndarray:
    """Features less their mean over time, as the model expects."""
    return features - features.mean(axis=0, keepdims=True) if len(features) else features


@functools.cache
def _povey_window() -> np.ndarray:
    n = np.arange(FRAME_LENGTH)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / (FRAME_LENGTH - 1))) ** 0.85


def _mel(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log(1.0 + np.asarray(hz) / 700.0)


@functools.cache
def _mel_banks() -> np.ndarray:
    """(80, 256) triangular filters on the mel scale, Kaldi's construction (the Nyquist bin unused)."""
    low, high = _mel(LOW_HZ), _mel(SAMPLE_RATE / 2)
    delta = (high - low) / (MEL_BINS + 1)
    left = low + delta * np.arange(MEL_BINS)[:, None]
    centre, right = left + delta, left + 2 * delta
    mel = _mel(np.arange(FFT_SIZE // 2) * SAMPLE_RATE / FFT_SIZE)[None, :]
    rising = (mel - left) / (centre - left)
    falling = (right - mel) / (right - centre)
    weights = np.where(mel <= centre, rising, falling)
    return np.where((mel > left) & (mel < right), weights, 0.0)
