"""What `lt jobs submit` turns into jobs: files, globs, directories, `-` (paths on stdin),
or stored sessions matched by id or pattern."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lt.errors import LtError
from lt.events import new_session_id

if TYPE_CHECKING:
    import psycopg

# What a directory is searched for; a file named on its own is taken whatever its name.
AUDIO_SUFFIXES = frozenset({
    ".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".wma", ".aif", ".aiff",
    ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi",
})
_GLOB = re.compile(r"[*?\[]")


def expand_paths(items: Iterable[str], stdin: TextIO | None = None) -> list[str]:
    """Absolute paths (and URLs) in the order given, each once; LtError names what matches nothing."""
    found: dict[str, None] = {}
    for item in items:
        for path in _expand(item, stdin):
            found.setdefault(path, None)
    return list(found)


def _expand(item: str, stdin: TextIO | None) -> list[str]:
    if item == "-":
        if stdin is None:
            raise LtError("- means paths on stdin, but there is no stdin", hint="pipe the paths in: find ... | lt jobs submit -")
        return [path for line in stdin for path in _expand_listed(line.strip())]
    if "://" in item:
        return [item]
    if os.path.isdir(item):
        return _audio_files(Path(item))
    if os.path.exists(item):
        return [os.path.abspath(item)]
    if _GLOB.search(item):
        matches = sorted(p for p in glob.glob(os.path.expanduser(item), recursive=True) if os.path.isfile(p))
        if not matches:
            raise LtError(f"no file matches {item!r}", hint="check the pattern; quote it so lt, not the shell, expands **")
        return [os.path.abspath(p) for p in matches]
    raise LtError(f"no such file: {item}", hint="name files, directories, globs, or - to read paths from stdin")


def _expand_listed(line: str) -> list[str]:
    if not line or line.startswith("#"):
        return []
    if line == "-":
        raise LtError("a path read from stdin is '-'", hint="list file paths on stdin, one a line")
    return _expand(line, None)


def _audio_files(folder: Path) -> list[str]:
    files = sorted(str(p.resolve()) for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise LtError(f"{folder} holds no audio or video files", hint=f"lt looks for {', '.join(sorted(AUDIO_SUFFIXES))}")
    return files


def match_sessions(conn: psycopg.Connection, query: str) -> list[str]:
    """Stored sessions by id or pattern (`*`, `?`; several separated by commas), oldest first."""
    found: dict[str, None] = {}
    for pattern in filter(None, (p.strip() for p in query.split(","))):
        rows = conn.execute(
            "SELECT session FROM sessions WHERE session LIKE %s ESCAPE '\\' "
            "ORDER BY coalesce(started_at, first_received), session",
            (_like(pattern),),
        ).fetchall()
        if not rows:
            raise LtError(f"no stored session matches {pattern!r}", hint="`lt sessions` lists the stored sessions")
        for (session,) in rows:
            found.setdefault(session, None)
    return list(found)


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def file_session(path: str) -> str:
    """A new session id for a job on `path`: sortable by submission time, readable by file name."""
    stem = Path(path.split("?")[0].rstrip("/")).stem or "stream"
    return f"{new_session_id()}-{slug(stem)}"


def rerun_session(source: str, model: str | None, language: str | None) -> str:
    """Where a re-run stores: the source session itself when it only translates; else a session
    named for the source and the model, so re-running the same thing twice stores nothing twice."""
    if model is None:
        return source
    return "-".join([source, slug(Path(model).name or model), *([slug(language)] if language else [])])


def slug(text: str, limit: int = 60) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:limit] or "x"
