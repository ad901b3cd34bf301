"""Catalogue entries: what a model is, where its publisher serves it, and how to find one.

The built-in catalogue comes from the publisher tables (`whisper_entries`,
`bergamot_entries`, `ct2_entries`, `piper_entries`). `LT_MODEL_CATALOG` names
extra catalogue files (JSON, a list of entries in the shape `Entry.to_dict`
writes; several paths separated by `os.pathsep`): a company's own models, or
the local test server's. An extra entry with a built-in name replaces it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from lt.errors import ExitCode, LtError

KINDS = ("asr", "mt", "tts")
# Older spellings of the kinds, still accepted by `lt models --kind`.
KIND_ALIASES = {"whisper": "asr", "translation": "mt", "voice": "tts", "speech": "tts"}


@dataclass(frozen=True)
class RemoteFile:
    """One file of a model as its publisher serves it.

    `sha256` and `size` are of the bytes at `url` (the compressed file when
    `gzip`), as the publisher lists them; None where it lists none.
    `optional` files may be missing at the publisher (a 404 is not an error)."""

    url: str
    path: str
    size: int | None = None
    sha256: str | None = None
    gzip: bool = False
    optional: bool = False

    @property
    def remote_name(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # asr, mt or tts
    engine: str  # whisper, bergamot, ct2 or piper
    install_name: str  # its directory under the kind's models directory
    publisher: str
    licence: str
    languages: tuple[str, ...]
    files: tuple[RemoteFile, ...]
    # mt only: the directions it translates; empty means every pair among `languages`.
    pairs: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()
    page: str = ""
    approx_size: int | None = None  # for display when the exact sizes are not all published
    checked: bool = False  # URLs and checksums checked against the publisher's documentation
    note: str = ""

    @property
    def exact_size(self) -> int | None:
        """Bytes to download, when the publisher lists the size of every file."""
        sizes = [f.size for f in self.files if not f.optional]
        return sum(sizes) if sizes and None not in sizes else None

    @property
    def size(self) -> int | None:
        """Bytes to download: exact when every file's size is published, else the estimate."""
        exact = self.exact_size
        return exact if exact is not None else self.approx_size

    def covers(self, source: str, target: str) -> bool:
        if self.kind != "mt":
            return False
        if self.pairs:
            return (source, target) in self.pairs
        return source in self.languages and target in self.languages and source != target

    def to_dict(self) -> dict:
        data = asdict(self)
        data["pairs"] = [list(p) for p in self.pairs]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Entry:
        files = tuple(RemoteFile(**f) for f in data["files"])
        known = {f for f in cls.__dataclass_fields__}
        rest = {k: v for k, v in data.items() if k in known and k not in ("files", "pairs", "languages", "aliases")}
        entry = cls(
            **rest,
            files=files,
            languages=tuple(data.get("languages", ())),
            pairs=tuple(tuple(p) for p in data.get("pairs", ())),
            aliases=tuple(data.get("aliases", ())),
        )
        if entry.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        return entry


@dataclass
class Catalogue:
    entries: dict[str, Entry] = field(default_factory=dict)

    def add(self, entry: Entry) -> None:
        self.entries[entry.name] = entry

    def get(self, name: str) -> Entry | None:
        """An entry by its name or one of its aliases (case-insensitive)."""
        wanted = name.strip().lower()
        for entry in self.entries.values():
            if entry.name.lower() == wanted or wanted in (a.lower() for a in entry.aliases):
                return entry
        return None

    def require(self, name: str) -> Entry:
        entry = self.get(name)
        if entry is None:
            raise LtError(
                f"no model called {name!r} in the catalogue",
                hint="lt models available lists every name (filter with --kind and --lang)",
                code=ExitCode.USAGE,
            )
        return entry

    def select(self, kind: str | None = None, lang: str | None = None) -> list[Entry]:
        return [
            e for e in self.entries.values()
            if (kind is None or e.kind == kind) and (lang is None or lang in e.languages)
        ]

    def translating(self, source: str, target: str) -> list[Entry]:
        """Entries that translate source->target directly, smallest download first."""
        found = [e for e in self.entries.values() if e.covers(source, target)]
        return sorted(found, key=_preference)


def _preference(entry: Entry) -> tuple:
    # Bergamot first (small, fast on a CPU, one direction each), then by size.
    return (entry.engine != "bergamot", entry.size or 1 << 62, entry.name)


@cache
def builtin() -> tuple[Entry, ...]:
    from lt.catalog import bergamot_entries, ct2_entries, piper_entries, whisper_entries

    return (
        *whisper_entries.entries(), *bergamot_entries.entries(),
        *ct2_entries.entries(), *piper_entries.entries(),
    )


def catalogue() -> Catalogue:
    """The built-in entries plus those of every file in LT_MODEL_CATALOG."""
    result = Catalogue()
    for entry in builtin():
        result.add(entry)
    for path in filter(None, os.environ.get("LT_MODEL_CATALOG", "").split(os.pathsep)):
        for entry in _read_catalogue_file(Path(path).expanduser()):
            result.add(entry)
    return result


def _read_catalogue_file(path: Path) -> list[Entry]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Entry.from_dict(item) for item in data]
    except OSError as exc:
        raise LtError(f"cannot read the catalogue file {path} (LT_MODEL_CATALOG): {exc.strerror}") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise LtError(
            f"{path} (LT_MODEL_CATALOG) is not a model catalogue: {exc}",
            hint="a JSON list of entries with name, kind, engine, install_name, publisher, licence, languages, files",
        ) from None


def normal_kind(kind: str | None) -> str | None:
    if kind is None:
        return None
    normal = KIND_ALIASES.get(kind.lower(), kind.lower())
    if normal not in KINDS:
        raise LtError(f"unknown model kind {kind!r}", hint="use --kind asr, mt or tts", code=ExitCode.USAGE)
    return normal
