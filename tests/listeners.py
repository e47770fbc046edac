"""Loopback stand-ins for the places workers report to: a Sentry ingest endpoint and a syslog
server. Each runs in a thread of the test process and keeps what it receives."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def parse_envelope(data: bytes) -> list[tuple[dict[str, Any], Any]]:
    """The items of a Sentry envelope: (item header, payload), payloads decoded from JSON."""
    _, _, rest = data.partition(b"\n")
    items = []
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        length = header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length + 1 :]
        try:
            items.append((header, json.loads(payload)))
        except ValueError:
            items.append((header, payload))
    return items


def _wait_for(found: Callable[[], list[Any]], count: int, timeout: float, what: str) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        items = found()
        if len(items) >= count:
            return items
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(items)} of {count} {what} arrived within {timeout}s: {items}")
        time.sleep(0.05)


class _Listener:
    """What a listener received, kept under a lock by its server thread; `with` starts that
    thread."""

    def __init__(self) -> None:
        self._received: list[Any] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        raise NotImplementedError

    def _keep(self, received: list[Any]) -> None:
        with self._lock:
            self._received.extend(received)

    def _where(self, keep: Callable[[Any], bool]) -> list[Any]:
        with self._lock:
            return [item for item in self._received if keep(item)]

    def __enter__(self) -> Self:
        self._thread.start()
        return self


class SentryListener(_Listener):
    """An HTTP server that accepts what sentry-sdk POSTs (envelopes, gzip or deflate encoded)."""

    def __init__(self) -> None:
        super().__init__()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = (self.headers.get("Content-Encoding") or "").lower()
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                listener._keep(parse_envelope(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def _serve(self) -> None:
        self._server.serve_forever()

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self._server.server_address[1]}/1"

    def of_type(self, item_type: str) -> list[Any]:
        """The payloads of the envelope items (header, payload) of this type."""
        return [payload for _, payload in self._where(lambda item: item[0].get("type") == item_type)]

    def wait_for(self, item_type: str, count: int = 1, timeout: float = 15.0) -> list[Any]:
        return _wait_for(lambda: self.of_type(item_type), count, timeout, f"sentry {item_type} items")

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


class SyslogListener(_Listener):
    """A UDP syslog server on a free loopback port."""

    def __init__(self) -> None:
        super().__init__()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._socket.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._socket.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            self._keep([data.decode("utf-8", "replace")])

    def matching(self, text: str) -> list[str]:
        return self._where(lambda message: text in message)

    def wait_for(self, text: str, count: int = 1, timeout: float = 15.0) -> list[str]:
        return _wait_for(lambda: self.matching(text), count, timeout, f"syslog messages with {text!r}")

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._socket.close()
