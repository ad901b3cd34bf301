"""Installing a catalogue model: fetch every file, verify, assemble aside, then one rename into place.

Files arrive in `LT_HOME/models/.partial/<entry>/` (a `.part` while coming,
kept for the next run to resume). Only when every file has passed its
checksum is the model assembled (gzip files unpacked) in a hidden directory
next to its final place, checked to be a model its engine can load, given
its `lt-model.json`, and renamed into place. A reader of the models
directory therefore sees no model or a whole one, never half of one.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from lt import __version__
from lt.catalog.download import BLOCK, FetchSettings, Fetched, NotFound, Progress, fetch, file_sha256
from lt.catalog.entries import Entry, RemoteFile
from lt.catalog.installed import (
    InstalledModel, find_installed, kind_dir, partial_dir, read_manifest, write_manifest,
)
from lt.errors import ExitCode, LtError

MIRROR_ENV = "LT_MODEL_MIRROR"


@dataclass(frozen=True)
class AddSettings:
    mirror: str | None = None
    force: bool = False
    fetch: FetchSettings = field(default_factory=FetchSettings)


def mirror_from_env() -> str | None:
    return os.environ.get(MIRROR_ENV) or None


def source_url(entry: Entry, file: RemoteFile, mirror: str | None) -> str:
    """The publisher's URL, or the same file on a mirror: MIRROR/<entry name>/<file name>."""
    if not mirror:
        return file.url
    return f"{mirror.rstrip('/')}/{entry.name}/{file.remote_name}"


def target_dir(entry: Entry) -> Path:
    return kind_dir(entry.kind) / entry.install_name


def add(entry: Entry, progress: Progress, settings: AddSettings = AddSettings()) -> tuple[InstalledModel, bool]:
    """Installs `entry`; returns the installed model and whether anything was fetched."""
    target = target_dir(entry)
    current = read_manifest(target)
    if current is not None and current.get("name") == entry.name and not settings.force:
        return _installed(target), False
    if target.exists() and current is None and not settings.force:
        raise LtError(
            f"{target} already exists and was not installed by lt models add",
            hint=f"move it away, or replace it with: lt models add --force {entry.name}",
        )
    work = partial_dir() / entry.name
    with _only_one_fetch(work, entry.name):
        fetched = {f.path: got for f in entry.files if (got := _fetch_one(entry, f, work, progress, settings))}
        staging = _assemble(entry, fetched, settings.mirror)
        install_directory(staging, target)
    shutil.rmtree(work, ignore_errors=True)
    return _installed(target), True


