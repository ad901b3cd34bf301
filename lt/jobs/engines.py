"""Models a worker keeps loaded between jobs, and the fallback down a chain of Whisper models.

A loaded model is lent to one job at a time and returned for the next, so a
worker running N jobs at once holds at most N copies of a model. A model
that failed to load is remembered (with why) for the life of the worker, so
later jobs fall back at once instead of failing the same way again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lt.errors import LtError, redact
from lt.jobs.spec import JobSpec

log = logging.getLogger("lt.worker")


class NoModel(LtError):
    """No model of the job's chain could load."""


@dataclass(frozen=True)
class Loaded:
    engines: Any  # lt.asr.stage.Engines
    model: str
    fallbacks: list[dict[str, str]] = field(default_factory=list)


class EnginePool:
    def __init__(self, device: str = "auto", compute_type: str = "auto"):
        self.device = device
        self.compute_type = compute_type
        self._idle: dict[tuple, list[Any]] = {}
        self._broken: dict[tuple, str] = {}
        self._lock = threading.Lock()

    @contextmanager
    def whisper(self, spec: JobSpec) -> Iterator[Loaded]:
        """The first model of the job's chain that loads, lent for the job."""
        fallbacks: list[dict[str, str]] = []
        for model in spec.models():
            try:
                engines = self._take(("whisper", model, spec.language), lambda: self._load_whisper(model, spec.language))
            except Exception as exc:  # out of memory, missing, corrupt: every way a model fails to load
                reason = self._remember((model, spec.language), exc)
                fallbacks.append({"model": model, "error": reason})
                log.warning("model %s cannot load (%s); falling back", model, reason)
                continue
            try:
                yield Loaded(engines, model, fallbacks)
            finally:
                self._give_back(("whisper", model, spec.language), engines)
            return
        tried = "; ".join(f"{f['model']}: {f['error']}" for f in fallbacks)
        raise NoModel(f"no Whisper model of the chain could load ({tried})", hint="install or name a model the worker has (lt models)")

    @contextmanager
    def router(self, spec: JobSpec) -> Iterator[Any]:
        """A translation router for the job's targets, lent for the job."""
        key = ("router", spec.targets, spec.translate_models)
        router = self._take(key, lambda: self._load_router(spec))
        try:
            yield router
        finally:
            self._give_back(key, router)

    def _take(self, key: tuple, load) -> Any:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
            if key[0] == "whisper" and key[1:] in self._broken:
                raise LtError(self._broken[key[1:]])
        return load()

    def _give_back(self, key: tuple, item: Any) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(item)

    def _remember(self, key: tuple, exc: BaseException) -> str:
        reason = exc.message if isinstance(exc, LtError) else redact(f"{type(exc).__name__}: {exc}")
        with self._lock:
            self._broken[key] = reason
        return reason

    def _load_whisper(self, model: str, language: str | None) -> Any:
        from lt.asr.stage import TranscribeSettings, load_engines

        log.info("loading Whisper model %s", model)
        return load_engines(TranscribeSettings(
            model=model, mode="batch", language=language, device=self.device, compute_type=self.compute_type,
        ))

    def _load_router(self, spec: JobSpec) -> Any:
        from lt.mt.ct2 import Ct2Settings
        from lt.mt.router import RouterSettings, build_router

        router = build_router(RouterSettings(
            model_options=spec.translate_models, ct2=Ct2Settings(device=self.device, compute_type=self.compute_type),
        ))
        router.warm(spec.targets)
        return router
