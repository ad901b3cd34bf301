"""What is on screen, per language, and for how long.

Each language has one caption line: the current segment and, above it while
it is still worth reading, the final before it, so a reader keeps the
sentence that just ended (captions roll up, as live captions do). The current
segment is split into its stable text, the words the recogniser committed and
will never change, drawn solid at once, and its tentative tail, drawn dimmer,
replaced in place by newer partials and by the final. Translations of partials
are tentative as a whole.

A caption stays up long enough to be read (lt.captions.ReadingTime) or until
the next caption of the same language replaces it. When every caption has
timed out the screen is clear. Time is whatever clock the stage runs on:
seconds since start for live frames, audio time for `--clock events`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import OrderedDict
from dataclasses import dataclass

from lt.captions import ReadingTime
from lt.events import AnyEvent, TranscriptEvent, TranslationEvent

CaptionEvent = TranscriptEvent | TranslationEvent
ORIGINAL = "original"  # the transcripts' line when --langs names it, or when their language is unknown
_SPEAKERS_KEPT = 64


@dataclass(frozen=True, eq=False)
class ShownCaption:
    """One language's line as it is on screen; `event` is what the trace follows to a frame."""

    lang: str
    stable: str  # committed text: all of a final's
    tentative: str  # a partial's uncommitted tail
    final: bool
    speaker: str | None
    until: float
    event: CaptionEvent
    above: ShownCaption | None = None  # the final before it, still up above it (held without its own)

    @property
    def earlier(self) -> str:
        return self.above.stable if self.above is not None else ""

    @property
    def text(self) -> str:
        return " ".join(part for part in (self.stable, self.tentative) if part)

    @property
    def look(self) -> tuple:
        """Everything that changes how the caption is drawn."""
        return (self.lang, self.earlier, self.stable, self.tentative, self.speaker)

    def at(self, now: float) -> ShownCaption:
        """The caption as it looks at `now`: the earlier final goes once its time is up."""
        if self.above is None or self.above.until > now:
            return self
        return dataclasses.replace(self, above=None)


def line_of(event: CaptionEvent) -> str:
    if isinstance(event, TranslationEvent):
        return event.target_lang
    return event.lang or ORIGINAL


def clean_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def split_text(event: CaptionEvent) -> tuple[str, str]:
    """(stable, tentative) text of a caption event."""
    if isinstance(event, TranscriptEvent):
        stable, tentative = event.split_stable()
        return clean_text(stable), clean_text(tentative)
    text = clean_text(event.text)
    return (text, "") if event.final else ("", text)


class CaptionBoard:
    """The caption per language, in display order (top to bottom)."""

    def __init__(self, timing: ReadingTime = ReadingTime(), langs: tuple[str, ...] = ()):
        self.timing = timing
        self.chosen = bool(langs)
        self.order: list[str] = list(langs)
        self._current: dict[str, ShownCaption] = {}
        self._originals: set[str] = set()
        self._speakers: OrderedDict[tuple[str, int], str] = OrderedDict()

    def apply(self, event: AnyEvent, now: float, hold_until: float | None = None) -> ShownCaption | None:
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
        stable, tentative = split_text(event)
        if not stable and not tentative:
            self._current.pop(lang, None)
            return None
        until = now + self.timing.seconds(len(stable) + len(tentative))
        if hold_until is not None:
            until = max(until, hold_until)
        caption = ShownCaption(lang, stable, tentative, event.final, speaker, until, event, self._above(current, event, now))
        self._current[lang] = caption
        return caption

    def visible(self, now: float) -> tuple[tuple[int, ShownCaption], ...]:
        """(slot, caption) of every caption still up, in display order; the slot picks the colour."""
        return tuple(
            (slot, self._current[lang].at(now))
            for slot, lang in enumerate(self.order)
            if lang in self._current and self._current[lang].until > now
        )

    def clear_at(self) -> float:
        """When the last caption now up times out (-inf when none is up)."""
        return max((c.until for c in self._current.values()), default=-math.inf)

    @staticmethod
    def _above(current: ShownCaption | None, event: CaptionEvent, now: float) -> ShownCaption | None:
        """What stays above the new caption: the final it follows, or what the caption it replaces kept."""
        if current is None or current.event.session != event.session:
            return None
        if current.event.seg == event.seg:
            return current.above
        if current.final and current.until > now:
            return dataclasses.replace(current, above=None)  # one final above, never a chain of them
        return None

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
    """A newer segment, a new session, or the same segment unless it would undo a final or go back a revision."""
    if new.session != old.session or new.seg > old.seg:
        return True
    if new.seg < old.seg:
        return False
    if new.final or old.final:
        return new.final
    return new.rev >= old.rev