@contextlib.contextmanager
def _only_one_fetch(work: Path, name: str):
    """Two `lt models add` of one model at once would write the same partial files."""
    work.mkdir(parents=True, exist_ok=True)
    with open(work / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LtError(f"another lt models add is fetching {name} right now",
                          hint="wait for it to finish; it installs the model for both") from None
        yield


def _fetch_one(entry: Entry, file: RemoteFile, work: Path, progress: Progress, settings: AddSettings) -> dict | None:
    """A verified local copy of one file (reused from an earlier run when still intact)."""
    url = source_url(entry, file, settings.mirror)
    label = f"{entry.name}/{file.remote_name}"
    done, record = work / file.remote_name, work / f"{file.remote_name}.fetched.json"
    reused = _reusable(done, record, url)
    if reused is not None:
        progress.finish(label, "already fetched and verified")
        return reused
    try:
        got = fetch(url, work / f"{file.remote_name}.part", sha256=file.sha256, size=file.size,
                    label=label, progress=progress, settings=settings.fetch)
    except NotFound:
        if file.optional:
            progress.finish(label, "not published for this model (optional, skipped)")
            return None
        raise
    got.path.replace(done)
    info = {"url": url, "path": str(done), "sha256": got.sha256, "size": got.size, "checked": got.checked_against}
    record.write_text(json.dumps(info))
    progress.finish(label, _fetched_message(got))
    return info


def _reusable(done: Path, record: Path, url: str) -> dict | None:
    try:
        info = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    if info.get("url") != url or not done.is_file() or file_sha256(done)[0] != info.get("sha256"):
        return None
    return info


def _fetched_message(got: Fetched) -> str:
    resumed = f", resumed at {got.resumed_from / 1e6:.1f} MB" if got.resumed_from else ""
    if got.checked_against:
        return f"{got.size / 1e6:.1f} MB, sha256 matches the {got.checked_against}{resumed}"
    return f"{got.size / 1e6:.1f} MB, no published checksum: sha256 {got.sha256[:12]}... recorded{resumed}"


def _assemble(entry: Entry, fetched: dict[str, dict], mirror: str | None) -> Path:
    target = target_dir(entry)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".staging-{entry.install_name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        files = {}
        for file in entry.files:
            if file.path in fetched:
                files[file.path] = _place(file, fetched[file.path], staging)
        check_layout(entry.engine, staging, entry.pairs[0] if len(entry.pairs) == 1 else None)
        write_manifest(staging, manifest_for(entry, files, "mirror" if mirror else "publisher"))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _place(file: RemoteFile, info: dict, staging: Path) -> dict:
    source, out = Path(info["path"]), staging / file.path
    out.parent.mkdir(parents=True, exist_ok=True)
    if file.gzip:
        digest = hashlib.sha256()
        try:
            with gzip.open(source, "rb") as src, open(out, "wb") as dst:
                while block := src.read(BLOCK):
                    digest.update(block)
                    dst.write(block)
        except (OSError, EOFError) as exc:
            raise LtError(f"{file.remote_name} is not a valid gzip file ({exc})", hint="lt models add --force NAME fetches it again") from None
        sha256 = digest.hexdigest()
    else:
        shutil.copyfile(source, out)
        sha256 = info["sha256"]
    return {
        "sha256": sha256, "size": out.stat().st_size, "url": info["url"],
        "fetched_sha256": info["sha256"], "checked": info["checked"],
    }


def manifest_for(entry: Entry, files: dict[str, dict], source: str) -> dict:
    return {
        "name": entry.name, "kind": entry.kind, "engine": entry.engine, "aliases": list(entry.aliases),
        "languages": list(entry.languages), "pairs": [list(p) for p in entry.pairs],
        "publisher": entry.publisher, "licence": entry.licence, "page": entry.page, "source": source,
        "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "lt_version": __version__,
        "files": files,
    }


def check_layout(engine: str, path: Path, pair: tuple[str, str] | None) -> None:
    """LtError unless `path` holds a model its engine can load (the weights are not read)."""
    if engine == "whisper":
        missing = [n for n in ("model.bin", "config.json") if not (path / n).is_file()]
        if missing or not any(path.glob("vocabulary.*")):
            raise LtError(f"the downloaded files do not make a Whisper model (missing {', '.join(missing) or 'vocabulary'})")
    elif engine == "bergamot":
        from lt.mt.bergamot import inspect_bergamot

        inspect_bergamot(path, pair)
    elif engine == "ct2":
        from lt.mt.ct2 import inspect_model

        inspect_model(path, pair)
    elif engine == "piper":
        onnx = list(path.glob("*.onnx"))
        if len(onnx) != 1 or not onnx[0].with_name(onnx[0].name + ".json").is_file():
            raise LtError(f"{path} is not a Piper voice (one VOICE.onnx and VOICE.onnx.json)")


def install_directory(staging: Path, target: Path) -> None:
    """Moves a fully checked model directory into place with one rename (unpack uses it too)."""
    if not target.exists():
        staging.rename(target)
        return
    old = target.with_name(f".old-{target.name}-{os.getpid()}")
    target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _installed(path: Path) -> InstalledModel:
    manifest = read_manifest(path) or {}
    return InstalledModel(manifest["name"], manifest["kind"], manifest.get("engine", ""), path, manifest)


def remove(name: str) -> InstalledModel:
    model = find_installed(name)
    if model is None:
        raise LtError(f"no installed model called {name!r}", hint="lt models lists what is installed", code=ExitCode.ERROR)
    doomed = model.path.with_name(f".removing-{model.path.name}-{os.getpid()}")
    model.path.rename(doomed)  # gone from the models directory at once, even if deleting takes a while
    shutil.rmtree(doomed)
    shutil.rmtree(partial_dir() / model.name, ignore_errors=True)
    return model


def verify(model: InstalledModel) -> list[str]:
    """What is wrong with an installed model: missing, resized or changed files, or a broken layout."""
    problems = []
    for relative, info in model.manifest.get("files", {}).items():
        path = model.path / relative
        if not path.is_file():
            problems.append(f"{relative} is missing")
            continue
        digest, size = file_sha256(path)
        if size != info.get("size") or digest != info.get("sha256"):
            problems.append(f"{relative} changed (sha256 {digest[:12]}..., expected {str(info.get('sha256'))[:12]}...)")
    if not problems:
        pairs = model.manifest.get("pairs") or []
        try:
            check_layout(model.engine, model.path, tuple(pairs[0]) if len(pairs) == 1 else None)
        except LtError as exc:
            problems.append(exc.message)
    return problems
