"""Each fault kind, observed by a real HTTP client (http.client) against a mock in a thread."""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from mock_server import ServerThread
from mock_server._http.faults import Faults
from mock_server.contract import spec
from mock_server.testing.admin_client import AdminClient

KEY = "YOUR_API_KEY"
QUERY = f"/v1/message-status?apiKey={KEY}&messageId=1111&phoneNumber=0600000000"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _port(server: ServerThread) -> int:
    return int(server.base_url.rsplit(":", 1)[1].split("/")[0])


def _get(
    server: ServerThread,
    path: str = QUERY,
    timeout: float = 5,
    method: str = "GET",
    body: bytes | None = None,
) -> Answer:
    """One request on its own connection, always closed; transport errors propagate."""
    connection = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=timeout)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_error_is_a_proxy_html_page(
    client: AdminClient, server: ServerThread, status: int
) -> None:
    """http-error answers the status with the proxy's HTML page, once."""
    client.add_fault("http-error", status=status, times=1)
    answer = _get(server)
    assert (answer.status, answer.headers["Content-Type"]) == (status, "text/html; charset=utf-8")
    assert answer.body.decode() == spec.faults()["pages"][str(status)]
    assert _get(server).status == 200


def test_rate_limit_is_429_with_retry_after(client: AdminClient, server: ServerThread) -> None:
    """rate-limit answers 429 with the Retry-After asked for."""
    client.add_fault("rate-limit", retry_after=30)
    answer = _get(server)
    assert (answer.status, answer.headers["Retry-After"]) == (429, "30")


def test_malformed_json_does_not_parse(client: AdminClient, server: ServerThread) -> None:
    """malformed-json sends a body a JSON parser refuses, with a JSON Content-Type."""
    client.add_fault("malformed-json")
    answer = _get(server)
    body = answer.body
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert body.startswith(spec.faults()["php_notice"].encode())
    assert body.endswith(b'"currency":"EUR"}')


def test_truncated_body_is_an_incomplete_read(client: AdminClient, server: ServerThread) -> None:
    """truncated announces the full length, sends half, and closes."""
    client.add_fault("truncated")
    connection = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=5)
    try:
        connection.request("GET", QUERY)
        response = connection.getresponse()
        # the headers are the real answer's, charset included
        assert response.getheader("Content-Type") == "application/json; charset=utf-8"
        with pytest.raises(http.client.IncompleteRead) as info:
            response.read()
    finally:
        connection.close()
    assert len(info.value.partial) > 0 and info.value.expected > 0


def test_reset_is_a_connection_reset(client: AdminClient, server: ServerThread) -> None:
    """reset aborts the connection before any answer."""
    client.add_fault("reset")
    with pytest.raises(ConnectionResetError):
        _get(server)
    assert client.journal()[-1]["status"] is None


def test_no_answer_holds_until_the_client_times_out(
    client: AdminClient, server: ServerThread
) -> None:
    """no-answer sends nothing: the client's own timeout fires."""
    client.add_fault("no-answer", seconds=0.4)
    with pytest.raises(TimeoutError):
        _get(server, timeout=0.2)
    assert client.journal()[-1] == {**client.journal()[-1], "status": None, "fault": "no-answer"}


def test_no_answer_then_closes_in_order(client: AdminClient, server: ServerThread) -> None:
    """After its wait, no-answer closes the connection (FIN): the client reads an end of
    stream with no answer, not a reset."""
    client.add_fault("no-answer", seconds=0.2)
    with pytest.raises(http.client.RemoteDisconnected):  # an orderly EOF, no status line
        _get(server, timeout=5)


def test_latency_delays_one_request_not_the_others(
    client: AdminClient, server: ServerThread
) -> None:
    """latency delays matching requests while others are answered at once."""
    client.add_fault("latency", seconds=0.4, match={"path": "/message-status"})
    slow: list[float] = []

    def fetch_slowly() -> None:
        start = time.monotonic()
        _get(server)
        slow.append(time.monotonic() - start)

    thread = threading.Thread(target=fetch_slowly)
    thread.start()
    start = time.monotonic()
    assert _get(server, f"/v1/me?apiKey={KEY}").status == 200
    fast = time.monotonic() - start
    thread.join()
    assert fast < 0.3 and slow[0] >= 0.4


