"""Hardening: bounded stores, running totals, numbers from outside, the admin API closed to web
pages, and the smaller edges (issue 10)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server import ServerThread, Settings, redaction
from mock_server._domain import values
from mock_server._domain.account import Account
from mock_server._domain.clock import Clock
from mock_server._domain.lifecycle import MagicNumbers, Outbox, SentMessage, Totals, charges
from mock_server._http.journal import BODY_KEPT, Journal
from mock_server._http.state import STATE
from mock_server.contract import spec
from mock_server.testing.admin_client import AdminClient, AdminClientError

MAGIC = spec.load_fixtures().magic_numbers
NUMBERS = [row["number"] for row in MAGIC["numbers"]] + ["0699999999"]


def _sent(
    outbox: Outbox, clock: Clock, number: str, ahead: int | None, sandbox: bool, parts: int
) -> list[SentMessage]:
    message_id = outbox.allocate()
    magic = MagicNumbers(MAGIC)
    return [
        SentMessage(
            message_id=message_id,
            number=number,
            sent_at=clock.now(),
            scheduled_at=None if ahead is None else clock.now() + ahead,
            outcome=magic.outcome(number),
            parts=parts,
            cost=round(0.045 * parts, 3),
            country_code="FR",
            currency="EUR",
            sandbox=sandbox,
        )
    ]


steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("send"),
            st.tuples(
                st.sampled_from(NUMBERS),
                st.none() | st.integers(1, 100_000),
                st.booleans(),
                st.integers(1, 10),
            ),
        ),
        st.tuples(st.just("advance"), st.floats(min_value=0, max_value=200_000)),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=8)),
        st.tuples(st.just("reset"), st.none()),
    ),
    max_size=40,
)


@given(steps=steps, limit=st.integers(1, 6))
def test_running_totals_equal_the_derivation(steps: list[tuple[str, object]], limit: int) -> None:
    """After any sends, cancels, clock moves, resets and forgetting, the outbox's running totals
    equal the sum over every message sent since the reset, and toSend its derivation."""
    clock = Clock(lambda: 1_000_000.0)
    outbox = Outbox(1, max_messages=limit)
    every: dict[int, list[SentMessage]] = {}  # the oracle: nothing is ever forgotten here
    for kind, value in steps:
        if kind == "send":
            number, ahead, sandbox, parts = value  # type: ignore[misc]
            sent = _sent(outbox, clock, number, ahead, sandbox, parts)
            outbox.add(sent)
            every[sent[0].message_id] = sent
        elif kind == "advance":
            clock.advance(float(value))  # type: ignore[arg-type]
        elif kind == "cancel":
            held = outbox.recipients(str(value))
            if held and held[0].cancelled_at is None and held[0].start > clock.now():
                outbox.cancel(str(value), clock.now())
                every[held[0].message_id] = outbox.recipients(str(value))
        else:
            outbox.reset()
            every = {}
        messages = [m for sent in every.values() for m in sent]
        assert outbox.totals == charges(messages)
        ahead = sum(m.parts for m in messages if m.charged and m.start > clock.now())
        assert outbox.to_send(clock.now()) == ahead
        assert len(outbox) <= limit


def test_retention_forgets_finished_sends_first() -> None:
    """Past max_messages, a finished send goes before an older one still pending."""
    clock = Clock(lambda: 1_000_000.0)
    outbox = Outbox(1, max_messages=2)
    pending = _sent(outbox, clock, "0600000000", 10_000, False, 1)
    outbox.add(pending)
    outbox.add(_sent(outbox, clock, "0600000000", None, False, 1))
    clock.advance(3600)  # the unscheduled send is delivered; the scheduled one still waits
    outbox.add(_sent(outbox, clock, "0600000000", None, False, 1))
    assert [m.message_id for m in outbox.messages()] == [1, 3]
    assert outbox.forgotten == 1


def test_retention_forgets_the_oldest_when_none_has_finished() -> None:
    """When nothing has finished, the oldest send goes: the bound holds whatever the traffic."""
    clock = Clock(lambda: 1_000_000.0)
    outbox = Outbox(1, max_messages=1)
    for _ in range(3):
        outbox.add(_sent(outbox, clock, "0600000000", 10_000, False, 1))
    assert [m.message_id for m in outbox.messages()] == [3]


def test_a_forgotten_message_answers_code_4() -> None:
    """A message past the outbox's retention is unknown, as the live API's after its own."""
    with ServerThread(Settings(access_log=False, max_messages=1)) as server:
        client = AdminClient(server.base_url, api_key=sorted(server.api_keys)[0])
        first = client.send("0600000000", "one")["message_id"]
        client.send("0600000000", "two")
        answer = client.status(first, "0600000000")
        assert (answer["success"], answer["code"]) == (False, 4)
        page = client._admin("GET", "/messages?offset=0&limit=500")
        sent = [m for m in page["messages"] if m["source"] == "sent"]
        assert page["total"] == len(page["messages"])
        assert [m["messageId"] for m in sent] == [str(first + 1)]


def test_journal_bounded_in_bytes() -> None:
    """Bodies are kept only as far as they can be shown; the whole journal fits its budget."""
    journal = Journal(size=1000, byte_budget=100_000)
    for _ in range(50):
        journal.open(0.0, "POST", "/v1/send", "", b"x" * 1_000_000)
    assert journal.bytes <= 100_000
    assert all(len(entry["body"]) == BODY_KEPT for entry in journal._entries)
    assert journal.dropped == 50 - len(journal._entries)


@pytest.mark.parametrize(
    "literal",
    ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" * 21, "-" + "9" * 310],
)
def test_load_json_refuses_non_finite_and_huge_numbers(literal: str) -> None:
    """One parser for every body: NaN, infinities and giant numbers are a ValueError."""
    with pytest.raises(ValueError, match="number"):
        values.load_json(f'{{"x": {literal}}}'.encode())


def test_load_json_keeps_ordinary_numbers() -> None:
    assert values.load_json(b'{"a": 1, "b": -2.5, "c": 12345678901234567890}') == {
        "a": 1,
        "b": -2.5,
        "c": 12345678901234567890,
    }


# Every body the mock parses, with the place numbers go.
BODIES = {
    "/_mock/faults": {"kind": "latency", "seconds": 0.01, "probability": 0.5, "times": 1},
    "/_mock/clock": {"advance": 1},
    "/_mock/messages": {
        "messageId": "9",
        "number": "0600000000",
        "stopSms": False,
        "date": "2015-02-07 22:39:46",
        "statut": "Delivered",
        "cost": 0.045,
        "countryCode": "FR",
        "currency": "EUR",
    },
    "/v1/send": {"apiKey": "KEY", "phoneNumbers": "0600000000", "message": "x", "sandbox": 1},
    "/v1/multi-status": {
        "apiKey": "KEY",
        "SMSStatut_List": [{"phoneNumber": "0600000000", "messageId": 1}],
    },
}
NUMBERS_FROM_OUTSIDE = (
    st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "1e400", "-1e309", "9" * 310, "1" * 25, "-0", "1e-400"]
    )
    | st.floats(allow_nan=False).map(repr)
    | st.integers().map(str)
)


@pytest.fixture(scope="module")
def numbers_server() -> Iterator[ServerThread]:
    with ServerThread(Settings(access_log=False)) as running:
        yield running


def _post(base: str, path: str, body: bytes) -> tuple[int, bytes]:
    host, port = base.removeprefix("http://").split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@given(path=st.sampled_from(sorted(BODIES)), data=st.data())
def test_no_number_gives_a_5xx_or_a_hang(
    numbers_server: ServerThread, path: str, data: st.DataObject
) -> None:
    """Any number, in any numeric field of any body the mock parses, gets a clear answer."""
    body = json.loads(json.dumps(BODIES[path]))
    key = sorted(numbers_server.api_keys)[0]
    text = json.dumps(body).replace('"KEY"', json.dumps(key))
    fields = [k for k, v in body.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    field = data.draw(st.sampled_from(fields or ["extra"]), label="field")
    literal = data.draw(NUMBERS_FROM_OUTSIDE, label="number")
    marker = '"__NUMBER__"'
    text = json.dumps({**json.loads(text), field: "__NUMBER__"}).replace(marker, literal)
    status, answer = _post(numbers_server.base_url, path, text.encode())
    assert status < 500, (status, answer[:300])
    if path.startswith("/_mock/"):
        assert status in (200, 201, 400), answer[:300]
        if any(word in literal for word in ("NaN", "Infinity", "e400", "e309")):
            assert status == 400, answer[:300]  # finite numbers: the schema decides
    else:
        parsed = json.loads(answer)
        assert isinstance(parsed, dict) and "code" in parsed
    AdminClient(numbers_server.base_url).reset()


def test_nan_in_a_send_body_is_malformed_json(numbers_server: ServerThread) -> None:
    """A NaN literal is not JSON: the send answers code 90, as PHP's json_decode fails."""
    key = sorted(numbers_server.api_keys)[0]
    body = f'{{"apiKey": "{key}", "phoneNumbers": "0600000000", "message": NaN}}'
    status, answer = _post(numbers_server.base_url, "/v1/send", body.encode())
    assert (status, json.loads(answer)["code"]) == (200, 90)


