"""Outside tools take openapi.json as it is: Prism, a validating proxy in front of the mock,
reports no violation on a JSON and an XML answer of every operation, and Redocly lints it
without an error or a warning.

Both come from npm, pinned in .interop/package-lock.json; `make interop` installs them into
.interop/node_modules and runs this module. Without them, its tests are skipped and say so.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from mock_server import ServerThread, Settings
from mock_server.contract import spec

from .defects import DEFECTS, middleware

ROOT = spec.contract_root()
OPENAPI = ROOT / "openapi.json"
TOOLS = ROOT / ".interop" / "node_modules" / ".bin"
PRISM = TOOLS / "prism"
REDOCLY = TOOLS / "redocly"
HOST = "127.0.0.1"
# no telemetry, no update check: the tools talk to loopback only
NODE_ENV = {
    **os.environ,
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_COLOR": "1",
}


def needs(tool: Path) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not tool.exists(),
        reason=f"{tool.name} is not installed: `make interop` installs it from npm "
        "(node 20.19+ and npm) into .interop/",
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _text(log: IO[str]) -> str:
    log.seek(0)
    return log.read()


@contextlib.contextmanager
def prism_proxy(upstream: str) -> Iterator[str]:
    """`prism proxy openapi.json UPSTREAM --errors` running; yields its base URL."""
    port = _free_port()
    command = [str(PRISM), "proxy", str(OPENAPI), upstream, "--errors"]
    command += ["--host", HOST, "--port", str(port)]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=NODE_ENV)
        try:
            deadline = time.monotonic() + 60
            while "Prism is listening" not in (text := _text(log)):
                assert process.poll() is None, f"Prism stopped:\n{text}"
                assert time.monotonic() < deadline, f"Prism did not start in 60 s:\n{text}"
                time.sleep(0.1)
            yield f"http://{HOST}:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()

    def code(self) -> int | None:
        """The control code of a JSON or positional XML body (its second field)."""
        if self.media_type == spec.MEDIA_TYPES["json"]:
            code: int = json.loads(self.body)["code"]
            return code
        found = re.search(rb"<result>\s*<entry>(?:true|false)</entry>\s*<entry>(\d+)<", self.body)
        return int(found.group(1)) if found else None


def call(url: str, body: dict[str, Any] | None = None) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


KEY = spec.fixture_value("api-keys.json", "/api_keys/0")
KNOWN = spec.fixture_value("messages.json", "/messages/0")
UNKNOWN_KEY = "not-" + KEY
UNKNOWN_ID = "999"  # no fixture message and no send reaches it in these tests
SEND = {"apiKey": KEY, "phoneNumbers": KNOWN["number"], "message": "Hello"}
SCHEDULED = {**SEND, "scheduledDeliveryDate": "01/01/2099", "time": 10, "minute": 0}


def _sent(mock: str, body: dict[str, Any]) -> str:
    """The message_id of a send made straight to the mock."""
    return str(json.loads(call(f"{mock}/send", body).body)["message_id"])


@dataclass(frozen=True)
class Case:
    """One request to one operation and the control code it must get; params may need the
    mock (a send to look up or cancel) and are built just before the call."""

    operation: str
    code: int
    params: Callable[[str], dict[str, Any]] = field(repr=False)

    @property
    def id(self) -> str:
        return f"{self.operation} code {self.code}"


CASES = [
    Case(
        "message-status",
        200,
        lambda _: {"messageId": KNOWN["messageId"], "phoneNumber": KNOWN["number"]},
    ),
    Case("message-status", 4, lambda _: {"messageId": UNKNOWN_ID, "phoneNumber": KNOWN["number"]}),
    Case("send", 200, lambda _: SEND),
    Case("send", 10, lambda _: {**SEND, "apiKey": UNKNOWN_KEY}),
    Case("bulk-status", 200, lambda mock: {"messageId": _sent(mock, SEND)}),
    Case("bulk-status", 4, lambda _: {"messageId": UNKNOWN_ID}),
    Case(
        "multi-status",
        200,
        lambda _: {
            "SMSStatut_List": [{"phoneNumber": KNOWN["number"], "messageId": KNOWN["messageId"]}]
        },
    ),
    Case(
        "multi-status",
        10,
        lambda _: {
            "apiKey": UNKNOWN_KEY,
            "SMSStatut_List": [{"phoneNumber": KNOWN["number"], "messageId": 1}],
        },
    ),
    Case("message-cancel", 200, lambda mock: {"messageId": _sent(mock, SCHEDULED)}),
    Case("message-cancel", 4, lambda _: {"messageId": UNKNOWN_ID}),
    Case("me", 200, lambda _: {}),
    Case("me", 10, lambda _: {"apiKey": UNKNOWN_KEY}),
]


def send_case(base: str, mock: str, case: Case, fmt: str) -> Answer:
    """The case's request to base (Prism or the mock): the key first, _format in the query of
    a GET and in the body of a POST, as the document says."""
    op = next(o for o in spec.operations() if o.id == case.operation)
    params = {"apiKey": KEY, **case.params(mock), "_format": fmt}
    if op.method == "GET":
        return call(f"{base}{op.path}?{urllib.parse.urlencode(params)}")
    return call(f"{base}{op.path}", params)


ERROR_STATUS = spec.assumptions()["error-http-status"]


@pytest.fixture(scope="module", params=[ERROR_STATUS.value, *ERROR_STATUS.alternatives])
def proxied(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str]]:
    """(error status setting, mock URL, Prism URL in front of it)."""
    server = ServerThread(Settings(access_log=False, error_status=request.param))
    with server, prism_proxy(server.base_url) as prism:
        yield request.param, server.base_url, prism


@needs(PRISM)
@pytest.mark.parametrize("fmt", list(spec.MEDIA_TYPES))
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_prism_finds_no_violation(proxied: tuple[str, str, str], case: Case, fmt: str) -> None:
    """Through `prism proxy --errors`, every operation answers its success and an error in
    JSON and in XML, with the documented status and media type, and no violation."""
    error_status, mock, prism = proxied
    answer = send_case(prism, mock, case, fmt)
    assert "sl-violations" not in answer.headers, answer.headers["sl-violations"]
    documented = spec.control_codes(case.operation)[case.code].http_status
    assert answer.status == (200 if error_status == "200" else documented), answer.body[:600]
    assert answer.media_type == spec.MEDIA_TYPES[fmt], answer.body[:600]
    assert answer.code() == case.code, answer.body[:600]


@needs(PRISM)
def test_prism_reports_a_defective_mock() -> None:
    """The same proxy answers 500 with the violation when the mock breaks its schema, so a
    clean run above means something."""
    defect = next(d for d in DEFECTS if d.name == "messageId as a number")
    server = ServerThread(Settings(access_log=False))
    server.app.middlewares.append(middleware(defect))
    with server, prism_proxy(server.base_url) as prism:
        answer = send_case(prism, server.base_url, CASES[0], "json")
    assert answer.status == 500
    assert "messageId" in answer.body.decode() and "must be string" in answer.body.decode()


def redocly_lint(document: Path) -> dict[str, Any]:
    """`redocly lint DOCUMENT --format=json` from the repository root (so with redocly.yaml)."""
    command = [str(REDOCLY), "lint", str(document), "--format=json", "--max-problems=1000"]
    command += ["--config", str(ROOT / "redocly.yaml")]
    result = subprocess.run(
        command, cwd=ROOT, env=NODE_ENV, capture_output=True, text=True, timeout=120
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@needs(REDOCLY)
def test_redocly_finds_no_problem() -> None:
    """Redocly's recommended rules (less the two redocly.yaml explains) find nothing."""
    report = redocly_lint(OPENAPI)
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, report["problems"]


@needs(REDOCLY)
def test_redocly_checks_xml_examples(tmp_path: Path) -> None:
    """An XML example that is not a string is reported, so the lint does read them."""
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    xml = document["paths"]["/me"]["get"]["responses"]["200"]["content"]["application/xml"]
    next(iter(xml["examples"].values()))["value"] = {"success": True}
    (tmp_path / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    rules = {p["ruleId"] for p in redocly_lint(tmp_path / "openapi.json")["problems"]}
    assert rules == {"no-invalid-media-type-examples"}
