"""The contract suite's transport and XML decoding, and its safety against remote targets."""

from __future__ import annotations

import pytest

from contract_tests import transport as transport_module
from contract_tests.strategies import Query
from contract_tests.transport import BudgetExhausted, Transport, decode_xml
from mock_server import ServerThread

QUERY = "apiKey=YOUR_API_KEY&messageId=1111&phoneNumber=0600000000"


@pytest.fixture(scope="module")
def server() -> ServerThread:
    with ServerThread() as running:
        yield running


def test_guarded_transport_only_sends_read_only_requests(server: ServerThread) -> None:
    """Against a remote target, nothing but the read-only requests leaves the suite: no send,
    no cancel, no change to the STOP list or the sub-accounts, no paid check; a send only
    with sandbox=1 when sandbox sends are allowed."""
    guarded = Transport(server.base_url, guarded=True)
    expected = (
        r"Refusing POST /message-status: .* only GET /bulk-status, GET /bulk-status-by-tag, "
        r"GET /me, GET /message-status, GET /nope, GET /statistics/cost-resume, "
        r"GET /stop-sms/list, GET /subaccount/list, POST /multi-status are sent"
    )
    with pytest.raises(PermissionError, match=expected):
        guarded.request("POST", "/message-status")
    with pytest.raises(PermissionError, match="Refusing GET /message-cancel"):
        guarded.get(QUERY, path="/message-cancel")
    for method, path in (("POST", "/stop-sms/add"), ("GET", "/stop-sms/delete")):
        with pytest.raises(PermissionError, match=f"Refusing {method} {path}"):
            guarded.request(method, path)
    for path in ("/send", "/bulk-send", "/vn/send", "/lookup"):
        with pytest.raises(PermissionError, match=f"Refusing POST {path}"):
            guarded.post(path, {"apiKey": "k", "sandbox": 1})
    assert guarded.get(QUERY).status == 200
    assert guarded.get(QUERY, path="/me").status == 200
    assert guarded.get("apiKey=YOUR_API_KEY", path="/stop-sms/list").data()["nbData"] == 1
    sandboxed = Transport(server.base_url, guarded=True, sandbox_sends=True)
    with pytest.raises(PermissionError, match=r"Refusing POST /send: .*and sandbox sends"):
        sandboxed.post("/send", {"apiKey": "k", "phoneNumbers": "0600000000", "message": "x"})
    for path in ("/bulk-send", "/vn/send"):  # only /send is ever sent, sandbox or not
        with pytest.raises(PermissionError, match=f"Refusing POST {path}"):
            sandboxed.post(path, {"apiKey": "k", "sandbox": 1})
    assert sandboxed.post("/send", {"apiKey": "k", "sandbox": 1}).status == 200
    assert sandboxed.post("/send", b"{nope").status == 200  # nothing a server could send


def test_budget_stops_requests(server: ServerThread) -> None:
    """Once the budget is spent, the transport refuses to send and says how to raise it."""
    limited = Transport(server.base_url, guarded=True, budget=2)
    limited.get(QUERY)
    limited.get(QUERY)
    with pytest.raises(BudgetExhausted, match=r"budget of 2 is spent .*--max-requests"):
        limited.get(QUERY)
    assert limited.sent == 2


def test_rate_spaces_requests(server: ServerThread, monkeypatch: pytest.MonkeyPatch) -> None:
    """At rate 4/s the transport waits about 0.25 s between two requests."""
    sleeps: list[float] = []
    monkeypatch.setattr(transport_module.time, "sleep", sleeps.append)
    throttled = Transport(server.base_url, rate=4)
    throttled.get(QUERY)
    throttled.get(QUERY)
    assert len(sleeps) == 1 and 0.2 < sleeps[0] <= 0.25


def test_reported_request_never_shows_the_key(server: ServerThread) -> None:
    """The request a reply names has its API key redacted, in the query and anywhere else."""
    secret = Transport(server.base_url, secrets=("YOUR_API_KEY",))
    reply = secret.get(QUERY + "&note=YOUR_API_KEY")
    assert "YOUR_API_KEY" not in reply.request
    assert reply.request.endswith("?apiKey=***&messageId=1111&phoneNumber=0600000000&note=***")


def test_query_repr_hides_the_key() -> None:
    """A generated query's repr, as Hypothesis prints it, hides the key."""
    query = Query((("apiKey", "s3cret"), ("messageId", "1")))
    assert repr(query) == "Query(apiKey='***', messageId='1')"
    assert "s3cret" not in repr(query)


def test_invalid_base_url_is_refused() -> None:
    """A base URL without scheme or host is refused with the expected form."""
    with pytest.raises(ValueError, match=r"expected http\(s\)://host\[:port\]/v1"):
        Transport("api.smspartner.fr/v1")


def test_https_uses_verified_tls() -> None:
    """An https target gets a connection that verifies certificates."""
    connection = Transport("https://api.smspartner.fr/v1")._connection()
    assert connection._context.verify_mode.name == "CERT_REQUIRED"  # type: ignore[attr-defined]
    assert connection._context.check_hostname  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "raw",
    [b"not xml", b"<other/>", b"<?xml version='1.0'?><result>text</result>"],
)
def test_malformed_xml_is_a_value_error(raw: bytes) -> None:
    """A body that is not the documented XML raises ValueError, for the checks to report."""
    with pytest.raises(ValueError, match=r"Malformed XML|not <result>"):
        decode_xml(raw, "message-status")


def test_surplus_entries_keep_a_position_name() -> None:
    """An extra entry is kept as entry[N] so that schema validation reports it."""
    raw = b"<result><entry>false</entry><entry>1</entry><entry>m</entry><entry>x</entry></result>"
    decoded = decode_xml(raw, "message-status")
    assert decoded == {"success": False, "code": 1, "message": "m", "entry[3]": "x"}


def test_reply_knows_its_operation(server: ServerThread) -> None:
    """A reply names the operation at its method and path, and None elsewhere."""
    transport = Transport(server.base_url)
    assert transport.get(QUERY, path="/me").operation == "me"
    assert transport.post("/send", {}).operation == "send"
    assert transport.request("POST", "/me").operation is None
    assert transport.get(QUERY, path="/nowhere").operation is None


def test_public_api_exports_resolve() -> None:
    """Every name contract_tests exports resolves; others raise AttributeError."""
    import contract_tests

    for name in contract_tests.__all__:
        assert getattr(contract_tests, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        contract_tests.nope  # noqa: B018