def test_a_huge_advance_is_a_400_not_a_500(client: AdminClient) -> None:
    """A 310-digit advance is refused with its reason; the clock does not move."""
    with pytest.raises(AdminClientError) as refused:
        client._admin("POST", "/clock", json.loads('{"advance": 1}') | {"advance": 10**300})
    assert refused.value.status == 400
    assert client.clock()["offset"] == 0


def test_me_never_shows_a_negative_zero() -> None:
    """An exhausted balance reads '0.000', not '-0.000'."""
    account = Account(spec.load_fixtures().account)
    start = round(float(account.initial["solde"]) * 1000)
    credits = account.credits(Totals(parts=1, millis=start), to_send=0)
    assert credits["solde"] == credits["balance"] == "0.000"
    assert account.credits(Totals(parts=1, millis=start + 1), 0)["solde"] == "-0.001"


# The admin API and web pages -----------------------------------------------------------


def _raw(
    server: ServerThread, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    host, port = server.base_url.removeprefix("http://").split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.putrequest(method, path, skip_host="Host" in headers)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


FAULT = json.dumps({"kind": "http-error", "status": 503}).encode()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.example", "Content-Type": "text/plain"}, 403),
        ({"Origin": "http://evil.example", "Content-Type": "application/json"}, 403),
        ({"Origin": "null", "Content-Type": "application/json"}, 403),
        ({"Host": "attacker.example", "Content-Type": "application/json"}, 403),
        ({"Host": "attacker.example:8080", "Content-Type": "application/json"}, 403),
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({}, 415),
    ],
)
def test_web_pages_cannot_drive_the_admin_api(
    client: AdminClient, server: ServerThread, headers: dict[str, str], status: int
) -> None:
    """A cross-site post, a rebound Host or a non-JSON body is refused, and changes nothing."""
    answer = _raw(server, "POST", "/_mock/faults", headers, FAULT)
    assert answer[0] == status, answer
    assert "error" in json.loads(answer[2])
    assert client.faults() == []


