"""A transcript scored against the text that was really spoken: what `lt score` prints.

The hypothesis is a session's final transcripts (or, with a language, its
final translations into it), joined in timeline order: from the store, or
from a stream of events. Both texts are normalised the one way `lt.wer`
does (case, punctuation and line breaks do not count), so a caption per
line scores the same as the paragraph it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lt.events import AnyEvent, TranscriptEvent, TranslationEvent
from lt.wer import differences, errors, normal, words

if TYPE_CHECKING:
    import psycopg

DIFFERENCES_SHOWN = 20


def finals_of_session(conn: psycopg.Connection, session: str, lang: str | None = None) -> list[str]:
    """A stored session's final captions (or its translations into `lang`), in timeline order."""
    from lt.db import queries

    queries.require_session(conn, session)
    return [row["text"] for row in queries.captions(conn, queries.Timeline(session, lang))]


def finals_of_events(events: Iterable[AnyEvent], lang: str | None = None) -> list[str]:
    """Final transcripts (or translations into `lang`) of a stream, the last one of each segment,
    ordered as the store orders a timeline: by start time (unknown last), then segment."""
    latest: dict[int, TranscriptEvent | TranslationEvent] = {}
    for event in events:
        if lang is None and isinstance(event, TranscriptEvent) and event.final:
            latest[event.seg] = event
        elif lang is not None and isinstance(event, TranslationEvent) and event.final and event.target_lang == lang:
            latest[event.seg] = event
    ordered = sorted(latest.values(), key=lambda e: (e.start is None, e.start or 0.0, e.seg))
    return [e.text for e in ordered]


def score(reference: str, captions: list[str]) -> dict[str, Any]:
    """WER and CER of the captions, joined, against the reference; the counts; where the words differ."""
    hypothesis = " ".join(captions)
    ref, hyp = words(reference), words(hypothesis)
    word_errors = errors(ref, hyp)
    char_errors = errors(normal(reference), normal(hypothesis))
    stretches = [{"reference": r, "hypothesis": h} for r, h in differences(ref, hyp)]
    return {
        "wer": _rounded(word_errors.rate),
        "cer": _rounded(char_errors.rate),
        "words": word_errors.counts("words"),
        "chars": char_errors.counts("chars"),
        "captions": len(captions),
        "differences": stretches[:DIFFERENCES_SHOWN],
        "differences_total": len(stretches),
    }


def _rounded(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)
