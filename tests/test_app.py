"""The app and its runners: settings validation, self-check, thread runner, shutdown."""

from __future__ import annotations

import http.client
import logging

import pytest

from contract_tests.transport import Transport
from mock_server import ServerThread, Settings
from mock_server._http.runner import RedactingFilter
from mock_server.errors import FixtureError

QUERY = "apiKey=YOUR_API_KEY&messageId=1111&phoneNumber=0600000000"


@pytest.mark.parametrize(
    ("field", "value"), [("lang", "de"), ("date_format", "iso"), ("error_status", "500")]
)
def test_invalid_settings_are_refused(field: str, value: str) -> None:
    """A setting outside its choices fails with the allowed values."""
    with pytest.raises(ValueError, match=rf"Invalid {field}: '{value}'; expected one of"):
        Settings(**{field: value})  # type: ignore[arg-type]


def test_outbound_violation_is_a_500_and_recorded() -> None:
    """A stored record that breaks the schema is never served: 500 and a recorded violation."""
    with ServerThread() as server:
        record = server.state.store.find("1111", "0600000000")
        assert record is not None
        record["statut"] = "Sent"  # bypasses Store.put's validation, as a mock bug would
        reply = Transport(server.base_url).get(QUERY)
        assert reply.status == 500
        assert b"violates message-status.ok at $.statut" in reply.raw
        assert [v.path for v in server.violations()] == ["$.statut"]


def test_store_put_validates_and_reset_restores() -> None:
    """Store.put refuses a bad record, stores a good one, and reset forgets it."""
    with ServerThread() as server:
        store = server.state.store
        record = {**store.find("1111", "0600000000"), "messageId": "42", "statut": "Waiting"}  # type: ignore[dict-item]
        store.put(record)
        transport = Transport(server.base_url)
        reply = transport.get(QUERY.replace("1111", "42"))
        assert reply.data()["statut"] == "Waiting"
        with pytest.raises(FixtureError, match="statut"):
            store.put({**record, "statut": "nope"})
        store.reset()
        assert store.find("42", "0600000000") is None
        assert len(store.messages()) == 6


def test_server_thread_surfaces_start_errors() -> None:
    """A thread that cannot bind re-raises the error in the test, and stops cleanly."""
    server = ServerThread(Settings(host="256.0.0.1", access_log=False))
    with pytest.raises(OSError):  # noqa: PT011 - the OS decides the exact errno text
        server.start()
    server.stop()


def test_log_records_without_exception_pass_unchanged() -> None:
    """The redacting filter leaves ordinary records alone."""
    record = logging.LogRecord("aiohttp.server", logging.INFO, "", 0, "hello %s", ("x",), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "hello x"


def test_access_log_redacts_api_key(caplog: pytest.LogCaptureFixture) -> None:
    """The access log has one line per request and never the API key."""
    caplog.set_level(logging.INFO, logger="mock_server.access")
    with ServerThread(Settings()) as server:
        Transport(server.base_url).get(QUERY.replace("YOUR_API_KEY", "SeCrEt"))
    lines = [r.getMessage() for r in caplog.records if r.name == "mock_server.access"]
    assert len(lines) == 1
    assert "apiKey=***" in lines[0] and "SeCrEt" not in lines[0]
    assert '"GET /v1/message-status?apiKey=***&messageId=1111' in lines[0]


def test_parser_errors_are_logged_without_the_key(caplog: pytest.LogCaptureFixture) -> None:
    """A request line too long for the parser is a 400, and its log hides the key."""
    caplog.set_level(logging.DEBUG)
    with ServerThread(Settings()) as server:
        connection = http.client.HTTPConnection(
            "127.0.0.1", int(server.base_url.split(":")[2][:-3])
        )
        connection.request("GET", "/v1/message-status?apiKey=SeCrEt" + "x" * 9000)
        assert connection.getresponse().status == 400
    assert caplog.records
    assert all("SeCrEt" not in r.getMessage() and not r.exc_info for r in caplog.records)


def test_server_thread_changes_state_directly_before_it_starts() -> None:
    """Before the loop runs, call() runs the function at once (nothing to race with)."""
    server = ServerThread()
    server.state.store.clock.advance(60)
    server.reset()
    assert server.state.store.clock.offset == 0
    with server:  # and on the loop once it runs
        server.call(lambda: server.state.store.clock.advance(60))
        assert server.call(lambda: server.state.store.clock.offset) == 60
