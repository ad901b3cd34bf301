"""What `--speakers auto|N|off` means, and the thresholds behind it.

- `off`: no speaker tracking; `speaker` stays null.
- `auto`: speakers are opened as new voices appear, up to `max_speakers`
  (8); an utterance joins the closest known speaker when its similarity
  reaches `open_below`, else it opens a new one.
- `N` (a number): there are N speakers. At most N are opened, and once there
  are N every utterance goes to the closest; batch mode clusters the whole
  file into exactly N (fewer when the audio has fewer voices than N windows).

The similarities are cosine similarities of CAM++ embeddings. The defaults
were tuned on the recordings under tests/data/speakers (bench/speakers.py
prints what they give).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lt.errors import LtError

DEFAULT_MAX_SPEAKERS = 8


@dataclass(frozen=True)
class SpeakerSettings:
    known: int | None = None  # N: the number of speakers, when known
    max_speakers: int = DEFAULT_MAX_SPEAKERS  # the cap in auto mode
    open_below: float = 0.6  # an utterance less similar than this to every speaker opens a new one
    merge_above: float = 0.8  # two speakers whose voices come this close are one
    change_below: float = 0.55  # two halves of an utterance this dissimilar are a change of speaker
    one_voice_above: float = 0.85  # an utterance this close to a speaker is theirs alone: no change is searched
    window: float = 1.5  # seconds of audio per embedding in long utterances
    hop: float = 1.0  # at most this far between windows
    min_new_seconds: float = 1.0  # shorter utterances never open a speaker: too little voice to tell
    min_turn_seconds: float = 1.0  # a turn inside an utterance lasts at least this long
    centroid_seconds: float = 30.0  # a speaker's voice print adapts over about this much recent speech
    sharpness: float = 10.0  # how sharply speaker_prob falls with similarity

    @property
    def cap(self) -> int:
        return self.known if self.known is not None else self.max_speakers

    @classmethod
    def parse(cls, value: str) -> SpeakerSettings | None:
        """`auto`, a number of speakers, or `off` (None)."""
        text = value.strip().lower()
        if text == "off":
            return None
        if text == "auto":
            return cls()
        if text.isdigit() and 1 <= int(text) <= 64:
            return replace(cls(), known=int(text))
        raise LtError(f"--speakers {value!r}: expected auto, off or a number of speakers from 1 to 64")
