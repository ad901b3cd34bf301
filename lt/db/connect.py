"""Which PostgreSQL to use, and connections to it.

`--db` / `LT_DATABASE_URL` names any server. Without one, lt starts an
embedded PostgreSQL (the `pgserver` package) with its data directory in
`LT_HOME/pg`: private to the user (mode 0700), reached through a Unix socket
in that directory only (no TCP port), shared by every lt process of the user,
and left running after a command so the next one starts fast (`lt db stop`
stops it).

Connection strings are shown masked (`redact`) everywhere except
`lt db url --show-password`.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus, unquote

from lt.errors import ExitCode, LtError, missing_extra, redact
from lt.home import lt_home

if TYPE_CHECKING:
    import psycopg

ENV_URL = "LT_DATABASE_URL"
CONNECT_TIMEOUT_S = 10
START_ATTEMPTS = 3

log = logging.getLogger("lt.db")


@dataclass(frozen=True)
class Target:
    """A database to connect to; `embedded` is the data directory when lt runs the server."""

    url: str
    embedded: Path | None = None

    def masked(self) -> str:
        return redact(self.url)

    def scrub(self, text: str) -> str:
        """`text` (an error from the driver, say) with this target's password masked, in any spelling."""
        secret = _password(self.url)
        if secret and len(secret) >= 4:  # a shorter one would mask half the message; redact() still runs
            for spelling in {secret, quote(secret), quote(secret, safe=""), quote_plus(secret)}:
                text = text.replace(spelling, "***")
        return redact(text)

    def __repr__(self) -> str:
        # Keeps the password out of tracebacks and debug logs that format the object.
        return f"Target({self.masked()!r}, embedded={self.embedded!r})"


def _password(url: str) -> str | None:
    """The password in a URL or a key=value connection string, even a malformed one (a space in it)."""
    if "://" in url:
        userinfo = url.split("://", 1)[1].rpartition("@")[0]
        if ":" in userinfo:
            return unquote(userinfo.split(":", 1)[1]) or None
        return None
    match = re.search(r"\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", url)
    return match.group(1).strip("'") if match else None


def embedded_dir() -> Path:
    return lt_home() / "pg"


def resolve(url: str | None = None) -> Target:
    """The database in use: `url`, else LT_DATABASE_URL, else the embedded server (started if needed)."""
    url = url or os.environ.get(ENV_URL)
    if url:
        return Target(url)
    path = embedded_dir()
    return Target(start_embedded(path), embedded=path)


def _pgserver():
    try:
        with warnings.catch_warnings():
            # platformdirs warns on import when XDG_RUNTIME_DIR is unset; the fallback it picks is fine.
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError:
        raise missing_extra("pgserver", "db") from None
    return pgserver


def start_embedded(path: Path) -> str:
    """Start the embedded server in `path` unless it runs already; its connection URL.

    pgserver serialises starts with an inter-process lock, so concurrent lt
    processes share one server. cleanup_mode=None: no lt process ever stops a
    server that another may still be using.
    """
    pgserver = _pgserver()
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pgserver.get_server(path, cleanup_mode=None).get_uri()
        except Exception as exc:
            # As root, pgserver runs postgres as its own user and opens the parent directories
            # to it, but another program can close them again before pg_ctl runs (pytest does,
            # on /tmp/pytest-of-root, whenever a test run starts); a new try opens them again.
            pgserver.PostgresServer._instances.pop(path.resolve(), None)
            if attempt == START_ATTEMPTS:
                raise LtError(
                    f"could not start the embedded PostgreSQL in {path}: {exc or type(exc).__name__}",
                    hint=f"see its log in {path / 'log'}, or point --db / {ENV_URL} at a running server",
                    code=ExitCode.UNAVAILABLE,
                ) from None
            log.debug("starting the embedded PostgreSQL failed (%s); trying again", exc)
    raise AssertionError("unreachable")


def stop_embedded(path: Path) -> bool:
    """Stop the embedded server in `path`; False when it was not running."""
    pgserver = _pgserver()
    if not (path / "postmaster.pid").exists():
        return False
    pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=path, user=_server_user(path))
    return True


def _server_user(path: Path) -> str | None:
    """As root, pgserver runs postgres as its own unprivileged user, which pg_ctl must run as too."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_prefix_permissions

    ensure_prefix_permissions(path)
    return "pgserver"


def open_connection(target: Target, *, connect_timeout: float = CONNECT_TIMEOUT_S) -> psycopg.Connection:
    """A raw autocommit connection; psycopg errors propagate (the writer retries on them)."""
    try:
        import psycopg
    except ImportError:
        raise missing_extra("psycopg", "db") from None
    return psycopg.connect(
        target.url, autocommit=True, connect_timeout=max(1, int(connect_timeout)), application_name="lt"
    )


def connect(target: Target | str | None = None, *, migrate: bool = True) -> psycopg.Connection:
    """An autocommit connection with the schema up to date; failures become LtError with the URL masked.

    `target`: a Target, a URL, or None for resolve()'s choice.
    """
    import psycopg

    from lt.db.schema import migrate as apply_migrations

    if not isinstance(target, Target):
        target = resolve(target)
    try:
        conn = open_connection(target)
    except psycopg.Error as exc:
        raise unavailable(target, exc) from None
    if migrate:
        apply_migrations(conn)
    return conn


def unavailable(target: Target, exc: BaseException) -> LtError:
    return LtError(
        f"cannot reach the database {target.masked()}: {target.scrub(str(exc)).strip()}",
        hint=f"check that the server runs and the URL is right (--db / {ENV_URL}); `lt db url` shows the one in use",
        code=ExitCode.UNAVAILABLE,
    )
