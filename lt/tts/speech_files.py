"""`lt speak --events`: each utterance as a FLAC file, announced by an `audio` event.

The event's `start`/`end` are where the speech sits on the session's audio time
(after any delay and speed-up); it also carries `lang`, `seg`, `text`, `engine`,
`voice` and `rate` (the speed-up applied), so `jq` can tell speech from the
recording's own chunks.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from lt.pcm import SAMPLE_RATE
from lt.errors import LtError
from lt.events import AudioEvent, event_id
from lt.tts.engine import Synthesizer
from lt.tts.stage import STAGE, Spoken


class SpeechFiles:
    def __init__(self, directory: Path, synth: Synthesizer):
        self.directory = directory
        self.synth = synth

    def event(self, spoken: Spoken) -> AudioEvent:
        import soundfile as sf

        u = spoken.utterance
        folder = self.directory / u.session
        path = folder / f"{self.synth.lang}-{u.seg:05d}.flac"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            sf.write(path, spoken.samples, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except (OSError, sf.LibsndfileError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise LtError(f"cannot write {path}: {reason}", hint="check the free space and permissions of --audio-dir") from None
        at = spoken.placement.at if spoken.placement else u.start
        return AudioEvent(
            session=u.session,
            id=event_id(u.session, "audio", STAGE, self.synth.lang, u.seg),
            start=None if at is None else round(at, 3),
            end=None if at is None else round(at + spoken.seconds, 3),
            sha256=digest,
            path=str(path),
            t={**u.source.t, STAGE: time.time()},
            extra={
                "lang": self.synth.lang, "seg": u.seg, "text": u.text, "engine": self.synth.engine,
                "voice": self.synth.voice, "rate": spoken.placement.rate if spoken.placement else 1.0,
            },
        )
