"""The one protocol every translation engine implements."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Protocol


class Engine(str, enum.Enum):
    """Which engines may translate (`RouterSettings.engine`)."""

    auto = "auto"  # per pair: a CTranslate2 model, else Bergamot, else the bundled engine, else a pivot
    ct2 = "ct2"
    bergamot = "bergamot"


class Translator(Protocol):
    """Translates batches of sentences between the language pairs it supports.

    `engine` names the kind ("ct2", "bergamot"); `model` names the model used,
    so a translation event can say what produced it. `load()` readies the
    model, so problems show at start-up and the first sentence is not slow."""

    engine: str
    model: str

    def supports(self, source: str, target: str) -> bool: ...

    def load(self) -> None: ...

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]: ...
