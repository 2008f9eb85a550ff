"""Sending requests and reading answers, decoupled from what is generated and checked.

A plain synchronous HTTP client (http.client) that sends the query string exactly as given,
so tests can send what real clients send: an unencoded '+', a malformed escape, a repeated
parameter. Each reply knows the operation that answered it (schemas/operations.json), so
that its body is read by that operation's schemas (contract_tests.bodies).
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from mock_server.redaction import redact_query, redact_text

from .bodies import decode_xml, operation_at

GUARDED_PATH = "/message-status"
# What a guarded transport sends: requests that read and change nothing and cost nothing.
# POST /v1/lookup is free but limited to 360 a minute, so it is sent only when asked
# (--live-lookup); a sandbox send (POST /send with sandbox=1) only when the user allowed it
# (--allow-sandbox-sends); never /message-cancel, a real send or a change to the account.
READ_ONLY = frozenset(
    {
        ("GET", GUARDED_PATH),
        ("GET", "/bulk-status"),
        ("GET", "/me"),
        ("POST", "/multi-status"),
        ("GET", "/stop-sms/list"),
        ("GET", "/subaccount/list"),
        ("GET", "/bulk-status-by-tag"),
        ("GET", "/statistics/cost-resume"),
        ("GET", "/nope"),  # a path no operation has: the 'undocumented-requests' probe
    }
)
LOOKUP = ("POST", "/lookup")
SANDBOX_SEND = ("POST", "/send")


def encode_query(params: Mapping[str, str]) -> str:
    """Percent-encode every reserved character, '+' included (RFC 3986)."""
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())


@dataclass(frozen=True)
class Reply:
    """One answer, with the request that produced it (API key redacted) and the id of the
    operation it asked for (None outside schemas/operations.json)."""

    request: str
    status: int
    headers: Mapping[str, str]
    raw: bytes
    fields: dict[str, Any] = field(default_factory=dict, compare=False)
    operation: str | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0].strip().lower()

    def data(self) -> Any:
        """The body as JSON-like data: parsed JSON, or the XML read by the body schemas of the
        reply's operation.

        Raises ValueError when the body does not parse in its declared format.
        """
        if self.media_type.endswith("xml"):
            return decode_xml(self.raw, self.operation)
        return json.loads(self.raw.decode("utf-8"))


def _sandboxed(body: bytes | None) -> bool:
    """Whether a send body asks for the sandbox, or is no JSON a server could send from."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        return True
    return isinstance(data, dict) and data.get("sandbox") in (1, "1", True)


class BudgetExhausted(Exception):
    """The target's total request budget is spent; no further request is sent."""


class Transport:
    """Sends requests to one base URL ('http://127.0.0.1:8080/v1').

    A guarded transport (the one used for any target other than the bundled mock) only sends
    the requests of `allowed` (READ_ONLY by default), and POST /send with sandbox=1 when
    sandbox_sends allows it, at most `rate` per second and `budget` in total, and verifies TLS
    certificates. secrets are scrubbed from every request it reports.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        guarded: bool = False,
        rate: float = 0.0,
        budget: int = 0,
        secrets: tuple[str, ...] = (),
        allowed: frozenset[tuple[str, str]] = READ_ONLY,
        sandbox_sends: bool = False,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Invalid base URL {base_url!r}: expected http(s)://host[:port]/v1")
        self.base_url = base_url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self.guarded = guarded
        self.allowed = allowed
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self.budget = budget
        self.sent = 0
        self._last = 0.0
        self._lock = threading.Lock()
        self._secrets = secrets
        self.sandbox_sends = sandbox_sends

    def _connection(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def _admit(self, method: str, path: str, body: bytes | None = None) -> None:
        if not self.allows(method, path, body):
            shown = ", ".join(f"{m} {p}" for m, p in sorted(self.allowed))
            sandbox = ", and sandbox sends (sandbox=1)" if self.sandbox_sends else ""
            raise PermissionError(
                f"Refusing {method} {path}: against this target only {shown}{sandbox} are sent"
            )
        with self._lock:
            if self.budget and self.sent >= self.budget:
                raise BudgetExhausted(
                    f"The request budget of {self.budget} is spent (raise it with --max-requests)"
                )
            wait = self._last + self._interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
            self.sent += 1

    def allows(self, method: str, path: str, body: bytes | None = None) -> bool:
        """Whether this transport sends the request: always unless guarded; guarded, the
        requests of `allowed`, and a send whose body asks for the sandbox when sandbox_sends."""
        if not self.guarded or (method, path) in self.allowed:
            return True
        return self.sandbox_sends and (method, path) == SANDBOX_SEND and _sandboxed(body)

    def redact(self, text: str) -> str:
        return redact_text(redact_query(text), self._secrets)

    def request(
        self, method: str, path: str, raw_query: str = "", body: bytes | None = None
    ) -> Reply:
        """Send one request; path is relative to the base URL ('/message-status').

        A body is sent as application/json, as the docs' samples do for POST endpoints.
        Transport failures (reset, timeout, incomplete body) propagate as the stdlib raises
        them: ConnectionError, TimeoutError, http.client.IncompleteRead.
        """
        self._admit(method, path, body)
        target = self._prefix + path + (f"?{raw_query}" if raw_query else "")
        headers = {} if body is None else {"Content-Type": "application/json"}
        connection = self._connection()
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        headers = {k.lower(): v for k, v in response.getheaders()}
        shown = f"{method} {self.base_url}{path}" + (f"?{raw_query}" if raw_query else "")
        operation = operation_at(method, path)
        return Reply(self.redact(shown), response.status, headers, raw, operation=operation)

    def get(self, raw_query: str = "", path: str = "/message-status") -> Reply:
        return self.request("GET", path, raw_query)

    def post(self, path: str, data: Any, raw_query: str = "") -> Reply:
        """POST data as a JSON body (bytes are sent as they are)."""
        body = data if isinstance(data, bytes) else json.dumps(data).encode("utf-8")
        return self.request("POST", path, raw_query, body)
