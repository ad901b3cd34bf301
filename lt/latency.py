"""The end-to-end latency trace, computed from the `t` stamps every stage adds.

A final transcript or translation collects one wall-clock stamp per stage:
`capture` (the moment the audio of its last word had arrived — the word's end,
for a live source), then `transcribe`, `translate`, `store` (its batch
committed) and `frame` (the first video frame that showed it). A hop is the
time between one stamped stage and the next one present; `total` runs from
the word's end to the last stage that stamped it.

`stable_words` is what a viewer of live captions waits for: per word of the
finals, from its end in the audio to the first transcript (a partial whose
stable prefix holds it, or its final) that reached its last stage with it:
the frame that showed it, where the overlay's trace is stored, else the
latest stage that stamped it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lt.events import CAPTURE, TRACE_STAGES

STAGES = TRACE_STAGES
TOTAL = "total"


def hops(t: Mapping[str, float]) -> dict[str, float]:
    """Seconds from the previous stamped stage to each stage; `total` from capture to the last stage."""
    present = [stage for stage in STAGES if isinstance(t.get(stage), (int, float))]
    out = {later: t[later] - earlier_t for later, earlier_t in zip(present[1:], (t[s] for s in present))}
    if len(present) > 1 and present[0] == CAPTURE:
        out[TOTAL] = t[present[-1]] - t[CAPTURE]
    return out


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), without numpy."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class HopSummary:
    hop: str
    count: int
    p50: float
    p95: float
    max: float


def caption_paths(events: Iterable[Mapping]) -> list[Mapping]:
    """One event per caption (session, seg): of its final transcript and translations, the one
    that went through the most stages, so a caption is counted once, along its longest path."""
    best: dict[tuple, Mapping] = {}
    for event in events:
        if event.get("type") not in ("transcript", "translation") or not event.get("final"):
            continue
        key = (event.get("session"), event.get("seg"))
        stamps = event.get("t") or {}
        known = best.get(key)
        if known is None or len(stamps) > len(known.get("t") or {}):
            best[key] = event
    return list(best.values())


def stable_words(events: Iterable[Mapping]) -> list[float]:
    """Seconds from each final word's audio end to the first event that showed it stable."""
    transcripts = [e for e in events if e.get("type") == "transcript" and isinstance((e.get("t") or {}).get(CAPTURE), (int, float))]
    shown: dict[tuple, float] = {}
    for e in transcripts:
        when = _last_stamp(e["t"])
        words = e.get("words") or []
        for w in words[: len(words) if e.get("final") else e.get("stable") or 0]:
            key = (e.get("session"), w.get("start"), w.get("w"))
            shown[key] = min(shown.get(key, when), when)
    return [
        shown[(e.get("session"), w.get("start"), w.get("w"))] - (e["t"][CAPTURE] - (e["end"] - w["end"]))
        for e in transcripts if e.get("final") and isinstance(e.get("end"), (int, float))
        for w in e.get("words") or [] if isinstance(w.get("end"), (int, float))
    ]


def _last_stamp(t: Mapping[str, float]) -> float:
    return next(t[stage] for stage in reversed(STAGES) if isinstance(t.get(stage), (int, float)))


def summarize(events: Iterable[Mapping]) -> list[HopSummary]:
    """p50/p95/max per hop over the captions among `events` (JSON dicts), each along its longest path."""
    samples: dict[str, list[float]] = {}
    for event in caption_paths(events):
        for hop, seconds in hops(event.get("t") or {}).items():
            samples.setdefault(hop, []).append(seconds)
    order = [*STAGES, TOTAL]
    return [
        HopSummary(hop, len(values), percentile(values, 50), percentile(values, 95), max(values))
        for hop, values in sorted(samples.items(), key=lambda item: order.index(item[0]))
    ]
