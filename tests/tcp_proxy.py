"""A TCP proxy in front of a PostgreSQL socket that can stop forwarding: a hung server, as a client sees it.

    with Proxy(upstream_of(url)) as proxy:
        url = proxy.url_for(url)        # the same database, through the proxy
        proxy.pause()    # connections stay open, bytes stop moving both ways, new ones are accepted and stall
        proxy.resume()   # what was held moves on

Used by the store's hang tests and bench/reliability_soak.py.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path


def upstream_of(url: str) -> Path | tuple[str, int]:
    """Where a libpq URL's server listens: the Unix socket file (host is a directory), or host and port."""
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(url)
    host, port = info.get("host") or "/tmp", int(info.get("port") or 5432)
    return Path(host) / f".s.PGSQL.{port}" if host.startswith("/") else (host, port)


class Proxy:
    def __init__(self, upstream: Path | tuple[str, int]):
        self.upstream = upstream
        self.flowing = threading.Event()
        self.flowing.set()
        self.closed = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    def url_for(self, url: str) -> str:
        """`url` (user, password, database kept) reached through this proxy."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(url, host="127.0.0.1", port=str(self.port))

    def pause(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.closed.set()
        self.flowing.set()
        for sock in [self.listener, *self.sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                if isinstance(self.upstream, Path):
                    server = socket.socket(socket.AF_UNIX)
                    server.connect(str(self.upstream))
                else:
                    server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True, name="proxy-pump").start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                self.flowing.wait()
                data = source.recv(1 << 16)
                if not data:
                    break
                self.flowing.wait()  # bytes read while pausing are held until resume
                if self.closed.is_set():
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
