"""The admin API under /_mock/, through AdminClient, against a mock in a thread."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_tests.transport import Transport
from mock_server import ServerThread, Settings
from mock_server._http import admin
from mock_server.contract import spec
from mock_server.testing.admin_client import AdminClient, AdminClientError

KEY = "YOUR_API_KEY"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(Settings(access_log=False, journal_size=5)) as running:
        yield running
        assert not running.violations()


def test_client_accepts_the_root_or_the_v1_url(server: ServerThread) -> None:
    """AdminClient takes the server root or the /v1 base URL."""
    assert AdminClient(server.base_url).root == AdminClient(server.base_url[:-3] + "/").root


def test_send_advance_and_status(client: AdminClient) -> None:
    """A magic 'Not delivered' number waits, then fails once the clock moves an hour."""
    magic = spec.load_fixtures().magic_numbers
    (row,) = [r for r in magic["numbers"] if r["number"] == "0600000002"]
    sent = client.send(["0600000002"], "Hello")
    assert client.status(sent["message_id"], "0600000002")["statut"] == magic["pending_status"]
    assert client.advance(3600)["offset"] == 3600
    assert client.status(sent["message_id"], "0600000002")["statut"] == row["final_status"]
    assert client.clock()["offset"] == 3600


def test_reset_forgets_sends_clock_journal_and_faults(client: AdminClient) -> None:
    """After reset: no sent message, offset 0, empty journal and no fault."""
    client.send("0600000000", "Hello")
    client.advance(10)
    client.add_fault("latency", seconds=0.01)
    client.reset()
    assert all(m["source"] == "fixture" for m in client.messages())
    assert (client.clock()["offset"], client.journal(), client.faults()) == (0, [], [])


def test_messages_lists_fixtures_and_each_recipient(client: AdminClient) -> None:
    """GET /_mock/messages shows fixture records, then each recipient with its lifecycle."""
    sent = client.send("0600000001,0600000003", "Hello", sandbox=1)
    listed = client.messages()
    assert [m["messageId"] for m in listed if m["source"] == "fixture"][:1] == ["1111"]
    mine = [m for m in listed if m["source"] == "sent"]
    assert [(m["number"], m["sandbox"]) for m in mine] == [
        ("0600000001", True),
        ("0600000003", True),
    ]
    assert {m["messageId"] for m in mine} == {str(sent["message_id"])}


def test_add_message_then_status(client: AdminClient) -> None:
    """A record added through the admin API is served by message-status."""
    record = {"number": "0655555555", "messageId": "77", "stopSms": False,
              "date": "1534615206", "statut": "ko", "cost": 0, "countryCode": "FR",
              "currency": "EUR"}  # fmt: skip
    assert client.add_message(record)["source"] == "fixture"
    assert client.status(77, "+33655555555")["statut"] == "ko"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.add_message({"messageId": "1"}), "'number' is a required property"),
        (lambda c: c.advance(-5), "-5 is less than the minimum of 0 at $.advance"),
        (lambda c: c._admin("POST", "/clock", {}), "Expected {"),
        (lambda c: c.advance(10**12), "cannot pass"),
        (lambda c: c._admin("POST", "/clock", {"advance": True}), 'Expected {"advance": SECONDS}'),
        (lambda c: c._admin("POST", "/clock", {"advance": 1, "x": 2}), "Expected {"),
        (lambda c: c._admin("POST", "/clock", [1]), "must be a JSON object; received list"),
        (lambda c: c.add_fault("teapot"), "Invalid fault rule at $.kind"),
        (lambda c: c.add_fault("http-error", status=404), "Invalid fault rule at $.status"),
    ],
    ids=[
        "bad record",
        "negative",
        "empty",
        "huge",
        "boolean",
        "extra field",
        "list",
        "kind",
        "status",
    ],
)
def test_bad_admin_requests_are_400_with_the_reason(
    client: AdminClient, call: Any, message: str
) -> None:
    """Every refused admin request is a 400 whose error says what is wrong."""
    with pytest.raises(AdminClientError) as info:
        call(client)
    assert info.value.status == 400
    assert message in info.value.error


def test_malformed_json_to_the_admin_api(server: ServerThread) -> None:
    """A body that is not JSON is refused with a 400 JSON error."""
    reply = Transport(server.base_url[:-3]).request("POST", "/_mock/clock", "", b"{nope")
    assert reply.status == 400
    assert reply.data()["error"].startswith("The body is not valid JSON")


def test_journal_redacts_keys_and_is_bounded(client: AdminClient, server: ServerThread) -> None:
    """The journal hides API keys in queries and bodies, and keeps the last N requests."""
    api = Transport(server.base_url)
    api.request("GET", "/message-status", "apiKey=SeCrEt&messageId=1&phoneNumber=1")
    api.post("/send", {"apiKey": "SeCrEt", "phoneNumbers": "0600000000", "message": "x"})
    api.post("/send", b'{"apiKey": "SeCrEt", "phoneNumbers": "06')
    api.post("/send", b'{"apiKey": 12345, "message": "x"')
    entries = client.journal()
    assert "SeCrEt" not in repr(entries) and "12345" not in repr(entries)
    assert entries[0]["query"] == "apiKey=***&messageId=1&phoneNumber=1"
    assert entries[1]["body"] == {"apiKey": "***", "phoneNumbers": "0600000000", "message": "x"}
    assert entries[2]["body"] == '{"apiKey": "***", "phoneNumbers": "06'
    for _ in range(5):
        api.request("GET", "/me", "apiKey=x")
    kept = client._admin("GET", "/requests")
    assert (len(kept["requests"]), kept["dropped"], kept["requests"][-1]["status"]) == (5, 4, 200)


def test_journal_records_refused_requests(client: AdminClient, server: ServerThread) -> None:
    """Unknown paths, other methods and oversized bodies are journalled with their status."""
    api = Transport(server.base_url)
    api.request("GET", "/nope")
    api.request("PUT", "/send")
    assert api.post("/send", b"x" * (1024**2 + 1)).status == 413
    assert [(e["path"], e["status"]) for e in client.journal()] == [
        ("/v1/nope", 404),
        ("/v1/send", 405),
        ("/v1/send", 413),
    ]


def test_token_is_required_when_set(server: ServerThread) -> None:
    """With a token, the admin API refuses requests without it or with a wrong one."""
    with ServerThread(Settings(access_log=False, admin_token="t0k3n")) as guarded:
        with pytest.raises(AdminClientError) as info:
            AdminClient(guarded.base_url).clock()
        assert info.value.status == 401
        with pytest.raises(AdminClientError):
            AdminClient(guarded.base_url, token="wrong").clock()
        assert AdminClient(guarded.base_url, token="t0k3n").clock()["offset"] == 0


def test_non_loopback_host_without_token_refuses_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a non-loopback address without a token, no admin request is accepted."""
    monkeypatch.setattr(admin, "is_loopback", lambda host: False)
    with ServerThread() as exposed:
        with pytest.raises(AdminClientError, match="needs its token"):
            AdminClient(exposed.base_url).reset()
        with pytest.raises(AdminClientError, match="needs its token"):
            AdminClient(exposed.base_url, token="guess").reset()


