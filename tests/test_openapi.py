"""The generated OpenAPI document: valid, committed in sync, and passed by Schemathesis."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
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


def run_schemathesis(
    server: ServerThread, operation_id: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Schemathesis CLI with all checks and a fixed seed, against server (one operation, or
    all of them)."""
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "contract_tests.schemathesis_hooks",
        "SMSPARTNER_API_KEY": "YOUR_API_KEY",
        "SMSPARTNER_MESSAGE_ID": "1111",
        "SMSPARTNER_PHONE_NUMBER": "0600000000",
        "NO_COLOR": "1",
    }
    command = [sys.executable, "-m", "schemathesis.cli", "run", str(COMMITTED)]
    command += ["--url", server.base_url, "--checks", "all", "--seed", "1"]
    command += ["--max-examples", "60", "--no-color", "--workers", "1"]
    command += ["--generation-database", "none"]  # no replay of earlier runs: one seed, one run
    if operation_id:
        command += ["--include-operation-id", operation_id]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_schemathesis_passes_against_the_mock() -> None:
    """Schemathesis, an outside tool, finds no failure with every check on."""
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
        result = run_schemathesis(server, "message-status")
    assert result.returncode == 1, result.stdout[-4000:]
