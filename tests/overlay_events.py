"""Hand-written caption events for the overlay tests, as transcribe and translate would send them."""

from __future__ import annotations

import json

from lt.events import AnyEvent, TranscriptEvent, TranslationEvent, Word, event_id

SESSION = "20261122T100000Z-abc123"


def transcript(seg: int, text: str, start: float, end: float, *, final: bool = True, rev: int = 0,
               lang: str = "en", speaker: str | None = None, stable: int | None = None) -> TranscriptEvent:
    """`stable`: how many leading words are committed (all of a final's, none of a partial's by default)."""
    words = text.split()
    step = (end - start) / max(len(words), 1)
    timed = tuple(Word(w, round(start + i * step, 3), round(start + (i + 1) * step, 3)) for i, w in enumerate(words))
    return TranscriptEvent(
        session=SESSION, id=event_id(SESSION, "transcript", seg, rev, final), seg=seg, rev=rev,
        start=start, end=end, text=text, lang=lang, final=final, speaker=speaker, words=timed,
        stable=len(words) if final else (stable or 0),
    )


def translation(seg: int, text: str, start: float, end: float, *, target: str = "pt", final: bool = True,
                source: str = "") -> TranslationEvent:
    return TranslationEvent(
        session=SESSION, id=event_id(SESSION, "translation", seg, target, final), seg=seg,
        source_lang="en", target_lang=target, text=text, source_text=source, engine="test", model=None,
        final=final, start=start, end=end,
    )


def ndjson(events: list[AnyEvent]) -> bytes:
    return b"".join(json.dumps(e.to_dict(), ensure_ascii=False).encode() + b"\n" for e in events)
