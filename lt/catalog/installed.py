"""Where each kind of model lives, and which catalogue models are installed there.

Layout (unchanged from before the catalogue, so hand-made models keep working):

- `LT_HOME/models/<name>/`: Whisper (CTranslate2), e.g. `small/`, found by `--model small`;
- `LT_HOME/models/translate/<dir>/` (or `LT_TRANSLATE_MODELS`): translation models,
  CTranslate2 or Bergamot; `<src>-<tgt>/` names a one-pair model made by hand;
- `LT_HOME/models/tts/<voice>/`: a Piper voice, `<voice>.onnx` and `<voice>.onnx.json`.

A model that `lt models add` or `unpack` installed carries `lt-model.json`:
the entry it came from, where each file was fetched, and the sha256 of every
installed file, which `lt models verify` checks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from lt.home import lt_home

MANIFEST = "lt-model.json"
# Directories lt writes next to models while it works; never models themselves.
WORK_PREFIX = "."


def models_root() -> Path:
    return lt_home() / "models"


def translation_dir() -> Path:
    configured = os.environ.get("LT_TRANSLATE_MODELS")
    return Path(configured).expanduser() if configured else models_root() / "translate"


def kind_dir(kind: str) -> Path:
    if kind == "mt":
        return translation_dir()
    if kind == "tts":
        return models_root() / "tts"
    return models_root()


def partial_dir() -> Path:
    """Downloads in progress, kept between runs so the next `lt models add` resumes them."""
    return models_root() / ".partial"


@dataclass(frozen=True)
class InstalledModel:
    name: str
    kind: str
    engine: str
    path: Path
    manifest: dict

    @property
    def size(self) -> int:
        return sum(f.get("size", 0) for f in self.manifest.get("files", {}).values())


def read_manifest(path: Path) -> dict | None:
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "name" in data else None


def write_manifest(path: Path, manifest: dict) -> None:
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def model_dirs(directory: Path) -> list[Path]:
    """The model directories in `directory`, without lt's own work directories."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(WORK_PREFIX))


def installed(kind: str | None = None) -> list[InstalledModel]:
    """Every model a catalogue install left, of one kind or all."""
    found = []
    for each in ("asr", "mt", "tts"):
        if kind not in (None, each):
            continue
        for path in model_dirs(kind_dir(each)):
            manifest = read_manifest(path)
            if manifest is not None and manifest.get("kind") == each:
                found.append(InstalledModel(manifest["name"], each, manifest.get("engine", ""), path, manifest))
    return found


def find_installed(name: str) -> InstalledModel | None:
    """An installed model by its catalogue name or one of its aliases."""
    wanted = name.strip().lower()
    for model in installed():
        names = [model.name, *model.manifest.get("aliases", ())]
        if wanted in (n.lower() for n in names):
            return model
    return None
