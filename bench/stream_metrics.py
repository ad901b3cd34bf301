"""One latency definition and one WER for every streaming benchmark, lt's and its peers'.

Audio is fed on the wall clock from `t0` (the wall time its first sample was
released), so the audio up to second `s` has arrived at wall time `t0 + s`.
A word's latency is the wall time it was first shown committed (or final)
minus the moment the audio up to its end had arrived:

    latency = shown_wall - (t0 + audio_end)

Interface, four functions:

- `latency(words, t0, which="committed")` takes one `(audio_end, committed_wall,
  final_wall)` tuple per word the system output (either wall time may be
  None: never shown so) and returns `{"p50", "p95", "max", "n"}` in
  seconds over the words that have a `which` time ("committed" or "final");
  `n` is how many did.
- `spread(seconds)`: the same summary of latencies computed some other way
  (e.g. a peer's "first shown, tentative or committed").
- `normal(text)` and `wer(reference, hypothesis)`: lt's one normalisation and
  word error rate (`lt.wer`, the same as `lt score`), re-exported here.

    from stream_metrics import latency, wer   # bench/ is on sys.path when a bench runs as a script
    latency([(1.2, t0 + 2.0, t0 + 3.1), (1.5, t0 + 2.0, None)], t0)  # {'p50': 0.65, 'p95': 0.785, 'max': 0.8, 'n': 2}
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from lt.latency import percentile
from lt.wer import normal, wer

__all__ = ["latency", "normal", "spread", "wer"]

Word = tuple[float, float | None, float | None]  # audio_end, committed_wall, final_wall
WHICH = {"committed": 1, "final": 2}


def latency(words: Iterable[Word], t0: float, which: str = "committed") -> dict:
    """p50/p95/max seconds from each word's end arriving to it shown `which` (committed or final)."""
    index = WHICH[which]
    return spread([w[index] - (t0 + w[0]) for w in words if w[index] is not None])


def spread(seconds: list[float]) -> dict:
    """p50/p95/max of latencies already computed, and how many (`n`); NaN where there are none."""
    return {
        "p50": percentile(seconds, 50),
        "p95": percentile(seconds, 95),
        "max": max(seconds) if seconds else math.nan,
        "n": len(seconds),
    }
