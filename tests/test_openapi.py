"""The generated OpenAPI document: valid, committed in sync, and passed by Schemathesis."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: Schemathesis brings tomli
    import tomli as tomllib

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from contract_tests.transport import decode_xml
from mock_server import ServerThread, Settings, cli
from mock_server.contract import openapi, spec

from .defects import DEFECTS, Defect, middleware

ROOT = spec.contract_root()
COMMITTED = ROOT / "openapi.json"


def test_document_is_valid_openapi() -> None:
    """openapi-spec-validator accepts the generated document."""
    validate(openapi.document())


def test_committed_document_is_in_sync() -> None:
    """openapi.json is what `smspartner-mock openapi` prints (regenerate it when this fails)."""
    assert COMMITTED.read_text(encoding="utf-8") == openapi.render()


def test_every_route_is_documented() -> None:
    """The app's /v1 routes and the document's paths are the same set."""
    with ServerThread() as server:
        routes = {
            (route.method, route.resource.canonical.removeprefix("/v1"))
            for route in server.app.router.routes()
            # the admin API (/_mock/...) is the mock's own, not SMS Partner's; HEAD comes with
            # GET, and '*' is the 405 answer to any other method
            if route.method not in ("HEAD", "*") and route.resource.canonical.startswith("/v1/")
        }
    documented = {
        (method.upper(), path)
        for path, item in openapi.document()["paths"].items()
        for method in item
    }
    assert routes == documented


def test_examples_validate_against_their_schemas() -> None:
    """Every JSON example, and every XML example once decoded, is valid for its operation."""
    for op in spec.operations():
        content = openapi.document()["paths"][op.path][op.method.lower()]["responses"]["200"]
        for media_type, entry in content["content"].items():
            for example in entry["examples"].values():
                value = example["value"]
                body = decode_xml(value.encode(), op.id) if media_type.endswith("xml") else value
                name = op.ok if body["success"] else op.error
                assert spec.first_error(name, body) is None, (media_type, example["summary"])


def test_cli_prints_and_writes_the_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`openapi` prints the document, and `-o FILE` writes it."""
    assert cli.main(["openapi"]) == 0
    assert json.loads(capsys.readouterr().out)["openapi"] == openapi.OPENAPI_VERSION
    assert cli.main(["openapi", "-o", str(tmp_path / "api.json")]) == 0
    assert (tmp_path / "api.json").read_text() == openapi.render()


def run_schemathesis(server: ServerThread, *flags: str) -> subprocess.CompletedProcess[str]:
    """`st run openapi.json --url ...` from the repository root, so with schemathesis.toml (its
    hooks and check settings), plus every check and a fixed seed, against server."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "SCHEMATHESIS_HOOKS"},
        "SMSPARTNER_API_KEY": "YOUR_API_KEY",
        "SMSPARTNER_MESSAGE_ID": "1111",
        "SMSPARTNER_PHONE_NUMBER": "0600000000",
        "NO_COLOR": "1",
    }
    command = [sys.executable, "-m", "schemathesis.cli", "run", str(COMMITTED)]
    command += ["--url", server.base_url, "--checks", "all", "--seed", "1"]
    command += ["--max-examples", "60", "--no-color", "--workers", "1"]
    command += ["--generation-database", "none"]  # no replay of earlier runs: one seed, one run
    return subprocess.run(
        [*command, *flags], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_schemathesis_passes_against_the_mock() -> None:
    """Schemathesis, an outside tool, finds no failure with every check on, in JSON and in the
    positional XML of every operation (multi-status's nested entries included)."""
    with ServerThread() as server:
        result = run_schemathesis(server)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # every generated case passed (a warning, e.g. cancel finding no scheduled message, is not
    # a failure)
    assert re.search(r"(\d+) generated, \1 passed", result.stdout), result.stdout[-4000:]


@pytest.mark.parametrize(
    "defect",
    [d for d in DEFECTS if d.name in ("messageId as a number", "wrong code")],
    ids=lambda d: d.name,
)
def test_schemathesis_catches_a_defective_mock(defect: Defect) -> None:
    """The same run fails on a mock that breaks its schema: the hooks reach every path."""
    server = ServerThread(Settings(access_log=False))
    server.app.middlewares.append(middleware(defect))
    with server:
        # the defects break message-status; the other operations would only add time
        result = run_schemathesis(server, "--include-operation-id", "message-status")
    assert result.returncode == 1, result.stdout[-4000:]


def success_as_a_word_in_xml(_: web.Request, body: bytes, ctype: str) -> tuple[bytes, str] | None:
    if ctype.endswith("xml"):
        return re.sub(rb"<entry>(true|false)</entry>", rb"<entry>yes</entry>", body, count=1), ctype
    return None


def test_schemathesis_checks_xml_answers() -> None:
    """An XML answer that decodes to a body outside its schema fails the run, although
    openapi.json types it as a string: the deserializer schemathesis.toml loads checks it."""
    server = ServerThread(Settings(access_log=False))
    server.app.middlewares.append(middleware(Defect("success", success_as_a_word_in_xml, "")))
    with server:
        result = run_schemathesis(server, "--include-operation-id", "message-status")
    assert result.returncode == 1, result.stdout[-4000:]
    assert "XML answer does not fit message-status.error at $.success" in result.stdout


def test_negative_data_statuses_are_those_of_the_error_codes() -> None:
    """schemathesis.toml expects, for invalid requests, the HTTP statuses of the error codes."""
    config = tomllib.loads((ROOT / "schemathesis.toml").read_text(encoding="utf-8"))
    expected = config["checks"]["negative_data_rejection"]["expected-statuses"]
    statuses = {
        code.http_status
        for op in spec.operations()
        for code in spec.control_codes(op.id).values()
        if not code.success
    }
    assert expected == [str(status) for status in sorted(statuses)]
    assert config["hooks"] == "contract_tests.schemathesis_hooks"
