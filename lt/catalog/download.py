"""One file over HTTP(S): resumable, checksummed, through the user's proxy.

- Resume: bytes already in `<file>.part` are kept and the rest is asked for
  with `Range: bytes=N-`; a server that ignores Range (200) restarts it, and
  a connection cut mid-file is resumed the same way, up to `retries` times.
- Checksum: the sha256 of the whole file is compared with the catalogue's,
  else with the one the publisher sends (the Hugging Face Hub's
  `X-Linked-Etag`, on the redirect to its CDN); a mismatch deletes the part,
  so a bad file is never used and never resumed.
- Proxy: urllib's ProxyHandler reads `HTTPS_PROXY`, `HTTP_PROXY` and
  `NO_PROXY` (either case) from the environment.

Failures are LtErrors: 404 and checksum mismatches exit 1, a server that
cannot be reached (or keeps cutting the connection) exits 4 with the part kept.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lt import __version__
from lt.errors import ExitCode, LtError

log = logging.getLogger("lt.models")

BLOCK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Progress(Protocol):
    def start(self, label: str, total: int | None, done: int) -> None: ...

    def advance(self, n: int) -> None: ...

    def finish(self, label: str, message: str) -> None: ...


@dataclass(frozen=True)
class FetchSettings:
    retries: int = 3
    timeout: float = 30.0
    backoff: float = 0.5


@dataclass(frozen=True)
class Fetched:
    path: Path
    size: int
    sha256: str
    checked_against: str | None  # "catalogue", "publisher" or None (nothing published)
    resumed_from: int  # where the first resumed transfer started (0: fetched in one go)


class NotFound(LtError):
    """The server answered that the file is not there (404/410)."""


class _Cut(Exception):
    """The transfer stopped before the file was complete; what arrived is kept."""


def fetch(url: str, part: Path, *, sha256: str | None, size: int | None, label: str,
          progress: Progress, settings: FetchSettings = FetchSettings()) -> Fetched:
    """Downloads `url` into `part`, resuming what is there, and checks it; `part` then holds the file."""
    part.parent.mkdir(parents=True, exist_ok=True)
    resumed_from = part.stat().st_size if part.exists() else 0
    published: str | None = None
    failures = 0
    while True:
        try:
            published = _transfer(url, part, size, label, progress, settings.timeout) or published
            break
        except _Cut as cut:
            failures += 1
            if failures > settings.retries:
                kept = part.stat().st_size if part.exists() else 0
                raise LtError(
                    f"download of {label} failed: {cut}" + (f" ({_mb(kept)} kept)" if kept else ""),
                    hint="check the network (and HTTPS_PROXY); run the same command again to resume",
                    code=ExitCode.UNAVAILABLE,
                ) from None
            resumed_from = resumed_from or (part.stat().st_size if part.exists() else 0)
            log.info("%s: %s; resuming (try %d of %d)", label, cut, failures, settings.retries)
            time.sleep(settings.backoff * 2 ** (failures - 1))
    return _checked(part, url, label, sha256, size, published, resumed_from)


def _transfer(url: str, part: Path, size: int | None, label: str, progress: Progress, timeout: float) -> str | None:
    """One request for what `part` lacks; returns the publisher's sha256 if it sent one."""
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset == size:
        return None
    redirects = _RecordingRedirects()
    request = urllib.request.Request(_ascii_url(url), headers={"User-Agent": f"lt/{__version__}"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.build_opener(redirects).open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        return _http_error(exc, url, label, part, offset, redirects)
    except (urllib.error.URLError, OSError) as exc:
        raise _Cut(f"cannot reach {urllib.parse.urlsplit(url).netloc}: {_reason(exc)}") from None
    with response:
        published = redirects.linked_sha256 or _sha256_header(response.headers)
        if offset and response.status != 206:
            log.info("%s: the server does not resume; starting again", label)
            offset = 0
        length = response.headers.get("Content-Length")
        expected = offset + int(length) if length and length.isdigit() else size
        progress.start(label, expected, offset)
        received = _copy(response, part, append=offset > 0, progress=progress)
    if expected is not None and offset + received < expected:
        raise _Cut(f"the connection closed after {_mb(offset + received)} of {_mb(expected)}")
    return published


def _copy(response, part: Path, *, append: bool, progress: Progress) -> int:
    received = 0
    with open(part, "ab" if append else "wb") as out:
        while True:
            try:
                block = response.read(BLOCK)
            except (http.client.IncompleteRead, OSError) as exc:
                out.flush()
                raise _Cut(f"the connection broke after {_mb(out.tell())} ({_reason(exc)})") from None
            if not block:
                return received
            out.write(block)
            received += len(block)
            progress.advance(len(block))


def _http_error(exc: urllib.error.HTTPError, url: str, label: str, part: Path, offset: int,
                redirects: _RecordingRedirects) -> str | None:
    exc.close()
    if exc.code == 416 and offset:
        # Nothing left to send: the part is already the whole file (the checksum will tell).
        return redirects.linked_sha256
    if exc.code in (404, 410):
        raise NotFound(
            f"{label} is not at {url} (HTTP {exc.code})",
            hint="the publisher may have moved it; with LT_MODEL_MIRROR set, check the mirror holds it",
        ) from None
    if exc.code in (401, 403):
        raise LtError(f"{url} refused the download (HTTP {exc.code})", hint="a mirror (LT_MODEL_MIRROR) may hold it") from None
    raise _Cut(f"{urllib.parse.urlsplit(url).netloc} answered HTTP {exc.code}") from None


def _checked(part: Path, url: str, label: str, sha256: str | None, size: int | None,
             published: str | None, resumed_from: int) -> Fetched:
    digest, actual_size = file_sha256(part)
    wanted, source = (sha256, "catalogue") if sha256 else (published, "publisher") if published else (None, None)
    if (wanted and digest != wanted) or (size is not None and actual_size != size):
        part.unlink()
        got = f"sha256 {digest}" if wanted and digest != wanted else f"{actual_size} bytes"
        want = f"sha256 {wanted}" if wanted and digest != wanted else f"{size} bytes"
        raise LtError(
            f"{label} from {url} is corrupt: expected {want} ({source or 'catalogue'}), got {got}; it was deleted",
            hint="run the same command again; if it happens again, the server (or mirror) holds a different file",
        )
    return Fetched(part, actual_size, digest, source, resumed_from)


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as src:
        while block := src.read(BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


class _RecordingRedirects(urllib.request.HTTPRedirectHandler):
    """Keeps the sha256 a redirect carries: the Hub sends it on the 302 to its CDN, not after."""

    linked_sha256: str | None = None

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.linked_sha256 = _sha256_header(headers) or self.linked_sha256
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _sha256_header(headers) -> str | None:
    value = (headers.get("X-Linked-Etag") or "").strip().strip('"').removeprefix("W/").strip('"').lower()
    return value if _SHA256.match(value) else None


def _ascii_url(url: str) -> str:
    # Voice names such as pt_PT-tugão are not ASCII; the request line must be.
    return urllib.parse.quote(url, safe=":/?&=%#+@,;")


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, socket.timeout):
        return "timed out"
    return getattr(reason, "strerror", None) or str(reason) or type(reason).__name__


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
