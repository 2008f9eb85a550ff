"""Loopback HTTP servers that stand for the application's webhooks in callback scenarios.

A Receiver records every request the mock's callbacks make, in order, and answers each with
a fixed status. It listens on 127.0.0.1 only: no scenario ever sends a callback elsewhere.
The conformance probes use one for the target's delivery receipts; against a remote target
the user runs a tunnel from a public URL to it (--callback-url, --callback-port).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request a receiver got: method, path with query, content type and body."""

    method: str
    path: str
    content_type: str
    raw: bytes

    def data(self) -> Any:
        return json.loads(self.raw)


MAX_BODY = 65536  # a receiver reads no more of a body than this


class Receiver:
    """A webhook on 127.0.0.1:<port> (a free one by default) answering `status` to every
    request."""

    def __init__(self, status: int = 200, port: int = 0) -> None:
        self.status = status
        self.received: list[Received] = []
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                item = Received(
                    self.command, self.path, self.headers.get("Content-Type", ""),
                    self.rfile.read(length),
                )  # fmt: skip
                with lock:
                    receiver.received.append(item)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET = do_PUT = _record

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/{path.lstrip('/')}"

    def bodies(self) -> list[Any]:
        return [item.data() for item in list(self.received)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