def test_no_admin_removes_the_routes() -> None:
    """With admin off, /_mock/ paths are unknown (404)."""
    with ServerThread(Settings(access_log=False, admin=False)) as plain:
        with pytest.raises(AdminClientError) as info:
            AdminClient(plain.base_url).reset()
        assert info.value.status == 404


def test_client_reports_non_json_errors(server: ServerThread) -> None:
    """An error page that is not JSON is reported as its text."""
    client = AdminClient(server.base_url)
    client.reset()
    client.add_fault("http-error", status=502, match={"path": "/send"})
    assert client._call("POST", "/v1/send", {})[0] == 502
    assert "502 Bad Gateway" in client._call("POST", "/v1/send", {})[1]
    client.reset()


@settings(max_examples=15, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("send"), st.sampled_from(["0600000001", "0600000002",
                                                        "0600000003", "0600000004"])),
            st.tuples(st.just("advance"), st.sampled_from([0, 1, 9, 30, 3600])),
        ),
        max_size=8,
    )
)  # fmt: skip
def test_statuses_over_http_only_move_forward(
    server: ServerThread, steps: list[tuple[str, object]]
) -> None:
    """Over HTTP, for any sends and advances, each message leaves the pending status once."""
    client = AdminClient(server.base_url)
    client.reset()
    pending = spec.load_fixtures().magic_numbers["pending_status"]
    seen: dict[tuple[str, str], list[str]] = {}
    for kind, value in steps:
        if kind == "send":
            client.send(str(value), "Hello")
        else:
            client.advance(float(value))  # type: ignore[arg-type]
        for message in client.messages():
            if message["source"] == "sent":
                key = (message["messageId"], message["number"])
                seen.setdefault(key, []).append(message["statut"])
    for history in seen.values():
        finals = [s for s in history if s != pending]
        assert finals == history[len(history) - len(finals) :], history
        assert len(set(finals)) <= 1, history


def test_a_frozen_clock_moves_only_when_advanced(client: AdminClient) -> None:
    """Frozen, the mock's time stands still through real time; resuming does not jump."""
    frozen = client.freeze()
    time.sleep(0.05)
    assert client.clock()["now"] == frozen["now"] and frozen["frozen"] is True
    assert client.advance(60)["now"] == frozen["now"] + 60
    resumed = client.freeze(False)
    assert resumed["frozen"] is False and resumed["now"] >= frozen["now"] + 60
    assert resumed["offset"] < 60  # real time went on while frozen


def test_a_failed_advance_changes_nothing(client: AdminClient) -> None:
    """An advance refused by the clock leaves it neither advanced nor frozen."""
    with pytest.raises(AdminClientError):
        client._admin("POST", "/clock", {"advance": 10**12, "freeze": True})
    assert client.clock()["offset"] == 0 and client.clock()["frozen"] is False
