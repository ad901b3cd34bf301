"""A session's captions as a file: SRT or WebVTT subtitles, plain text, or the stored events as NDJSON.

The input is the timeline from `lt.db.queries.captions`: final captions in
`start NULLS LAST, seg` order, each a dict with seg, start, end, text, words,
speaker (its label: merged, renamed) and body (the stored event). Speakers are
named where they change in SRT ("Ana: "), and on every WebVTT cue (`<v Ana>`);
text stays the words alone (scripts compute WER on it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from lt.events import UnknownEvent
from lt.ndjson import EventWriter
from lt.captions import Caption, TimedWord
from lt.subtitles import SubtitleRules, SubtitleStats, cues, srt, vtt


class Format(str, enum.Enum):
    srt = "srt"
    vtt = "vtt"
    txt = "txt"
    ndjson = "ndjson"


@dataclass(frozen=True)
class ExportSettings:
    format: Format = Format.srt
    rules: SubtitleRules = field(default_factory=SubtitleRules)


def caption(row: Mapping[str, Any]) -> Caption:
    words = tuple(
        TimedWord(str(w.get("w") or ""), _number(w.get("start")), _number(w.get("end")))
        for w in row.get("words") or () if isinstance(w, dict)
    )
    return Caption(row.get("start"), row.get("end"), row.get("text") or "", words, row.get("speaker"))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def write_export(rows: Iterable[Mapping[str, Any]], settings: ExportSettings, out: BinaryIO, stats: SubtitleStats) -> None:
    if settings.format is Format.ndjson:
        # The bodies go out exactly as stored, so the plain pass-through wrapper is the right writer.
        writer = EventWriter(out)
        for row in rows:
            stats.captions += 1
            writer.write(UnknownEvent(row["body"]))
        return
    out.write(render(rows, settings, stats).encode())
    out.flush()


def render(rows: Iterable[Mapping[str, Any]], settings: ExportSettings, stats: SubtitleStats) -> str:
    captions = [caption(row) for row in rows]
    if settings.format is Format.txt:
        lines = [" ".join(c.text.split()) for c in captions if c.text.strip()]
        stats.captions = len(lines)
        return "".join(line + "\n" for line in lines)
    timed = cues(captions, settings.rules, stats, speaker_prefix=settings.format is Format.srt)
    return srt(timed) if settings.format is Format.srt else vtt(timed)

