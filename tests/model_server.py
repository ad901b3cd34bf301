"""A local model publisher on 127.0.0.1 for the catalogue tests: real model files, real HTTP.

It serves files from disk with HTTP Range (206 + Content-Range), can cut a
transfer short (full Content-Length promised, the connection closed after N
bytes), answers 404 for anything it does not hold, redirects the way the
Hugging Face Hub does (302 to a CDN path with the file's sha256 in
`X-Linked-Etag`), and acts as an HTTP proxy when a request line carries an
absolute URL. Every request is logged, so tests can see Range headers.
"""

from __future__ import annotations

import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Request:
    path: str
    range: str | None
    proxied: bool


@dataclass
class Published:
    files: dict[str, Path] = field(default_factory=dict)
    redirects: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (cdn path, sha256)
    cuts: dict[str, list[int]] = field(default_factory=dict)  # path -> byte counts for the next responses
    ignore_range: set[str] = field(default_factory=set)  # paths served whole (200) whatever Range asks
    log: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_for(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.log if r.path == path]


class ModelServer:
    def __init__(self):
        self.published = Published()
        handler = type("Handler", (_Handler,), {"published": self.published})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="model-server", daemon=True)
        self._thread.start()

    def publish(self, path: str, file: Path) -> str:
        self.published.files[path] = file
        return self.url + path

    def redirect(self, path: str, file: Path, sha256: str) -> str:
        """Serves `path` as the Hub does: a 302 carrying the sha256, to the file on a CDN path."""
        cdn = f"/cdn/{sha256}"
        self.published.files[cdn] = file
        self.published.redirects[path] = (cdn, sha256)
        return self.url + path

    def cut(self, path: str, *after: int) -> None:
        """The next len(after) responses for `path` stop after that many bytes of the body."""
        self.published.cuts[path] = list(after)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    published: Published

    def log_message(self, format, *args):  # keep pytest's output clean
        pass

    def do_GET(self):
        proxied = self.path.startswith("http://")
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        with self.published.lock:
            self.published.log.append(Request(path, self.headers.get("Range"), proxied))
            cuts = self.published.cuts.get(path)
            cut_after = cuts.pop(0) if cuts else None
        if path in self.published.redirects:
            cdn, sha256 = self.published.redirects[path]
            self.send_response(302)
            self.send_header("Location", cdn)
            self.send_header("X-Linked-Etag", f'"{sha256}"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        file = self.published.files.get(path)
        if file is None:
            self.send_error(404)
            return
        self._send(file, cut_after, None if path in self.published.ignore_range else self.headers.get("Range"))

    def _send(self, file: Path, cut_after: int | None, wanted: str | None):
        size = file.stat().st_size
        start = 0
        if wanted:
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(size - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        budget = size - start if cut_after is None else min(cut_after, size - start)
        with open(file, "rb") as src:
            src.seek(start)
            while budget > 0:
                block = src.read(min(budget, 1 << 16))
                if not block:
                    break
                self.wfile.write(block)
                budget -= len(block)
        if cut_after is not None:
            self.wfile.flush()
            self.close_connection = True
