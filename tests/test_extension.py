"""Adding an operation: an entry in operations.json, its schemas, its catalogue and one
handler function; nothing else of the mock changes.

The test builds a copy of schemas/ with a hypothetical GET /v1/ping, registers its handler,
and serves it from the copy with spec.use_contract.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from contract_tests.transport import Transport
from mock_server import ServerThread, Settings
from mock_server._http import operations
from mock_server.contract import spec

KEY = "YOUR_API_KEY"
DRAFT = "http://json-schema.org/draft-07/schema#"


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _sources() -> list[str]:
    return ["tests/test_extension.py"]


def _code(code: int, success: bool, trigger: dict[str, str], fr: str, en: str, status: int) -> Any:
    return {
        "code": code,
        "success": success,
        "trigger": trigger,
        "message": {"fr": fr, "en": en},
        "http_status": status,
        "sources": _sources(),
    }


def _ping_contract(schemas: Path) -> None:
    """The bundled schemas, plus GET /v1/ping and a trigger kind of its own ('teapot')."""
    api = json.loads((schemas / "operations.json").read_text(encoding="utf-8"))
    api["operations"].append(
        {"id": "ping", "method": "GET", "path": "/ping", "summary": "Echo a word",
         "query": "ping.query", "ok": "ping.ok", "error": "ping.error", "sources": _sources()}
    )  # fmt: skip
    _write(schemas / "operations.json", api)
    codes = json.loads((schemas / "control-codes.schema.json").read_text(encoding="utf-8"))
    codes["definitions"]["trigger"]["properties"]["kind"]["enum"].append("teapot")
    _write(schemas / "control-codes.schema.json", codes)
    text = {"type": "string"}
    _write(
        schemas / "ping.query.schema.json",
        {"$schema": DRAFT, "$id": "ping.query.schema.json", "type": "object",
         "properties": {"apiKey": text, "word": text, "_format": {"enum": ["json", "xml"]}},
         "required": ["apiKey"]},
    )  # fmt: skip
    _write(
        schemas / "ping.ok.schema.json",
        {"$schema": DRAFT, "$id": "ping.ok.schema.json", "type": "object",
         "properties": {"success": {"const": True}, "code": {"const": 200}, "word": text},
         "required": ["success", "code", "word"], "additionalProperties": False},
    )  # fmt: skip
    _write(
        schemas / "ping.error.schema.json",
        {"$schema": DRAFT, "$id": "ping.error.schema.json", "type": "object",
         "properties": {"success": {"const": False}, "code": {"enum": [1, 10, 418]},
                        "message": text},
         "required": ["success", "code", "message"], "additionalProperties": False},
    )  # fmt: skip
    _write(
        schemas / "control-codes.ping.json",
        {
            "operation": "GET /v1/ping",
            "codes": [
                _code(1, False, {"kind": "missing", "parameter": "apiKey"},
                      "La clé API est requise", "The API key is required", 400),
                _code(10, False, {"kind": "unknown-api-key"},
                      "Clé API incorrecte", "Invalid API key", 401),
                _code(418, False, {"kind": "teapot"}, "Je suis une théière", "I'm a teapot", 418),
                _code(200, True, {"kind": "ok"}, "Tout va bien", "All is well", 200),
            ],
        },
    )  # fmt: skip


async def ping(request: web.Request) -> web.Response:
    """The one handler function the new operation needs."""
    call = operations.query_call(request, "ping")
    code = call.decide({"teapot": lambda _: call.params.get("word") == "teapot"})
    if not code.success:
        return call.error(code)
    return call.ok({"word": call.params.get("word", "")})


@pytest.fixture
def ping_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A contract with GET /v1/ping, and its handler registered, for one test."""
    shutil.copytree(spec.SCHEMA_DIR, tmp_path / "schemas")
    _ping_contract(tmp_path / "schemas")
    monkeypatch.setattr(operations, "REGISTRY", dict(operations.registry()))
    operations.operation("ping", kinds=("teapot",))(ping)
    with spec.use_contract(schemas=tmp_path / "schemas"):
        yield


@pytest.mark.usefixtures("ping_contract")
def test_a_new_operation_is_served_in_json_and_xml() -> None:
    """GET /v1/ping answers its ok body in JSON and XML, validated against its schema."""
    with ServerThread() as server:
        api = Transport(server.base_url)
        reply = api.get(f"apiKey={KEY}&word=hello", path="/ping")
        assert (reply.status, reply.media_type) == (200, "application/json")
        assert json.loads(reply.raw) == {"success": True, "code": 200, "word": "hello"}
        xml = api.get(f"apiKey={KEY}&word=hello&_format=xml", path="/ping")
        assert xml.media_type == "application/xml"
        assert b"<entry><![CDATA[hello]]></entry>" in xml.raw
        assert not server.violations() and not server.bugs()


@pytest.mark.usefixtures("ping_contract")
def test_a_new_operation_answers_its_catalogue_codes() -> None:
    """Its own trigger kind and the generic ones answer the codes of its catalogue."""
    with ServerThread(Settings(access_log=False, lang="en", error_status="4xx")) as server:
        api = Transport(server.base_url)
        teapot = api.get(f"apiKey={KEY}&word=teapot", path="/ping")
        assert teapot.status == 418
        assert json.loads(teapot.raw) == {"success": False, "code": 418, "message": "I'm a teapot"}
        xml = api.get(f"apiKey={KEY}&word=teapot&_format=xml", path="/ping")
        assert b"<entry>418</entry>" in xml.raw and b"I'm a teapot" in xml.raw
        assert json.loads(api.get("word=x", path="/ping").raw)["code"] == 1
        assert json.loads(api.get("apiKey=nope", path="/ping").raw)["code"] == 10


def test_the_bundled_contract_is_back_after_the_block(tmp_path: Path) -> None:
    """Leaving use_contract drops what was read from the other directory."""
    shutil.copytree(spec.SCHEMA_DIR, tmp_path / "schemas")
    _ping_contract(tmp_path / "schemas")
    with spec.use_contract(schemas=tmp_path / "schemas"):
        assert "ping" in [op.id for op in spec.operations()]
        assert "ping" in spec.catalogues()
    assert "ping" not in [op.id for op in spec.operations()]
    assert spec.schema_dir() == spec.SCHEMA_DIR
