"""Enrolled voice prints: a known person's voice, stored once, labelled by name live and in batch.

`lt speakers enrol NAME FILE` embeds the speech in FILE and stores the print
as JSON in `LT_HOME/speakers/voices/` (override with `LT_VOICES`): the name,
the model it was made with, the 192 numbers and how many seconds of speech
they came from. `load_voices()` reads them all; the tracker and the batch
clustering start from them, and a speaker that matches one is labelled by
its name instead of `S<n>`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lt.errors import LtError
from lt.home import lt_home
from lt.pcm import SAMPLE_RATE, from_bytes
from lt.speakers.model import MODEL_NAME, Embedder, unit
from lt.speakers.windows import Span, sample_range, windows

MIN_ENROL_SECONDS = 3.0
_SPEAKER_ID = re.compile(r"S\d+")


@dataclass(frozen=True)
class VoicePrint:
    name: str
    embedding: np.ndarray  # unit length
    seconds: float


def voices_dir() -> Path:
    configured = os.environ.get("LT_VOICES")
    return Path(configured).expanduser() if configured else lt_home() / "speakers" / "voices"


def check_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > 64:
        raise LtError(f"speaker name {name!r}: expected 1 to 64 characters")
    if _SPEAKER_ID.fullmatch(clean):
        raise LtError(f"speaker name {name!r} looks like an anonymous id (S1, S2, ...)", hint="give the person's name")
    return clean


def _file_for(name: str, folder: Path) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:32] or "voice"
    return folder / f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}.json"


def voice_print(embedder: Embedder, audio: np.ndarray, name: str, window: float = 1.5, hop: float = 0.75) -> VoicePrint:
    """The print of 16 kHz float audio of one person: the mean of its windows' embeddings."""
    seconds = len(audio) / SAMPLE_RATE
    if seconds < MIN_ENROL_SECONDS:
        raise LtError(f"{seconds:.1f} s of audio is too little to enrol a voice", hint=f"use at least {MIN_ENROL_SECONDS:g} s of speech (10-30 s is better)")
    spans = windows(Span(0.0, seconds), window, hop)
    embeddings = embedder.embed(audio, [sample_range(span, 0.0, len(audio)) for span in spans])
    return VoicePrint(check_name(name), unit(embeddings.mean(axis=0)), seconds)


def save_voice(voice: VoicePrint, source: str, folder: Path | None = None) -> Path:
    folder = folder or voices_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = _file_for(voice.name, folder)
    record = {
        "name": voice.name, "model": MODEL_NAME, "seconds": round(voice.seconds, 2), "source": source,
        "enrolled_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "embedding": [round(float(x), 6) for x in voice.embedding],
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(record) + "\n")
    os.replace(partial, path)
    return path


def load_voices(folder: Path | None = None) -> list[VoicePrint]:
    """Every enrolled voice made with this model, by name; unreadable files are named in the error."""
    folder = folder or voices_dir()
    voices = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            record = json.loads(path.read_text())
            embedding = np.asarray(record["embedding"], dtype=np.float32)
            name, model, seconds = str(record["name"]), record.get("model"), float(record["seconds"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LtError(f"cannot read the voice print {path}: {exc}", hint="enrol that person again, or delete the file") from None
        if model != MODEL_NAME or embedding.shape != (192,):
            continue  # made with another model: not comparable
        voices.append(VoicePrint(name, unit(embedding), seconds))
    return voices


def forget_voice(name: str, folder: Path | None = None) -> bool:
    path = _file_for(check_name(name), folder or voices_dir())
    if not path.is_file():
        return False
    path.unlink()
    return True


def enrol(name: str, source: str, embedder: Embedder | None = None) -> tuple[VoicePrint, Path]:
    """Embed the speech in an audio file (any format `lt capture` reads) and store it as NAME's voice."""
    from lt.capture import CaptureSettings, capture

    name = check_name(name)
    pcm = b"".join(capture(CaptureSettings(source)))
    audio = from_bytes(pcm)
    if embedder is None:
        from lt.speakers.model import CamPlusPlus

        embedder = CamPlusPlus()
    voice = voice_print(embedder, audio, name)
    return voice, save_voice(voice, os.path.basename(source))
