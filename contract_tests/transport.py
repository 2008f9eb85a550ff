"""Sending requests and reading answers, decoupled from what is generated and checked.

A plain synchronous HTTP client (http.client) that sends the query string exactly as given,
so tests can send what real clients send: an unencoded '+', a malformed escape, a repeated
parameter. XML answers are decoded here, guided by the schemas: the documented XML is
positional, so each <entry> takes its name and type from the schema's field order.
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

import xmltodict

from mock_server.contract import spec
from mock_server.redaction import redact_query, redact_text

GUARDED_PATH = "/message-status"


def encode_query(params: Mapping[str, str]) -> str:
    """Percent-encode every reserved character, '+' included (RFC 3986)."""
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())


@dataclass(frozen=True)
class Reply:
    """One answer, with the request that produced it (API key redacted)."""

    request: str
    status: int
    headers: Mapping[str, str]
    raw: bytes
    fields: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0].strip().lower()

    def data(self) -> Any:
        """The body as JSON-like data: parsed JSON, or the XML decoded by the schemas.

        Raises ValueError when the body does not parse in its declared format.
        """
        if self.media_type.endswith("xml"):
            return decode_xml(self.raw)
        return json.loads(self.raw.decode("utf-8"))


class BudgetExhausted(Exception):
    """The target's total request budget is spent; no further request is sent."""


class Transport:
    """Sends requests to one base URL ('http://127.0.0.1:8080/v1').

    A guarded transport (the one used for any target other than the bundled mock) only sends
    GET requests to /message-status, at most `rate` per second and `budget` in total, and
    verifies TLS certificates. secrets are scrubbed from every request it reports.
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
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self.budget = budget
        self.sent = 0
        self._last = 0.0
        self._lock = threading.Lock()
        self._secrets = secrets

    def _connection(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def _admit(self, method: str, path: str) -> None:
        if self.guarded and (method, path) != ("GET", GUARDED_PATH):
            raise PermissionError(
                f"Refusing {method} {path}: against this target only GET {GUARDED_PATH} is sent"
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
        self._admit(method, path)
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
        return Reply(self.redact(shown), response.status, headers, raw)

    def get(self, raw_query: str = "", path: str = "/message-status") -> Reply:
        return self.request("GET", path, raw_query)

    def post(self, path: str, data: Any, raw_query: str = "") -> Reply:
        """POST data as a JSON body (bytes are sent as they are)."""
        body = data if isinstance(data, bytes) else json.dumps(data).encode("utf-8")
        return self.request("POST", path, raw_query, body)


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if ref:
        target: Any = schema
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return _resolve(schema, target)
    return node


def _json_type(schema: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    node = _resolve(schema, node)
    if "type" in node:
        return str(node["type"])
    if "const" in node or "enum" in node:
        examples = [node["const"]] if "const" in node else node["enum"]
        kinds = {type(e) for e in examples}
        return {bool: "boolean", int: "integer", float: "number"}.get(kinds.pop(), "string")
    branches = node.get("anyOf") or node.get("oneOf") or [{}]
    return _json_type(schema, branches[0]) if branches[0] else "string"


_CASTS = {
    "boolean": lambda text: {"true": True, "false": False}[text],
    "integer": int,
    "number": lambda text: int(text) if text.lstrip("-").isdigit() else float(text),
    "string": str,
}


def _cast(text: str | None, kind: str) -> Any:
    if text is None:
        return "" if kind == "string" else None
    try:
        return _CASTS[kind](text)
    except (KeyError, ValueError):
        return text


def decode_xml(raw: bytes) -> dict[str, Any]:
    """The documented positional XML as the equivalent JSON object.

    The first <entry> (success) selects the success or the error schema; each entry then
    takes the name and type of the field at its position. Surplus entries keep a name like
    'entry[10]' so that schema validation reports them. Raises ValueError on malformed XML.
    """
    try:
        doc = xmltodict.parse(raw, force_list=("entry",))
    except Exception as exc:  # expat raises its own ExpatError
        raise ValueError(f"Malformed XML: {exc}") from exc
    root = doc.get("result") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise ValueError("XML root is not <result> with <entry> children")
    entries = [e.strip() if isinstance(e, str) else e for e in root.get("entry", [])]
    name = spec.OK if entries[:1] == ["true"] else spec.ERROR
    schema = spec.schema(name)
    names = spec.field_order(name)
    decoded: dict[str, Any] = {}
    for index, text in enumerate(entries):
        if index < len(names):
            key = names[index]
            decoded[key] = _cast(text, _json_type(schema, schema["properties"][key]))
        else:
            decoded[f"entry[{index}]"] = text
    return decoded
