"""Bundles for machines without a network: `lt models pack` and `lt models unpack`.

A bundle is a tar archive (streamable, so `-o -` and `unpack -` work in a pipe):

- `lt-bundle.json` first: format version, lt version, time, and per model
  its catalogue manifest, which lists every file with its size and sha256;
- then `models/<kind>/<directory>/<file>` for every file of every model.

Unpacking reads the manifest, writes each model aside while hashing, and
moves a model into place only when every file matches; anything else in the
archive, a path that leaves its model directory, or a mismatch refuses the
bundle and installs nothing from it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from lt import __version__
from lt.catalog.download import BLOCK
from lt.catalog.install import check_layout, install_directory
from lt.catalog.entries import KINDS
from lt.catalog.installed import InstalledModel, kind_dir, write_manifest
from lt.errors import LtError

BUNDLE_MANIFEST = "lt-bundle.json"
FORMAT = 1


def pack(models: Sequence[InstalledModel], out: BinaryIO) -> int:
    """Writes the bundle of `models` to `out`; returns the bytes of model files packed."""
    header = {
        "format": FORMAT, "lt_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "models": [{"directory": m.path.name, "manifest": m.manifest} for m in models],
    }
    packed = 0
    with tarfile.open(fileobj=out, mode="w|") as tar:
        data = json.dumps(header, indent=2, ensure_ascii=False).encode()
        info = tarfile.TarInfo(BUNDLE_MANIFEST)
        info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
        tar.addfile(info, io.BytesIO(data))
        for model in models:
            for relative in model.manifest.get("files", {}):
                source = model.path / relative
                if not source.is_file():
                    raise LtError(f"{model.name}: {relative} is missing", hint="lt models verify shows what is wrong; lt models add --force NAME repairs it")
                tar.add(source, arcname=_member(model.kind, model.path.name, relative), recursive=False)
                packed += source.stat().st_size
    return packed


def _member(kind: str, directory: str, relative: str) -> str:
    return f"models/{kind}/{directory}/{relative}"


@dataclass
class _Incoming:
    kind: str
    directory: str
    manifest: dict
    staging: Path
    seen: dict[str, str] = field(default_factory=dict)  # relative path -> sha256 written


def unpack(source: BinaryIO, label: str) -> list[InstalledModel]:
    """Installs every model of the bundle read from `source`, or none of them."""
    models: list[_Incoming] = []
    try:
        with tarfile.open(fileobj=source, mode="r|*") as tar:
            header, found = _read_header(tar, label)
            models.extend(found)
            incoming = {
                _member(m.kind, m.directory, relative): (m, relative)
                for m in models for relative in m.manifest.get("files", {})
            }
            for member in tar:
                if member is not header:  # a streamed archive yields its first member again
                    _extract(tar, member, incoming, label)
        for model in models:
            _check(model, label)
    except tarfile.TarError as exc:
        _clean(models)
        raise LtError(f"{label} is not a model bundle: {exc}", hint="make one with lt models pack NAMES -o models.tar") from None
    except BaseException:
        _clean(models)
        raise
    installed = []
    for model in models:
        target = kind_dir(model.kind) / model.directory
        install_directory(model.staging, target)
        installed.append(InstalledModel(model.manifest["name"], model.kind, model.manifest.get("engine", ""), target, model.manifest))
    return installed


def _read_header(tar: tarfile.TarFile, label: str) -> tuple[tarfile.TarInfo, list[_Incoming]]:
    first = tar.next()
    if first is None or first.name != BUNDLE_MANIFEST or not first.isfile():
        raise LtError(f"{label} is not a model bundle (it does not start with {BUNDLE_MANIFEST})",
                      hint="make one with lt models pack NAMES -o models.tar")
    try:
        header = json.loads(tar.extractfile(first).read())
        entries = header["models"]
        if header.get("format") != FORMAT:
            raise ValueError(f"format {header.get('format')!r}, this lt reads {FORMAT}")
    except (ValueError, KeyError, TypeError) as exc:
        raise LtError(f"{label}: its {BUNDLE_MANIFEST} is unreadable ({exc})") from None
    for entry in entries:
        kind = entry["manifest"].get("kind")
        if kind not in KINDS or not _plain_name(entry["directory"]):
            raise LtError(f"{label}: model {entry['manifest'].get('name')!r} has a bad kind or directory")
    models = []
    for entry in entries:
        manifest, directory = entry["manifest"], entry["directory"]
        parent = kind_dir(manifest["kind"])
        parent.mkdir(parents=True, exist_ok=True)
        staging = parent / f".unpacking-{directory}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        models.append(_Incoming(manifest["kind"], directory, manifest, staging))
    return first, models


def _plain_name(name: str) -> bool:
    return bool(name) and "/" not in name and name not in (".", "..") and not name.startswith(".")


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, incoming: dict, label: str) -> None:
    if member.name not in incoming or not member.isfile():
        raise LtError(f"{label}: unexpected member {member.name!r}; nothing was installed",
                      hint="a bundle holds only the files its manifest lists")
    model, relative = incoming[member.name]
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("..", "") for p in parts) or PurePosixPath(relative).is_absolute():
        raise LtError(f"{label}: {member.name!r} leaves its model directory; nothing was installed")
    out = model.staging / relative
    out.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tar.extractfile(member) as src, open(out, "wb") as dst:
        while block := src.read(BLOCK):
            digest.update(block)
            dst.write(block)
    model.seen[relative] = digest.hexdigest()


def _check(model: _Incoming, label: str) -> None:
    name = model.manifest.get("name")
    for relative, info in model.manifest.get("files", {}).items():
        if relative not in model.seen:
            raise LtError(f"{label}: {name}/{relative} is missing from the bundle; nothing was installed")
        if model.seen[relative] != info.get("sha256"):
            raise LtError(
                f"{label}: {name}/{relative} does not match its checksum; nothing was installed",
                hint="the bundle was damaged on the way: copy it again",
            )
    pairs = model.manifest.get("pairs") or []
    check_layout(model.manifest.get("engine", ""), model.staging, tuple(pairs[0]) if len(pairs) == 1 else None)
    write_manifest(model.staging, {**model.manifest, "source": "bundle"})


def _clean(models: list[_Incoming]) -> None:
    for model in models:
        shutil.rmtree(model.staging, ignore_errors=True)
