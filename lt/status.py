"""The progress and health of one stored session, from the database alone.

Progress: whether the session has ended (a `session` end event was stored),
how much audio time its finals cover, when its last event arrived, who spoke
and for how long (finals' audio time per speaker, as labelled). Health:
dead letters, gaps in audio time between consecutive finals, per-stage
latency from the events' `t` trace (`lt.latency.summarize`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lt.db import queries
from lt.latency import TOTAL, summarize

if TYPE_CHECKING:
    import psycopg

RECENT_DEAD_LETTERS = 5
# The Ofcom recommended maximum delay for live subtitles.
LIVE_LATENCY_TARGET_S = 3.0


@dataclass(frozen=True)
class StatusSettings:
    min_gap: float = 3.0  # seconds of audio without a final that count as a gap


def session_status(conn: psycopg.Connection, session: str, settings: StatusSettings = StatusSettings()) -> dict[str, Any]:
    row = queries.session_row(conn, session)
    counts = queries.counts_by_type(conn, session)
    gaps = queries.gaps(conn, session, settings.min_gap)
    letters = queries.dead_letters(conn, session)
    latency = [dataclasses.asdict(hop) for hop in summarize(queries.caption_events(conn, session))]
    status = {
        **row,
        "ended": row["ended_at"] is not None,
        "audio_seconds": queries.audio_seconds(conn, session),
        "idle_seconds": (dt.datetime.now(dt.timezone.utc) - row["last_received"]).total_seconds(),
        "counts": counts,
        "translations": queries.translation_counts(conn, session),
        "gaps": gaps,
        "min_gap": settings.min_gap,
        "dead_letters": len(letters),
        "recent_dead_letters": letters[-RECENT_DEAD_LETTERS:],
        "latency": latency,
        "speakers": queries.speaker_talk(conn, session),
    }
    status["problems"] = problems(status)
    return status


def problems(status: dict[str, Any]) -> list[str]:
    """What a person should look at; empty when the session looks healthy."""
    found = []
    if status["dead_letters"]:
        found.append(f"{status['dead_letters']} dead letter(s): input that could not be stored")
    if status["gaps"]:
        longest = max(g["seconds"] for g in status["gaps"])
        found.append(f"{len(status['gaps'])} gap(s) of {status['min_gap']:g} s or more between finals (longest {longest:.1f} s)")
    finals = sum(c["final"] for c in status["counts"] if c["type"] == "transcript")
    if not finals:
        found.append("no final transcript stored")
    errors = sum(c["events"] for c in status["counts"] if c["type"] == "error")
    if errors:
        found.append(f"{errors} error event(s) from the pipeline's stages")
    total = next((hop for hop in status["latency"] if hop["hop"] == TOTAL), None)
    if total and total["p95"] > LIVE_LATENCY_TARGET_S:
        found.append(f"end-to-end latency p95 {total['p95']:.1f} s (live captions aim for {LIVE_LATENCY_TARGET_S:g} s or less)")
    return found
