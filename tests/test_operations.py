"""The handler registry and the decision engine at start-up, and mock bugs at run time."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from aiohttp import web

from contract_tests.transport import Transport
from mock_server import ServerThread, Settings, SpecError, create_app
from mock_server._domain import decisions
from mock_server._http import operations
from mock_server.contract import spec

SECRET = "SeCrEt-KeY-123"


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, operations.Registered]:
    """A copy of the registry that the test may change."""
    copy = dict(operations.registry())
    monkeypatch.setattr(operations, "REGISTRY", copy)
    return copy


def _replace_codes(monkeypatch: pytest.MonkeyPatch, catalogue: str, change: object) -> None:
    real = decisions.ordered
    codes = real(catalogue)
    monkeypatch.setattr(
        decisions,
        "ordered",
        lambda name: change(codes) if name == catalogue else real(name),  # type: ignore[operator]
    )


@pytest.mark.parametrize("catalogue", spec.catalogues())
def test_every_catalogue_is_checked_at_start_up(
    monkeypatch: pytest.MonkeyPatch, catalogue: str
) -> None:
    """A trigger kind no handler implements stops create_app, naming the catalogue."""
    odd = {"kind": "teapot"}
    _replace_codes(
        monkeypatch, catalogue, lambda codes: (dataclasses.replace(codes[0], trigger=odd), *codes)
    )
    expected = rf"Unknown trigger kinds \['teapot'\] in control-codes\.{catalogue}\.json; known: "
    with pytest.raises(SpecError, match=expected):
        create_app()


def test_a_catalogue_must_end_with_an_ok_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalogue whose codes can all fail to apply is refused: every request needs a code."""
    _replace_codes(monkeypatch, "me", lambda codes: codes[:-1])
    with pytest.raises(SpecError, match=r"control-codes\.me\.json has no success code of kind"):
        create_app()


@pytest.mark.parametrize(
    "last",
    [{"success": False}, {"trigger": {"kind": "missing", "parameter": "apiKey"}}],
    ids=["ok-kind failure", "success of another kind"],
)
def test_the_last_code_must_be_both_a_success_and_of_kind_ok(
    monkeypatch: pytest.MonkeyPatch, last: dict[str, object]
) -> None:
    """A last code that is a failure, or a success that may not apply, is refused too."""
    _replace_codes(
        monkeypatch, "me", lambda codes: (*codes[:-1], dataclasses.replace(codes[-1], **last))
    )
    with pytest.raises(SpecError, match=r"control-codes\.me\.json has no success code of kind"):
        create_app()


def test_every_catalogue_kind_is_one_the_handlers_declare() -> None:
    """The bundled contract passes the start-up check (every kind implemented)."""
    operations.check(operations.registry())


def test_an_operation_without_a_handler_is_refused(registry: dict[str, object]) -> None:
    """An operation of operations.json with no registered handler stops create_app."""
    del registry["me"]
    with pytest.raises(SpecError, match=r"No handler for the operations \['me'\] of operations"):
        create_app()


def test_a_catalogue_no_handler_decides_from_is_refused(
    registry: dict[str, operations.Registered],
) -> None:
    """A catalogue (here multi-status's entries) that no handler declares stops create_app."""
    multi = registry["multi-status"]
    registry["multi-status"] = dataclasses.replace(
        multi, kinds={"multi-status": multi.kinds["multi-status"]}
    )
    with pytest.raises(SpecError, match=r"No handler decides from control-codes\.multi-status-e"):
        create_app()


@pytest.mark.usefixtures("registry")
def test_an_operation_registers_once() -> None:
    """A second handler for the same operation is refused."""
    with pytest.raises(SpecError, match="Operation 'me' has two handlers"):
        operations.operation("me")(operations.REGISTRY["me"].handler)


def test_the_error_status_rule() -> None:
    """'200' answers every documented outcome with 200; '4xx' the code's http_status."""
    code = spec.control_codes()[10]
    assert decisions.http_status(code, "200") == 200
    assert decisions.http_status(code, "4xx") == code.http_status == 401


def _broken(registry: dict[str, operations.Registered], exc: Exception) -> None:
    async def broken(request: web.Request) -> web.StreamResponse:
        raise exc

    registry["me"] = dataclasses.replace(registry["me"], handler=broken)


def test_a_handler_that_raises_is_a_reported_mock_bug(
    registry: dict[str, operations.Registered], caplog: pytest.LogCaptureFixture
) -> None:
    """An exception in a handler: a 500 naming it a mock bug, a logged traceback, a record;
    the API key shows in none of them."""
    _broken(registry, RuntimeError(f"boom with {SECRET}"))
    caplog.set_level(logging.ERROR, logger="mock_server")
    with ServerThread(Settings(access_log=False, api_keys=(SECRET,))) as server:
        reply = Transport(server.base_url).request("GET", "/me", f"apiKey={SECRET}")
        bugs = server.bugs()
    assert reply.status == 500
    body = reply.raw.decode()
    assert body.startswith("Mock bug (please report it): RuntimeError: boom with ***")
    assert "(in GET /v1/me?apiKey=***)" in body
    assert [(bug.type, bug.message) for bug in bugs] == [("RuntimeError", "boom with ***")]
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "mock_server"]
    assert "Traceback (most recent call last)" in logged and "in broken" in logged
    assert "RuntimeError: boom with ***" in logged
    assert SECRET not in body + logged + repr(bugs)


def test_a_key_in_a_json_body_is_redacted_from_a_bug(
    registry: dict[str, operations.Registered],
) -> None:
    """A key sent in a JSON body, even one the mock does not accept, is redacted too."""
    _broken(registry, KeyError(SECRET))
    with ServerThread() as server:
        reply = Transport(server.base_url).request(
            "GET", "/me", body=b'{"apiKey": "%s"}' % SECRET.encode()
        )
        (bug,) = server.take_problems()[1]
        assert not server.bugs()
    assert reply.status == 500
    assert (bug.type, bug.message) == ("KeyError", "'***'")
    assert SECRET not in reply.raw.decode() + bug.traceback


def test_a_client_that_went_away_is_not_a_mock_bug(
    registry: dict[str, operations.Registered],
) -> None:
    """A connection error in a handler is the client's doing: aiohttp's, not recorded."""
    _broken(registry, ConnectionResetError("gone"))
    with ServerThread() as server:
        reply = Transport(server.base_url).request("GET", "/me", "apiKey=YOUR_API_KEY")
        assert not server.bugs()
    assert reply.status == 500
