"""A canary key sent under every spelling found so far never comes out of any channel: the
access log, aiohttp's own log lines, the journal, fault listings, error echoes, answers."""

from __future__ import annotations

import json
import socket
import tempfile
import time
from urllib.parse import urlsplit

import pytest

from mock_server.testing.admin_client import AdminClient

from .processes import mock_process

CANARY = "CANARY-7f3a9c-KEY"  # the key the mock accepts
STRANGER = "STRANGER-51e0d2-KEY"  # a key it does not know: redacted by name alone
QUERY_SPELLINGS = [
    "apiKey={}",
    "api%4Bey={}",
    "%61piKey={}",
    "%61%70%69%4b%65%79={}",
    "API_KEY={}",
    "api-key={}",
    "apiKey={}&apiKey={}",
]
BODY_SPELLINGS = ["apiKey", "api\u004bey"]


def _exchange(host: str, port: int, raw: bytes) -> bytes:
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(raw)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
        return b"".join(chunks)


def _request(
    host: str, port: int, method: str, target: str, body: bytes = b"", **headers: str
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return _exchange(host, port, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)


@pytest.mark.parametrize("canary", [CANARY, STRANGER])
def test_the_canary_never_leaks(canary: str) -> None:
    """Sent under every spelling, by every route, a key appears in no output at all, whether
    the mock accepts it or not."""
    with tempfile.TemporaryFile("w+") as log:
        with mock_process("--api-key", CANARY, stderr=log) as (_, url):
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port or 0
            answers = []
            for spelling in QUERY_SPELLINGS:
                for path in ("/v1/message-status", "/v1/me", "/v1/bulk-status", "/nowhere"):
                    answers.append(
                        _request(
                            host,
                            port,
                            "GET",
                            f"{path}?{spelling.format(canary, canary)}&messageId=1",
                        )
                    )
            bodies = [json.dumps({name: canary}).encode() for name in BODY_SPELLINGS]
            bodies.append(f'{{"api\\u004bey": "{canary}"}}'.encode())  # the escape as sent
            for body in bodies:
                for path in ("/v1/send", "/v1/multi-status"):
                    answers.append(
                        _request(host, port, "POST", path, body, Content_Type="application/json")
                    )
            # the admin API's echoes: a bad clock body, a fault rule matching the key
            clock = json.dumps({"advance": "soon", "apiKey": canary}).encode()
            answers.append(
                _request(host, port, "POST", "/_mock/clock", clock, Content_Type="application/json")
            )
            rule = json.dumps({"kind": "latency", "seconds": 0, "match": {"apiKey": canary}})
            answers.append(
                _request(
                    host,
                    port,
                    "POST",
                    "/_mock/faults",
                    rule.encode(),
                    Content_Type="application/json",
                )
            )
            # what aiohttp itself refuses: an over-long line, a bad method, raw bytes
            long_line = f"GET /v1/me?apiKey={canary}&pad={'a' * 9000} HTTP/1.1\r\n\r\n".encode()
            answers.append(_exchange(host, port, long_line))
            answers.append(_exchange(host, port, f"G{canary} /v1/me HTTP/1.1\r\n\r\n".encode()))
            answers.append(
                _exchange(
                    host,
                    port,
                    f"GET /v1/me?apiKey={canary}\x01\xff HTTP/1.1\r\n\r\n".encode("latin-1"),
                )
            )
            answers.append(
                _exchange(host, port, f"GET /v1/me?api%4Bey={canary} HTTP/9.9\r\n\r\n".encode())
            )
            client = AdminClient(url.split("/v1/")[0])
            journal = json.dumps(client.journal())
            faults = json.dumps(client.faults())
            time.sleep(0.2)  # let the last access-log lines reach the file
        log.seek(0)
        logged = log.read()
    assert len(json.loads(journal)) >= len(QUERY_SPELLINGS) * 4
    for name, text in [("log", logged), ("journal", journal), ("faults", faults)]:
        assert canary not in text, f"the canary leaks through the {name}"
    for answer in answers:
        assert canary.encode() not in answer, answer[:400]
