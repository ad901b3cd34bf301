"""How many CPU threads a model gets when the user does not say (`--threads 0`)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_threads() -> int:
    """Half the cores, at most 4, for every model stage: in a live pipeline transcription and
    translation each run a model beside the overlay. On the 2-core machine measured, one thread
    also decoded a stream faster than two: a streaming decode is many small beam-search steps,
    and a second thread cost more in synchronisation than it saved (docs/transcribe.md, "One
    thread")."""
    return max(1, min(4, usable_cores() // 2))


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """numpy's BLAS on one thread unless the user says otherwise; call it before numpy loads.

    lt's heavy matrix work runs in CTranslate2 and onnxruntime, sized by `--threads`. What numpy
    multiplies is small (the feature extractor's mel filter bank), and OpenBLAS's own pool spun a
    second core for it: a streaming decode took 28 % more CPU, CPU the other stages need."""
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")
