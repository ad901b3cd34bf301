"""Two stored sessions side by side: the re-run-and-compare report.

For the same recording transcribed twice (another model, other settings, a
re-run job): the word error rate of B against A, and per session the model,
finals, words, flags, confidence, transcription speed and latency per stage.

WER is `lt.wer`'s: normalised, aligned the way difflib matches words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from lt.db import queries
from lt.latency import summarize
from lt.wer import differences, errors, words

if TYPE_CHECKING:
    import psycopg

DIFFERENCES_SHOWN = 20


def session_summary(conn: psycopg.Connection, session: str) -> dict[str, Any]:
    row = queries.session_row(conn, session)
    finals = queries.captions(conn, queries.Timeline(session))
    flags = Counter(flag for f in finals for flag in (f["body"] or {}).get("flags") or ())
    confidences = [c for f in finals if (c := (f["body"] or {}).get("confidence")) is not None]
    text = " ".join(f["text"] for f in finals)
    ended = _end_stats(conn, session)
    return {
        "session": session,
        "model": row["model"],
        "source": row["source"],
        "finals": len(finals),
        "words": len(words(text)),
        "audio_seconds": queries.audio_seconds(conn, session),
        "flagged": sum(1 for f in finals if (f["body"] or {}).get("flags")),
        "flags": dict(sorted(flags.items())),
        "confidence": round(sum(confidences) / len(confidences), 3) if confidences else None,
        "transcribe_seconds": ended.get("wall_seconds"),
        "rtf": round(ended["wall_seconds"] / ended["audio_seconds"], 3) if ended.get("audio_seconds") else None,
        "latency": [asdict(hop) for hop in summarize(queries.caption_events(conn, session))],
        "text": text,
    }


def _end_stats(conn: psycopg.Connection, session: str) -> dict[str, Any]:
    """The transcribe stage's totals, from its session end event (empty when there is none)."""
    row = conn.execute(
        "SELECT body->'stats' FROM events WHERE session = %s AND type = 'session' "
        "AND body->>'kind' = 'end' AND body->>'stage' = 'transcribe' ORDER BY seq DESC LIMIT 1",
        (session,),
    ).fetchone()
    return row[0] if row and isinstance(row[0], dict) else {}


def compare_sessions(conn: psycopg.Connection, a: str, b: str) -> dict[str, Any]:
    """WER of `b` against `a`, both sessions' summaries, and the first stretches where they differ."""
    first, second = session_summary(conn, a), session_summary(conn, b)
    ref, hyp = words(first["text"]), words(second["text"])
    counted = errors(ref, hyp)
    stretches = [{"a": a_says, "b": b_says} for a_says, b_says in differences(ref, hyp)]
    return {
        "a": first,
        "b": second,
        "wer": None if counted.rate is None else round(counted.rate, 4),
        "errors": counted.counts("words"),
        "differences": stretches[:DIFFERENCES_SHOWN],
        "differences_total": len(stretches),
    }


def side_by_side(comparison: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(what, A, B) rows for a table: the summaries, the flags and the latency per hop."""
    a, b = comparison["a"], comparison["b"]

    def fmt(value: Any, digits: int = 2) -> str:
        if value is None:
            return "–"
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    rows = [
        ("model", fmt(a["model"]), fmt(b["model"])),
        ("finals", fmt(a["finals"]), fmt(b["finals"])),
        ("words", fmt(a["words"]), fmt(b["words"])),
        ("audio (s)", fmt(a["audio_seconds"], 1), fmt(b["audio_seconds"], 1)),
        ("mean confidence", fmt(a["confidence"], 3), fmt(b["confidence"], 3)),
        ("flagged finals", fmt(a["flagged"]), fmt(b["flagged"])),
    ]
    for flag in sorted(set(a["flags"]) | set(b["flags"])):
        rows.append((f"  {flag}", fmt(a["flags"].get(flag, 0)), fmt(b["flags"].get(flag, 0))))
    rows.append(("transcribe time (s)", fmt(a["transcribe_seconds"], 1), fmt(b["transcribe_seconds"], 1)))
    rows.append(("real-time factor", fmt(a["rtf"], 3), fmt(b["rtf"], 3)))
    hops_a = {h["hop"]: h for h in a["latency"]}
    hops_b = {h["hop"]: h for h in b["latency"]}
    for hop in [h["hop"] for h in a["latency"]] + [h for h in hops_b if h not in hops_a]:
        for q in ("p50", "p95"):
            rows.append((
                f"latency {hop} {q} (s)",
                fmt(hops_a[hop][q]) if hop in hops_a else "–",
                fmt(hops_b[hop][q]) if hop in hops_b else "–",
            ))
    return rows
