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
- `normal(text)`: lowercase, punctuation to spaces (apostrophes kept), one
  space between words: the normalisation WER is computed on.
- `wer(reference, hypothesis)`: jiwer's word error rate of the two, normalised.

    from stream_metrics import latency, wer   # bench/ is on sys.path when a bench runs as a script
    latency([(1.2, t0 + 2.0, t0 + 3.1), (1.5, t0 + 2.0, None)], t0)  # {'p50': 0.65, 'p95': 0.785, 'max': 0.8, 'n': 2}
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from lt.latency import percentile

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


def normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return jiwer.wer(normal(reference), normal(hypothesis))
