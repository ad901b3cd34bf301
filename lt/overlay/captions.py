"""What is on screen, per language, and for how long.

Each language has one caption slot. A caption stays up long enough to be read
(`chars_per_second`, bounded by `min_seconds` and `max_seconds`) or until the
next caption of the same language replaces it; a partial is replaced in place
by newer partials and by its final. When every caption has timed out the
screen is clear. Time is whatever clock the stage runs on: seconds since start
for live frames, audio time for `--clock events`.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from dataclasses import dataclass

from lt.events import AnyEvent, TranscriptEvent, TranslationEvent

CaptionEvent = TranscriptEvent | TranslationEvent
ORIGINAL = "original"  # the transcripts' line when --langs names it, or when their language is unknown
_SPEAKERS_KEPT = 64


@dataclass(frozen=True)
class Timing:
    chars_per_second: float = 17.0
    min_seconds: float = 1.5
    max_seconds: float = 7.0

    def reading_seconds(self, text: str) -> float:
        return min(max(len(text) / self.chars_per_second, self.min_seconds), self.max_seconds)


@dataclass(frozen=True, eq=False)
class Caption:
    """One language's line as it is on screen; identity matters (the trace follows it to a frame)."""

    lang: str
    text: str
    final: bool
    speaker: str | None
    until: float
    event: CaptionEvent

    @property
    def look(self) -> tuple[str, str, bool, str | None]:
        """Everything that changes how the caption is drawn."""
        return (self.lang, self.text, self.final, self.speaker)


def line_of(event: CaptionEvent) -> str:
    if isinstance(event, TranslationEvent):
        return event.target_lang
    return event.lang or ORIGINAL


def clean_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class CaptionBoard:
    """The caption per language, in display order (top to bottom)."""

    def __init__(self, timing: Timing = Timing(), langs: tuple[str, ...] = ()):
        self.timing = timing
        self.chosen = bool(langs)
        self.order: list[str] = list(langs)
        self._current: dict[str, Caption] = {}
        self._originals: set[str] = set()
        self._speakers: OrderedDict[tuple[str, int], str] = OrderedDict()

    def apply(self, event: AnyEvent, now: float, hold_until: float | None = None) -> Caption | None:
        """Put the event's caption up at `now`; None when it is not a caption or is older than what is shown."""
        if not isinstance(event, (TranscriptEvent, TranslationEvent)):
            return None
        original = isinstance(event, TranscriptEvent)
        lang = ORIGINAL if original and ORIGINAL in self.order else line_of(event)
        if not self._placed(lang, original=original):
            return None
        speaker = self._speaker(event)
        current = self._current.get(lang)
        if current is not None and current.until > now and not _supersedes(event, current.event):
            return None
        text = clean_text(event.text)
        if not text:
            self._current.pop(lang, None)
            return None
        until = now + self.timing.reading_seconds(text)
        if hold_until is not None:
            until = max(until, hold_until)
        caption = Caption(lang, text, event.final, speaker, until, event)
        self._current[lang] = caption
        return caption

    def visible(self, now: float) -> tuple[tuple[int, Caption], ...]:
        """(slot, caption) of every caption still up, in display order; the slot picks the colour."""
        return tuple(
            (slot, self._current[lang])
            for slot, lang in enumerate(self.order)
            if lang in self._current and self._current[lang].until > now
        )

    def clear_at(self) -> float:
        """When the last caption now up times out (-inf when none is up)."""
        return max((c.until for c in self._current.values()), default=-math.inf)

    def _placed(self, lang: str, *, original: bool) -> bool:
        if lang in self.order:
            return True
        if self.chosen:
            return False
        if original:
            self._originals.add(lang)
            first_translation = next((i for i, l in enumerate(self.order) if l not in self._originals), len(self.order))
            self.order.insert(first_translation, lang)
        else:
            self.order.append(lang)
        return True

    def _speaker(self, event: CaptionEvent) -> str | None:
        """A translation carries no speaker, so it borrows the one of its transcript."""
        key = (event.session, event.seg)
        if isinstance(event, TranscriptEvent) and event.speaker:
            self._speakers[key] = event.speaker
            self._speakers.move_to_end(key)
            while len(self._speakers) > _SPEAKERS_KEPT:
                self._speakers.popitem(last=False)
        return self._speakers.get(key)


def _supersedes(new: CaptionEvent, old: CaptionEvent) -> bool:
    """A newer segment, a new session, or the same segment unless a partial would undo its final."""
    if new.session != old.session or new.seg > old.seg:
        return True
    if new.seg < old.seg:
        return False
    return new.final or not old.final