def test_web_pages_cannot_read_the_journal(client: AdminClient, server: ServerThread) -> None:
    """GET /_mock/requests with an attacker's Host (DNS rebinding) is refused."""
    status, _, body = _raw(server, "GET", "/_mock/requests", {"Host": "attacker.example"})
    assert status == 403 and b"DNS rebinding" in body


def test_local_origins_and_hosts_are_welcome(client: AdminClient, server: ServerThread) -> None:
    """A page or tool on this machine (localhost, 127.0.0.1, [::1]) may use the admin API."""
    for headers in (
        {"Origin": "http://localhost:3000", "Host": "localhost:8080"},
        {"Origin": "http://127.0.0.1:5173", "Host": "127.0.0.1"},
        {"Origin": "http://[::1]:8000", "Host": "[::1]:9"},
    ):
        answer = _raw(
            server, "POST", "/_mock/faults", {**headers, "Content-Type": "application/json"}, FAULT
        )
        assert answer[0] == 201, answer
    client.clear_faults()


def test_a_preflight_is_never_granted(server: ServerThread) -> None:
    """OPTIONS gets no CORS headers, so a browser never sends the JSON post after it."""
    status, headers, _ = _raw(
        server,
        "OPTIONS",
        "/_mock/faults",
        {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert status in (403, 405)  # refused as a web page's, or as a method the route lacks
    assert not any(name.lower().startswith("access-control-") for name in headers)


@pytest.fixture(scope="module")
def token_server() -> Iterator[ServerThread]:
    with ServerThread(Settings(access_log=False, admin_token="s3cret")) as running:
        yield running


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (["Bearer s3cret"], 200),
        (["bearer s3cret"], 200),
        (["s3cret"], 401),
        (["Basic s3cret"], 401),
        (["Bearer s3cret", "Bearer s3cret"], 401),
        (["Bearer wrong", "Bearer s3cret"], 401),
    ],
)
def test_the_token_is_one_bearer_header(
    token_server: ServerThread, authorization: list[str], status: int
) -> None:
    """Only one Authorization header, 'Bearer TOKEN', opens the admin API."""
    host, port = token_server.base_url.removeprefix("http://").split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.putrequest("GET", "/_mock/clock")
        for value in authorization:
            connection.putheader("Authorization", value)
        connection.endheaders()
        assert connection.getresponse().status == status
    finally:
        connection.close()


def test_the_token_opens_the_admin_api_to_any_origin(token_server: ServerThread) -> None:
    """With the token, a request from another origin is a deliberate one: it is served."""
    status, _, _ = _raw(
        token_server,
        "GET",
        "/_mock/clock",
        {"Origin": "http://ci.example", "Host": "mock.example", "Authorization": "Bearer s3cret"},
    )
    assert status == 200


