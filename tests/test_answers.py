"""The memoised answers: bounded, dropped when the store changes, invisible on the wire."""

from __future__ import annotations

import dataclasses

from contract_tests.transport import Transport
from mock_server import ServerThread
from mock_server._domain.lifecycle import Outbox, Outcome, SentMessage
from mock_server._http.answers import Answer, AnswerCache
from mock_server.testing.admin_client import AdminClient

QUERY = "apiKey=YOUR_API_KEY&messageId=1111&phoneNumber=0600000000"


def _answer(n: int) -> Answer:
    return Answer(str(n).encode(), "json", 200)


def test_cache_keeps_at_most_maxsize_answers_dropping_the_oldest() -> None:
    """A full cache forgets its oldest answer to make room for a new one."""
    cache = AnswerCache(maxsize=2)
    for n in range(3):
        assert cache.get(str(n), version=1) is None
        cache.put(str(n), _answer(n))
    assert len(cache) == 2
    assert cache.get("0", version=1) is None
    assert cache.get("2", version=1) == _answer(2)


def test_cache_forgets_everything_when_the_version_changes() -> None:
    """An answer cached for one store version is not returned for another."""
    cache = AnswerCache()
    cache.get("q", version=1)
    cache.put("q", _answer(1))
    assert cache.get("q", version=1) == _answer(1)
    assert cache.get("q", version=2) is None
    assert len(cache) == 0


def test_a_store_change_is_served_even_after_the_query_was_cached() -> None:
    """Store.put and Store.reset change what a query already answered returns."""
    with ServerThread() as server:
        transport = Transport(server.base_url)
        assert transport.get(QUERY).data()["statut"] == "Delivered"
        assert len(server.state.answers["message-status"]) == 1
        store = server.state.store
        record = store.find("1111", "0600000000")
        assert record is not None
        server.call(lambda: store.put({**record, "statut": "Waiting"}))
        assert transport.get(QUERY).data()["statut"] == "Waiting"
        server.call(store.reset)
        assert transport.get(QUERY).data()["statut"] == "Delivered"


def test_sent_messages_are_never_served_stale() -> None:
    """A query cached as 'not found' finds the message once sent; its status follows the clock."""
    with ServerThread() as server:
        transport = Transport(server.base_url)
        client = AdminClient(server.base_url)
        client.freeze()
        outbox = server.state.store.outbox
        first_id = server.call(outbox.allocate)  # the id the next send will get...
        server.call(outbox.reset)  # ...once the counter is back where it was
        query = f"apiKey=YOUR_API_KEY&messageId={first_id}&phoneNumber=0600000002"
        assert transport.get(query).data()["code"] == 4
        assert client.send("0600000002", "hello")["message_id"] == first_id
        assert transport.get(query).data()["statut"] == "Waiting"
        client.advance(3600)
        assert transport.get(query).data()["statut"] == "Not delivered"


def test_answers_follow_resets_and_sends() -> None:
    """A query answered 'not found' is found after the send that creates its message, is not
    found after a reset, and is found again after the next send: no answer outlives a change."""
    with ServerThread() as server:
        transport = Transport(server.base_url)
        client = AdminClient(server.base_url)
        first = client.send("0600000002", "one")["message_id"]
        query = f"apiKey=YOUR_API_KEY&messageId={first + 1}&phoneNumber=0600000002"
        not_found = transport.get(query).data()["code"]
        assert not_found != 200
        assert transport.get(query).data()["code"] == not_found  # answered twice: memoised
        assert client.send("0600000002", "two")["message_id"] == first + 1
        assert transport.get(query).data()["code"] == 200
        client.reset()
        assert transport.get(query).data()["code"] == not_found
        client.send("0600000000", "three")
        assert client.send("0600000002", "four")["message_id"] == first + 1
        assert transport.get(query).data()["code"] == 200


def test_every_outbox_change_gives_a_new_version() -> None:
    """Sends, cancels and resets each give the outbox a version it never had before, which
    is what drops the memoised answers."""
    outbox = Outbox(1)
    seen = [outbox.version]
    message = SentMessage(1, "0600000000", 0.0, 10.0, Outcome("Delivered", 5, False), 1, 0.045,
                          "FR", "EUR")  # fmt: skip
    for change in (
        lambda: outbox.add([message]),
        lambda: outbox.add([dataclasses.replace(message, message_id=2)]),
        lambda: outbox.cancel("1", 1.0),
        outbox.reset,
        lambda: outbox.add([message]),
        outbox.reset,
    ):
        change()
        assert outbox.version not in seen
        seen.append(outbox.version)
