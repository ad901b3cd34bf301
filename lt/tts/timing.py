"""Where each utterance goes on the session's audio time, so the dub lines up with the original.

The policy, on audio time only (so it is deterministic and testable without a clock):

- speech begins at its caption's `start`, or later if the speech before it is
  still going (plus `gap` seconds of silence): never two voices at once;
- it may use its room: up to the next caption's start (less the gap) when that is
  known, else up to its own caption's `end`;
- speech longer than its room is sped up, by at most `max_speedup` (pitch kept);
- what is still too long runs on into the following silence and pushes the next
  utterance back, which then has less room and is sped up to catch up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TimingSettings:
    max_speedup: float = 1.3
    gap: float = 0.15  # seconds of silence kept between two utterances


@dataclass(frozen=True)
class Placement:
    at: float  # seconds of audio time at which the speech begins
    rate: float  # speed-up to apply (1.0: as synthesised)
    delay: float  # seconds after its caption's start, because the speech before ran on


class Timeline:
    def __init__(self, settings: TimingSettings = TimingSettings()):
        self.settings = settings
        self.cursor: float | None = None  # where the last speech ends

    def place(self, start: float | None, until: float | None, seconds: float) -> Placement:
        """Where `seconds` of speech for a caption starting at `start` goes, with room up to `until`."""
        earliest = 0.0 if self.cursor is None else self.cursor + self.settings.gap
        at = earliest if start is None else max(start, earliest)
        rate = 1.0
        if until is not None and seconds > 0:
            room = until - at
            rate = self.settings.max_speedup if room <= 0 else min(self.settings.max_speedup, max(1.0, seconds / room))
        return Placement(at, rate, 0.0 if start is None else at - start)

    def occupy(self, at: float, seconds: float) -> None:
        """The speech placed at `at` lasts `seconds` (as stretched): nothing may start before its end."""
        self.cursor = at + seconds