# Settings and the command line --------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"port": 70000}, "Invalid port"),
        ({"port": -1}, "Invalid port"),
        ({"host": ""}, "Invalid host"),
        ({"api_keys": ("",)}, "Invalid api_keys"),
        ({"api_keys": ("ok", "  ")}, "Invalid api_keys"),
        ({"admin": False, "admin_token": "x"}, "admin API is off"),
        ({"max_messages": 0}, "Invalid max_messages"),
    ],
)
def test_settings_refuse_what_cannot_work(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query", ["offset=-1", "offset=x", "limit=0", "limit=501", "limit=" + "9" * 30, "offset=1.5"]
)
def test_a_bad_page_is_a_400(client: AdminClient, query: str) -> None:
    """offset and limit are small whole numbers; anything else says what it should be."""
    with pytest.raises(AdminClientError) as refused:
        client._admin("GET", f"/messages?{query}")
    assert refused.value.status == 400 and "must be" in refused.value.error


def test_pages_cover_every_message_once(client: AdminClient) -> None:
    """Fixture records then sent messages, page after page, none twice, none missed."""
    for _ in range(3):
        client.send("0600000000,0600000001", "hello")
    pages = [client._admin("GET", f"/messages?offset={o}&limit=2") for o in range(0, 20, 2)]
    listed = [m for page in pages for m in page["messages"]]
    assert len(listed) == pages[0]["total"] == len(client.messages())
    assert listed == client.messages()


def test_api_bodies_take_big_numbers_as_php_does() -> None:
    """The API is not known to refuse a long integer or an overflowing float: only the admin
    API (bounded) does; NaN and Infinity are refused by both."""
    assert values.load_json(b'{"a": 123456789012345678901234}', bounded=False) == {
        "a": 123456789012345678901234
    }
    assert values.load_json(b'{"a": 1e400}', bounded=False) == {"a": float("inf")}
    with pytest.raises(ValueError, match="number"):
        values.load_json(b'{"a": NaN}', bounded=False)


def test_a_refunded_schedule_leaves_to_send_once_started() -> None:
    """A scheduled send cancelled with a refund is no longer to be sent, and stays out of the
    count when its time comes."""
    clock = Clock(lambda: 1_000_000.0)
    outbox = Outbox(1)
    outbox.add(_sent(outbox, clock, "0600000000", 3600, False, 2))
    assert outbox.to_send(clock.now()) == 2
    outbox.cancel("1", clock.now())
    assert outbox.to_send(clock.now()) == (0 if spec.assumed("cancel-refund") else 2)
    clock.advance(7200)
    assert outbox.to_send(clock.now()) == 0


def test_a_full_store_refuses_a_new_record_with_409(server: ServerThread) -> None:
    """Records added through the admin API are bounded: past the bound, 409 and what to do."""
    client = AdminClient(server.base_url)
    client.reset()
    store = server.app[STATE].store
    bound, store.max_records = store.max_records, len(store)
    try:
        record = {**client.messages()[0], "messageId": "424242"}
        record.pop("source")
        with pytest.raises(AdminClientError) as refused:
            client.add_message(record)
        assert refused.value.status == 409 and "reset" in refused.value.error
        existing = {**client.messages()[0]}
        existing.pop("source")
        client.add_message({**existing, "statut": "Waiting"})  # a replacement still fits
    finally:
        store.max_records = bound
        client.reset()


def test_redaction_of_values_and_broken_names() -> None:
    """Known keys go from strings, keys and lists; a cut JSON name is compared as it stands."""
    data = {"a": ["x KEY y", {"KEY": 1}], "b": 2}
    assert redaction.redact_values(data, ["KEY"]) == {"a": ["x *** y", {"***": 1}], "b": 2}
    assert redaction.redact_json_text('{"apiKey\\u00": "v", "b": "c"}') == (
        '{"apiKey\\u00": "***", "b": "c"}'
    )


def test_admin_client_pages_through_every_message(client: AdminClient) -> None:
    """messages() follows the pages to the end (500 a page)."""
    for _ in range(3):
        client.send(",".join(f"06000{n:05d}" for n in range(200)), "bulk", sandbox=1)
    assert len([m for m in client.messages() if m["source"] == "sent"]) == 600


def test_a_schedule_leaves_to_send_when_its_time_comes() -> None:
    """A charged scheduled send counts in toSend until its time, then no more."""
    clock = Clock(lambda: 1_000_000.0)
    outbox = Outbox(1)
    outbox.add(_sent(outbox, clock, "0600000000", 600, False, 3))
    assert outbox.to_send(clock.now()) == 3
    clock.advance(600)
    assert outbox.to_send(clock.now()) == 0


def test_cancelling_a_sandbox_schedule_changes_no_total() -> None:
    """A sandbox send is not charged: scheduled then cancelled, it moves no total."""
    clock = Clock(lambda: 1_000_000.0)
    outbox = Outbox(1)
    outbox.add(_sent(outbox, clock, "0600000000", 3600, True, 2))
    before = outbox.totals
    outbox.cancel("1", clock.now())
    assert outbox.totals == before == charges(outbox.messages())
    assert outbox.to_send(clock.now()) == 0