@pytest.mark.parametrize(
    ("match", "request_", "hit"),
    [
        ({"phoneNumber": "+33600000000"}, ("GET", QUERY, None), True),
        ({"phoneNumber": "0611111111"}, ("GET", QUERY, None), False),
        ({"messageId": "1111"}, ("GET", QUERY, None), True),
        ({"messageId": "9999"}, ("GET", QUERY, None), False),
        ({"apiKey": "other"}, ("GET", QUERY, None), False),
        ({"path": "/v1/message-status"}, ("GET", QUERY, None), True),
        ({"path": "/send"}, ("GET", QUERY, None), False),
        ({"phoneNumber": "0600000002"}, ("POST", "/v1/send",
         {"apiKey": KEY, "phoneNumbers": "0600000001, 0600000002", "message": "x"}), True),
        ({"messageId": "5"}, ("POST", "/v1/multi-status",
         {"apiKey": KEY, "SMSStatut_List": [{"phoneNumber": "1", "messageId": 5}, 3]}), True),
        ({"apiKey": KEY}, ("POST", "/v1/send", b"not json"), False),
    ],
    ids=["phone form", "other phone", "messageId", "other messageId", "other key", "path",
         "other path", "one of phoneNumbers", "multi-status entry", "unparsed body"],
)  # fmt: skip
def test_rules_match_on_path_phone_message_and_key(
    client: AdminClient, server: ServerThread, match: dict[str, str], request_: Any, hit: bool
) -> None:
    """A rule applies only to requests naming what its match names."""
    client.add_fault("http-error", status=503, match=match)
    method, path, body = request_
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    assert (_get(server, path, method=method, body=raw).status == 503) is hit


def test_times_and_listing(client: AdminClient, server: ServerThread) -> None:
    """A rule limited to N requests stops after N; the listing counts and redacts."""
    rule = client.add_fault("rate-limit", times=2, match={"apiKey": KEY})
    assert rule["match"] == {"apiKey": "***"} and rule["remaining"] == 2
    assert [_get(server).status for _ in range(3)] == [429, 429, 200]
    assert client.faults()[0]["applied"] == 2 and client.faults()[0]["remaining"] == 0
    client.clear_faults()
    assert client.faults() == []


def test_probability_is_seeded() -> None:
    """Probability rules fire the same way after every clear: the choices are seeded."""
    rules = Faults(seed=3)

    def run() -> list[bool]:
        rules.clear()
        rules.add({"kind": "reset", "probability": 0.5})
        about = facts_for("/v1/me")
        return [rules.pick(about) is not None for _ in range(20)]

    first = run()
    assert first == run() and True in first and False in first


def facts_for(path: str) -> Any:
    from mock_server._http.faults import Facts

    return Facts(path, frozenset(), frozenset(), frozenset())


def test_shutdown_is_quick_with_held_connections() -> None:
    """Stopping the server ends held and delayed requests at once."""
    server = ServerThread().start()
    client = AdminClient(server.base_url)
    client.add_fault("no-answer", seconds=60, times=1)
    client.add_fault("latency", seconds=60, times=1)
    errors: list[BaseException] = []

    def hold() -> None:
        try:
            _get(server, timeout=30)
        except (ConnectionError, http.client.HTTPException) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    start = time.monotonic()
    server.stop()
    for thread in threads:
        thread.join()
    assert time.monotonic() - start < 2
    assert len(errors) == 1  # the held one is dropped; the delayed one is answered


def test_rules_see_through_an_oversized_body(client: AdminClient, server: ServerThread) -> None:
    """A body over the size limit matches on path only, and is still refused with 413."""
    client.add_fault("latency", seconds=0.01, match={"path": "/send", "apiKey": KEY})
    assert _get(server, "/v1/send", method="POST", body=b"x" * (1024**2 + 1)).status == 413
    assert client.faults()[0]["applied"] == 0


def test_server_thread_reset_clears_faults_and_journal() -> None:
    """ServerThread.reset (the plugin's per-test reset) also removes faults and the journal."""
    with ServerThread() as server:
        client = AdminClient(server.base_url)
        client.add_fault("reset")
        server.reset()
        assert _get(server).status == 200
        server.reset()
        assert client.faults() == [] and client.journal() == []
