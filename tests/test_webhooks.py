"""Callbacks: the schedule, receipts, replies, fault rules, retries and the engine's safety.

The data-driven cases are fixtures/scenarios/callbacks.json; these are the units and the
edges a scenario cannot reach. Every callback target is a loopback server of the test.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiohttp import web

from contract_tests.receivers import Receiver
from mock_server import ServerThread, Settings, cli
from mock_server._domain import callbacks
from mock_server._domain.callbacks import (
    Callback,
    CallbackRules,
    Receipt,
    Schedule,
    Subject,
)
from mock_server._domain.lifecycle import Outbox, Outcome, SentMessage
from mock_server._http import webhooks
from mock_server._http.state import MockState
from mock_server._http.webhooks import Delivery
from mock_server.contract import spec
from mock_server.errors import StoreFull
from mock_server.redaction import redact_url
from mock_server.settings import callback_refusal
from mock_server.testing import AdminClient, AdminClientError, serve_app
from mock_server.testing.pytest_plugin import MockHandle

DELIVERED = Outcome("Delivered", 10.0, False)


def _message(**fields: Any) -> SentMessage:
    base: dict[str, Any] = {
        "message_id": 7,
        "number": "0600000001",
        "sent_at": 1000.0,
        "scheduled_at": None,
        "outcome": DELIVERED,
        "parts": 1,
        "cost": 0.045,
        "country_code": "FR",
        "currency": "EUR",
        "url_dlr": "http://127.0.0.1:9/dlr",
    }
    return SentMessage(**{**base, **fields})


def _assume(monkeypatch: pytest.MonkeyPatch, **values: Any) -> None:
    """Replace some ledger values for one test."""
    real = spec.assumed
    monkeypatch.setattr(spec, "assumed", lambda name: values.get(name, real(name)))


class TestSchedule:
    def test_items_come_out_by_due_time_then_arrival(self) -> None:
        """pop_due gives the earliest due item, ties in push order, nothing not yet due."""
        schedule: Schedule[str] = Schedule()
        for due, item in [(5.0, "c"), (1.0, "a"), (5.0, "d"), (3.0, "b")]:
            schedule.push(due, item)
        assert (len(schedule), schedule.next_due()) == (4, 1.0)
        taken = [schedule.pop_due(5.0) for _ in range(4)]
        assert [item for _, item in filter(None, taken)] == ["a", "b", "c", "d"]
        assert schedule.pop_due(99.0) is None and schedule.next_due() is None

    def test_nothing_is_taken_before_its_time(self) -> None:
        """An item due later stays in the schedule."""
        schedule: Schedule[str] = Schedule()
        schedule.push(10.0, "later")
        assert schedule.pop_due(9.9) is None and len(schedule) == 1


class TestReceipts:
    def test_final_only_by_default(self) -> None:
        """One receipt, at send time plus the delay, for the final status."""
        planned = callbacks.plan_receipts(_message(), 0, "Waiting", intermediate=False)
        assert planned == [(1010.0, Receipt(7, 0, final=True))]

    def test_intermediate_comes_first(self) -> None:
        """With intermediate receipts, the pending one is due as the message leaves."""
        planned = callbacks.plan_receipts(
            _message(scheduled_at=2000.0), 3, "Waiting", intermediate=True
        )
        assert planned == [(2000.0, Receipt(7, 3, False)), (2010.0, Receipt(7, 3, True))]

    def test_no_url_or_stuck_message_gets_none(self) -> None:
        """No urlDlr, no receipt; a message that stays pending gets no final one."""
        assert callbacks.plan_receipts(_message(url_dlr=""), 0, "Waiting", intermediate=True) == []
        stuck = _message(outcome=Outcome("Waiting", 0.0, False))
        assert callbacks.plan_receipts(stuck, 0, "Waiting", intermediate=False) == []

    def test_sandbox_sends_follow_the_ledger(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A sandbox send gets receipts unless the ledger's 'sandbox-callbacks' says no."""
        sandbox = _message(sandbox=True)
        assert callbacks.plan_receipts(sandbox, 0, "Waiting", intermediate=False)
        _assume(monkeypatch, **{"sandbox-callbacks": False})
        assert callbacks.plan_receipts(sandbox, 0, "Waiting", intermediate=False) == []

    def test_cancelled_message_gets_no_receipt(self) -> None:
        """A receipt falling due for a cancelled message is not made."""
        cancelled = _message(cancelled_at=1001.0)
        assert (
            callbacks.receipt(Receipt(7, 0, True), cancelled, "Waiting", "status-item", "docs")
            is None
        )

    def test_final_receipt_is_dated_after_the_outcome_delay(self) -> None:
        """The final receipt carries the final status, dated the delay after departure."""
        made = callbacks.receipt(Receipt(7, 0, True), _message(), "Waiting", "status-item", "docs")
        assert made is not None and made.last
        assert (made.body["status"], made.body["date"]) == ("Delivered", "1010")

    def test_the_probe_is_the_intermediate_receipt_as_rules_see_it(self) -> None:
        """What reorder is asked about before planning is what the receipt will be."""
        message = _message()
        made = callbacks.receipt(Receipt(7, 0, False), message, "Waiting", "status-item", "docs")
        probe = callbacks.intermediate_probe(message, "Waiting")
        assert made is not None
        assert (probe.kind, probe.target, probe.subject, probe.last) == (
            made.kind,
            made.target,
            made.subject,
            made.last,
        )

    def test_intermediate_receipt_is_dated_when_the_message_left(self) -> None:
        """The pending receipt carries the pending status and the departure time."""
        made = callbacks.receipt(Receipt(7, 0, False), _message(), "Waiting", "status-item", "docs")
        assert made is not None and not made.last
        assert made.body == {"message_id": 7, "phoneNumber": "0600000001", "status": "Waiting",
                             "stopSMS": False, "date": "1000"}  # fmt: skip
        assert made.subject == Subject("7", "+33600000001", "Waiting")

    def test_shape_names_are_the_ledger_choices(self) -> None:
        """Every shape of the 'dlr-payload' ledger entry has a builder, and no other."""
        assert tuple(callbacks.SHAPES) == spec.choices("dlr-payload")

    @pytest.mark.parametrize("shape", list(callbacks.SHAPES))
    def test_every_shape_satisfies_its_schema(self, shape: str) -> None:
        """Each shape's body of each status validates against the shape's schema."""
        for status in spec.statuses():
            message = _message(outcome=Outcome(status, 5.0, True))
            made = callbacks.receipt(Receipt(7, 0, True), message, "Waiting", shape, "docs")
            assert made is not None
            assert spec.first_error(callbacks.SHAPES[shape].schema, made.body) is None

    def test_callback_status_enums_are_message_status_values(self) -> None:
        """The receipts' status enums are message-status's, as is or in lower case."""
        statuses = list(spec.statuses())
        item = spec.schema("callback-dlr.status-item")["definitions"]["status"]["enum"]
        lower = spec.schema("callback-dlr.lowercase")["properties"]["status"]["enum"]
        assert (item, lower) == (statuses, [s.lower() for s in statuses])


def test_retry_delays_follow_the_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries wait each backoff step, the last one repeated, until the attempts run out."""
    assert [callbacks.retry_delay(n) for n in (1, 2, 3, 4)] == [60.0, 300.0, 3600.0, None]
    _assume(monkeypatch, **{"callback-retries": {"attempts": 9, "backoff_seconds": [1, 2]}})
    assert [callbacks.retry_delay(n) for n in (1, 2, 5, 9)] == [1.0, 2.0, 2.0, None]


@pytest.mark.parametrize(
    ("text", "kind"),
    [("Oui", "response"), (" STOP \n", "stop"), ("Stop", "stop"), ("stop pub", "response")],
)
def test_reply_type_reads_stop_keywords(text: str, kind: str) -> None:
    """A reply whose trimmed text is a STOP keyword, any case, is a stop."""
    assert callbacks.reply_type(text) == kind


def _dlr(number: str = "+33600000001", status: str = "Delivered", last: bool = True) -> Callback:
    return Callback("dlr", "http://127.0.0.1/x", "s", {}, Subject("7", number, status), last=last)


def _dlr_of(message_id: str) -> Callback:
    return Callback("dlr", "http://127.0.0.1/x", "s", {}, Subject(message_id, "+33600000001"))


class TestRules:
    def test_matching_fields(self) -> None:
        """callback, phoneNumber (any form), messageId and status must all match."""
        rules = CallbackRules()
        match = {"callback": "dlr", "phoneNumber": "0600000001", "messageId": " 7 "}
        rule = rules.add({"kind": "drop", "match": {**match, "status": "Delivered"}})
        assert rule.matches(_dlr())
        assert not rule.matches(_dlr(number="+33600000002"))
        assert not rule.matches(_dlr(status="Waiting"))
        assert not rule.matches(Callback("stop", "u", "s", {}, Subject("7", "+33600000001")))

    @pytest.mark.parametrize(
        ("match", "other"),
        [
            ({"callback": "dlr"}, Callback("stop", "u", "s", {}, Subject("7", "+33600000001"))),
            ({"messageId": "7"}, _dlr_of("8")),
        ],
        ids=["callback", "messageId"],
    )
    def test_each_match_field_alone_narrows_the_rule(
        self, match: dict[str, str], other: Callback
    ) -> None:
        """A rule with one match field applies to the callbacks it names, not to others."""
        rule = CallbackRules().add({"kind": "drop", "match": match})
        assert rule.matches(_dlr()) and not rule.matches(other)

    def test_a_rule_that_does_not_fire_lets_the_next_one_try(self) -> None:
        """Rules are tried in order: one whose probability draw fails passes the callback on."""
        rules = CallbackRules()
        rules.add({"kind": "drop", "probability": 0})
        second = rules.add({"kind": "delay", "seconds": 5})
        assert rules.pick(_dlr()) is second

    def test_an_unseeded_rule_draws_as_seed_0(self) -> None:
        """The schema: a rule's seed is 0 when absent."""

        def draws(data: dict[str, Any]) -> list[bool]:
            rules = CallbackRules()
            rules.add({"kind": "drop", "probability": 0.5, **data})
            return [rules.pick(_dlr()) is not None for _ in range(40)]

        assert draws({}) == draws({"seed": 0}) != draws({"seed": 1})

    def test_reorder_may_hold_back_until_its_times_are_used(self) -> None:
        """A reorder rule with times 1 may hold back a receipt until it has applied once."""
        rules = CallbackRules()
        rules.add({"kind": "reorder", "times": 1})
        assert rules.may_reorder(_dlr(last=False))
        assert rules.pick(_dlr(last=False)) is not None
        assert not rules.may_reorder(_dlr(last=False))

    def test_reorder_applies_to_intermediate_receipts_only(self) -> None:
        """Nothing follows a last callback, so reorder never holds one back."""
        rules = CallbackRules()
        rules.add({"kind": "reorder"})
        assert rules.pick(_dlr()) is None
        assert rules.may_reorder(_dlr(last=False)) and rules.pick(_dlr(last=False)) is not None

    def test_times_and_probability_are_reproducible(self) -> None:
        """The same seed draws the same callbacks; times stops a rule."""

        def draws(seed: int) -> list[bool]:
            rules = CallbackRules()
            rules.add({"kind": "drop", "probability": 0.5, "seed": seed, "times": 5})
            return [rules.pick(_dlr()) is not None for _ in range(40)]

        assert draws(1) == draws(1) and sum(draws(1)) == 5
        assert draws(1) != draws(2)

    def test_view_shows_the_given_fields_then_counters(self) -> None:
        """The admin view lists what the rule was given and how often it applied."""
        rules = CallbackRules()
        rule = rules.add({"kind": "duplicate", "copies": 3, "seed": 4})
        rules.pick(_dlr())
        assert rule.view() == {"id": 1, "kind": "duplicate", "match": {}, "copies": 3,
                               "seed": 4, "applied": 1, "remaining": None}  # fmt: skip
        rules.clear()
        assert not rules.active and rules.rules() == []
        limited = rules.add({"kind": "drop", "times": 2, "probability": 1})
        assert limited.view() == {"id": 1, "kind": "drop", "match": {}, "times": 2,
                                  "probability": 1, "applied": 0, "remaining": 2}  # fmt: skip


def test_fault_appliers_are_the_schema_kinds() -> None:
    """Every kind of callback-fault-rule.schema.json has an applier, and no other."""
    kinds = spec.schema("callback-fault-rule")["properties"]["kind"]["enum"]
    assert list(webhooks.FAULTS) == kinds


def test_every_callback_fault_kind_has_a_scenario() -> None:
    """fixtures/scenarios/callbacks.json adds a rule of every callback fault kind."""
    import json

    cases = json.loads((spec.FIXTURE_DIR / "scenarios/callbacks.json").read_text())
    kinds = {
        step["admin"]["body"]["kind"]
        for case in cases
        for test in case["tests"]
        for step in test["steps"]
        if step.get("admin", {}).get("path") == "/_mock/callbacks/faults"
    }
    assert kinds == set(webhooks.FAULTS)


class TestOutboxIndex:
    def test_last_send_to_a_number_in_any_form(self) -> None:
        """last_to finds the latest send to a number, given in any documented form."""
        outbox = Outbox(1)
        outbox.add([_message(message_id=outbox.allocate())])
        second = outbox.allocate()
        assert (
            outbox.add([_message(message_id=second), _message(message_id=second, number="0611")])
            == 0
        )
        found = outbox.last_to("+33600000001")
        assert found is not None and found.message_id == second
        assert outbox.at(second, 1) is not None and outbox.last_to("0699999999") is None

    def test_retention_forgets_the_index_of_forgotten_sends(self) -> None:
        """A send forgotten by retention is no number's latest any more."""
        outbox = Outbox(1, max_messages=2)
        for number in ("0600000001", "0600000002", "0600000002"):
            outbox.add([_message(message_id=outbox.allocate(), number=number)])
        assert outbox.last_to("0600000001") is None and outbox.at(1, 0) is None
        outbox.add([_message(message_id=outbox.allocate(), number="0600000003")])
        latest = outbox.last_to("0600000002")  # its older send was forgotten, not this one
        assert latest is not None and latest.message_id == 3


def test_a_stop_lands_on_the_stop_list_once_and_reset_clears_it() -> None:
    """stop_number lists a number once, whatever its form; past the list's bound it
    refuses; reset brings back the seeded list."""
    state = MockState(Settings(), spec.load_fixtures())
    store = state.store
    seeded = len(store.stops)
    store.stop_number("0611223344")
    store.stop_number("+33611223344")
    assert len(store.stops) == seeded + 1
    assert store.stops.find("0033611223344") is not None
    store.stops.max_entries = len(store.stops)
    with pytest.raises(StoreFull):
        store.stop_number("0611223355")
    state.reset()
    assert len(store.stops) == seeded and store.stops.find("0611223344") is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8/dlr?token=abc&id=1", "http://127.0.0.1:8/dlr?token=***&id=1"),
        (
            "https://me:pw@h.test/x?API%5Fkey=k&Sig=s#f",
            "https://me:***@h.test/x?API%5Fkey=***&Sig=***#f",
        ),
        ("http://me@h.test/x", "http://me@h.test/x"),
        ("http://[::1/x", "***"),
    ],
)
def test_callback_urls_are_redacted(url: str, expected: str) -> None:
    """Passwords and parameters named like keys, tokens or signatures are hidden."""
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/dlr", None),
        ("https://localhost/dlr", None),
        ("http://[::1]:9/dlr", None),
        ("http://hooks.example.test/dlr", None),
        ("http://example.com/dlr", "the host 'example.com' is not allowed"),
        ("ftp://127.0.0.1/dlr", "not an http:// or https:// URL with a host"),
        ("http:///dlr", "not an http:// or https:// URL with a host"),
        ("http://127.0.0.1:99999/", "not a URL the mock can read"),
        ("http://127.0.0.1/" + "x" * 2048, "the URL is longer than 2048 characters"),
    ],
)
def test_callback_hosts_are_loopback_or_allowed(url: str, reason: str | None) -> None:
    """Only loopback hosts and the allowed ones get callbacks."""
    refused = callback_refusal(url, ["hooks.example.test"])
    assert refused == reason or (
        reason is not None and refused is not None and refused.startswith(reason)
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"callback_allow": (" ",)}, "Invalid callback_allow: an empty host"),
        ({"callback_url": "http://example.com/r"}, "Invalid callback_url: the host 'example.com'"),
        ({"callback_timeout": 0.0}, "Invalid callback_timeout: 0.0; expected more than 0"),
        ({"callback_rate": 0.0}, "Invalid callback_rate: 0.0; expected more than 0"),
        ({"max_callbacks": 0}, "Invalid max_callbacks: 0; expected 1 or more"),
        ({"dlr_shape": "xml"}, "Invalid dlr_shape: 'xml'; expected one of"),
    ],
)
def test_callback_settings_are_checked(fields: dict[str, Any], message: str) -> None:
    """A bad callback setting says what is wrong."""
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        Settings(**fields)


def test_callback_options_become_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every callback option of `serve` reaches the Settings."""
    seen: list[Settings] = []

    async def fake_serve(settings: Settings, announce: Any) -> None:
        seen.append(settings)

    monkeypatch.setattr(cli, "serve_forever", fake_serve)
    argv = ["serve", "--callback-url", "http://h.test/r", "--callback-allow", "h.test"]
    argv += ["--dlr-shape", "lowercase", "--dlr-statuses", "all", "--callback-timeout", "2"]
    argv += ["--callback-rate", "5", "--max-callbacks", "9"]
    assert cli.main(argv) == 0
    assert seen == [
        Settings(callback_url="http://h.test/r", callback_allow=("h.test",), dlr_shape="lowercase",
                 dlr_statuses="all", callback_timeout=2.0, callback_rate=5.0, max_callbacks=9)
    ]  # fmt: skip


# The engine, against loopback targets of the test


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    target = Receiver()
    yield target
    target.close()


def _silent_port() -> tuple[socket.socket, int]:
    """A listening socket that never answers: the kernel accepts, nobody reads."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock, sock.getsockname()[1]


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


def _settle(client: AdminClient, timeout: float = 10.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        state = client.callback_state()
        due = state["next_due"]
        if not state["queued"] and not state["in_flight"] and (due is None or due > state["now"]):
            return client.callbacks()
        assert time.monotonic() < deadline, state
        time.sleep(0.01)


@pytest.fixture(scope="module")
def hook_server() -> Iterator[ServerThread]:
    with ServerThread(
        Settings(access_log=False, callback_timeout=0.3, max_callbacks=50)
    ) as running:
        yield running


@pytest.fixture
def hooks(hook_server: ServerThread) -> AdminClient:
    client = AdminClient(hook_server.base_url)
    client.reset()
    client.freeze()
    return client


class TestDelivery:
    def test_a_silent_target_times_out_and_is_retried(self, hooks: AdminClient) -> None:
        """An attempt that gets no answer ends at the timeout and is retried later."""
        sock, port = _silent_port()
        with sock:
            hooks.send("0600000001", "Hi", urlDlr=f"http://127.0.0.1:{port}/dlr")
            hooks.advance(10)
            (entry,) = _settle(hooks)
        assert entry["outcome"] == "retrying"
        assert entry["next_attempt"] == pytest.approx(entry["due"] + 60)
        (attempt,) = entry["attempts"]
        assert (attempt["status"], attempt["error"]) == (None, "no answer within 0.3 s")
        assert attempt["latency_ms"] >= 250

    def test_a_refusing_target_is_retried_then_given_up(self, hooks: AdminClient) -> None:
        """Connection refused four times: the ledger's attempts, then 'failed'."""
        hooks.send("0600000001", "Hi", urlDlr=f"http://127.0.0.1:{_closed_port()}/dlr?key=k")
        hooks.advance(10)
        for wait in (60, 300, 3600):
            _settle(hooks)
            hooks.advance(wait)
        (entry,) = _settle(hooks)
        assert entry["outcome"] == "failed" and entry["reason"] == "gave up after 4 attempt(s)"
        assert entry["target"].endswith("/dlr?key=***")
        assert all(a["error"].startswith("ClientConnectorError") for a in entry["attempts"])
        assert [a["at"] - entry["due"] for a in entry["attempts"]] == pytest.approx(
            [0, 60, 360, 3960], abs=1e-3
        )

    def test_a_redirect_elsewhere_is_not_followed(
        self, hooks: AdminClient, receiver: Receiver
    ) -> None:
        """A 302 to another URL is an answer, not an invitation: the other URL gets nothing."""

        async def bounce(request: web.Request) -> web.Response:
            raise web.HTTPFound(receiver.url("elsewhere"))

        app = web.Application()
        app.router.add_post("/dlr", bounce)
        with serve_app(app) as url:
            hooks.send("0600000001", "Hi", urlDlr=f"{url}/dlr")
            hooks.advance(10)
            (entry,) = _settle(hooks)
        assert entry["attempts"][0]["status"] == 302 and receiver.received == []

    def test_reset_abandons_callbacks_in_flight(self, hooks: AdminClient) -> None:
        """An attempt in flight at a reset ends at once, neither journalled nor retried."""
        sock, port = _silent_port()
        with sock:
            hooks.send("0600000001,0600000004", "Hi", urlDlr=f"http://127.0.0.1:{port}/dlr")
            hooks.advance(10)
            deadline = time.monotonic() + 5
            while hooks.callback_state()["in_flight"] < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            hooks.reset()
            time.sleep(0.05)
            assert hooks.callback_state()["in_flight"] == 0
        assert hooks.callbacks() == [] and hooks.callback_state()["pending"] == 0

    def test_too_many_callbacks_are_refused_and_journalled(self, hooks: AdminClient) -> None:
        """Past max_callbacks waiting, a receipt is refused and journalled, never sent."""
        numbers = ",".join(f"06000001{n:02d}" for n in range(51))
        hooks.send(numbers, "Hi", urlDlr="http://127.0.0.1:9/dlr")
        refused = [e for e in hooks.callbacks() if e["outcome"] == "refused"]
        assert len(refused) == 1 and refused[0]["reason"].startswith("50 callbacks are waiting")

    def test_a_reply_past_the_bound_says_why(self, hooks: AdminClient) -> None:
        """A reply that cannot wait is answered with the reason, and journalled."""
        hooks.send(
            ",".join(f"06000001{n:02d}" for n in range(50)), "Hi", urlDlr="http://127.0.0.1:9/d"
        )
        hooks.send("0611223344", "Hi", urlResponse="http://127.0.0.1:9/r")
        answer = hooks.reply("0611223344", "Oui")
        assert answer["callback"] is None and answer["reason"].startswith("50 callbacks")

    def test_burst_and_delay_defaults_come_from_faults_json(
        self, hooks: AdminClient, receiver: Receiver
    ) -> None:
        """A burst without seconds holds for the default window; delay without, its default."""
        defaults = spec.faults()["callback_defaults"]
        hooks.add_callback_fault("burst", match={"phoneNumber": "0600000001"})
        hooks.add_callback_fault("delay", match={"phoneNumber": "0600000004"})
        hooks.send("0600000001,0600000004", "Hi", urlDlr=receiver.url("dlr"))
        hooks.advance(10)
        assert _settle(hooks) == []
        hooks.advance(defaults["burst_seconds"])
        assert [e["fault"] for e in _settle(hooks)] == ["burst"]
        hooks.advance(defaults["delay_seconds"])
        assert [e["fault"] for e in _settle(hooks)] == ["burst", "delay"]
        assert [r["kind"] for r in hooks.callback_faults()] == ["burst", "delay"]
        hooks.clear_callback_faults()
        assert hooks.callback_faults() == []

    def test_a_refused_or_dropped_receipt_still_releases_the_held_one(
        self, hooks: AdminClient
    ) -> None:
        """The intermediate receipt held by reorder follows its final one whatever befalls it."""
        hooks.add_callback_fault("reorder")
        hooks.add_callback_fault("drop", match={"status": "Delivered", "phoneNumber": "0600000001"})
        hooks.send("0600000001", "Hi", urlDlr="http://127.0.0.1:9/d")
        hooks.send("0600000004", "Hi", urlDlr="http://hooks.example.test/d")
        _settle(hooks)
        assert hooks.callback_state()["held"] == 2
        hooks.advance(10)
        journal = _settle(hooks)
        seen = [(e["body"]["phoneNumber"], e["body"]["status"], e["fault"]) for e in journal]
        assert seen.index(("0600000001", "Delivered", "drop")) < seen.index(
            ("0600000001", "Waiting", "reorder")
        )
        assert seen.index(("0600000004", "ko", None)) < seen.index(
            ("0600000004", "Waiting", "reorder")
        )
        assert {e["outcome"] for e in journal if e["body"]["phoneNumber"] == "0600000004"} == {
            "refused"
        }
        assert hooks.callback_state()["held"] == 0

    def test_a_forgotten_send_gets_no_receipt(self, receiver: Receiver) -> None:
        """A send forgotten by the outbox's retention has no receipt left to send."""
        with ServerThread(Settings(access_log=False, max_messages=1)) as server:
            client = AdminClient(server.base_url)
            client.freeze()
            client.send("0600000001", "Hi", urlDlr=receiver.url("dlr"))
            client.send("0600000002", "Hi")
            client.advance(10)
            assert _settle(client) == [] and client.callback_state()["pending"] == 0


class TestInbound:
    def test_explicit_message_id_and_account_url(self, receiver: Receiver) -> None:
        """A reply naming a message_id goes to the account's URL when that send had none."""
        settings = Settings(access_log=False, callback_url=receiver.url("replies"))
        with ServerThread(settings) as server:
            client = AdminClient(server.base_url)
            answer = client.inbound("0611223344", "Oui", message_id=42)
            assert answer["callback"]["body"]["message_id"] == 42 and not answer["stopped"]
            assert client.wait_for_callback("response", message_id=42)["outcome"] == "delivered"
            client.send("0611223344", "Hi")  # no urlResponse: the account's URL
            assert client.stop("0611223344")["stopped"]
            assert client.wait_for_callback("stop", advance=0)["body"]["type"] == "stop"
            listed = server.call(lambda: server.state.store.stops.find("0611223344"))
            assert listed is not None and listed.phone_number == "+33611223344"
            # the next send to that number fails with the documented code
            assert client.send("0611223344", "Promo")["code"] == 14

    @pytest.mark.parametrize(
        ("body", "status", "error"),
        [
            (
                {"from": "0611223344"},
                400,
                "Invalid inbound message at $: 'text' is a required property",
            ),
            (
                {"from": "abc", "text": "x", "message_id": 1},
                400,
                "Cannot reply from 'abc': 'abc' does not match",
            ),
            ({"from": "0611223344", "text": "x"}, 409, "No message was sent to '0611223344'"),
        ],
    )
    def test_bad_inbound_is_refused(
        self, hooks: AdminClient, body: dict[str, Any], status: int, error: str
    ) -> None:
        """An inbound message the mock cannot turn into a callback says why."""
        with pytest.raises(AdminClientError) as caught:
            hooks._admin("POST", "/inbound", body)
        assert caught.value.status == status and caught.value.error.startswith(error)

    def test_a_full_stop_list_answers_409(
        self, hooks: AdminClient, hook_server: ServerThread
    ) -> None:
        """A STOP the stop list cannot hold is refused."""
        stops = hook_server.state.store.stops
        bound = stops.max_entries
        hook_server.call(lambda: setattr(stops, "max_entries", len(stops)))
        try:
            hooks.send("0611223344", "Hi")
            with pytest.raises(AdminClientError, match="STOP list holds") as caught:
                hooks.stop("0611223344")
            assert caught.value.status == 409
        finally:
            hook_server.call(lambda: setattr(stops, "max_entries", bound))

    def test_bad_callback_fault_rule_is_refused(self, hooks: AdminClient) -> None:
        """A rule outside callback-fault-rule.schema.json is a 400 naming the problem."""
        with pytest.raises(AdminClientError, match=r"Invalid callback fault rule at \$.copies"):
            hooks.add_callback_fault("duplicate", copies=1)


class TestHelpers:
    def test_wait_for_callback_times_out_listing_what_came(self, hooks: AdminClient) -> None:
        """Nothing matching within the timeout: TimeoutError with what the journal holds."""
        hooks.send("0600000001", "Hi", urlDlr="http://example.com/dlr")
        with pytest.raises(TimeoutError) as caught:
            hooks.wait_for_callback("dlr", status="Waiting", timeout=0.2)
        assert "Expected: callback 'dlr' with body fields {'status': 'Waiting'}" in str(
            caught.value
        )
        assert "'refused'" in str(caught.value)
        hooks.reset()
        with pytest.raises(TimeoutError, match="Received: nothing"):
            hooks.wait_for_callback("stop", advance=0, timeout=0.05)

    def test_callbacks_page_through_the_journal(self, hooks: AdminClient) -> None:
        """The journal answers one page at a time."""
        hooks.add_callback_fault("duplicate", copies=10)
        numbers = ",".join(f"06000002{n:02d}" for n in range(5))
        hooks.send(numbers, "Hi", urlDlr="http://hooks.example.test/dlr")
        hooks.advance(10)
        state = hooks._admin("GET", "/callbacks?offset=10&limit=5")
        assert [e["seq"] for e in state["callbacks"]] == [11, 12, 13, 14, 15]
        assert state["total"] == 50


def test_callbacks_helper_reads_every_page() -> None:
    """callbacks() reads every page of a journal longer than one (journal_size over 500)."""
    with ServerThread(Settings(access_log=False, journal_size=600)) as server:
        client = AdminClient(server.base_url)
        client.add_callback_fault("duplicate", copies=10)
        numbers = ",".join(f"06000002{n:02d}" for n in range(51))
        client.send(numbers, "Hi", urlDlr="http://hooks.example.test/dlr")
        client.wait_for_callback(timeout=10)
        assert [e["seq"] for e in client.callbacks()] == list(range(1, 511))


def test_plugin_helpers_reach_the_callbacks(
    smspartner_mock: MockHandle, receiver: Receiver
) -> None:
    """reply, stop, the fault helpers and callbacks work through the plugin's handle."""
    smspartner_mock.freeze()
    smspartner_mock.send("0611223344", "Hi", urlResponse=receiver.url("r"))
    smspartner_mock.add_callback_fault("duplicate", match={"callback": "response"})
    smspartner_mock.reply("0611223344", "Oui")
    assert smspartner_mock.wait_for_callback("response")["fault"] == "duplicate"
    smspartner_mock.clear_callback_faults()
    smspartner_mock.stop("0611223344", "STOP SMS")
    smspartner_mock.wait_for_callback("stop", text="STOP SMS")
    assert [e["callback"] for e in smspartner_mock.callbacks] == ["response", "response", "stop"]


# The engine's own code, on a MockState without a server


def _state(**fields: Any) -> MockState:
    return MockState(Settings(access_log=False, **fields), spec.load_fixtures())


def _reply(target: str = "http://127.0.0.1:9/r", **body: Any) -> Callback:
    full = {
        "type": "response",
        "phone_number": "+33611223344",
        "text": "Oui",
        "message_id": 1,
        **body,
    }
    return Callback("response", target, "callback-reply", full, Subject("1", "+33611223344"))


def test_a_body_breaking_its_schema_is_a_recorded_mock_bug() -> None:
    """An invalid callback body is never sent: a violation, and a refused journal entry."""
    state = _state()
    state.webhooks.push(_reply(message_id="1"))
    state.webhooks.pump()
    (entry,) = state.webhooks.journal.page(0, 10)
    assert entry["outcome"] == "refused" and entry["reason"].startswith("mock bug: Outbound body")
    assert len(state.violations) == 1


def test_an_oversized_body_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A body past MAX_BODY bytes is a mock bug, refused."""
    monkeypatch.setattr(webhooks, "MAX_BODY", 10)
    state = _state()
    state.webhooks.push(_reply())
    state.webhooks.pump()
    assert state.webhooks.journal.page(0, 1)[0]["reason"].startswith("mock bug: a body of")


def test_pumps_move_bounded_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """One pump moves at most PUMP_BATCH items and never queues past QUEUE_SIZE."""
    monkeypatch.setattr(webhooks, "PUMP_BATCH", 2)
    monkeypatch.setattr(webhooks, "QUEUE_SIZE", 3)
    state = _state()
    for _ in range(5):
        state.webhooks.push(_reply())
    state.webhooks.pump()
    assert (state.webhooks.view()["queued"], state.webhooks.view()["pending"]) == (2, 3)
    state.webhooks.pump()
    assert (state.webhooks.view()["queued"], state.webhooks.view()["pending"]) == (3, 2)
    state.reset()
    assert state.webhooks.waiting() == 0


def test_journal_keeps_its_size() -> None:
    """Past journal_size, the oldest callbacks leave the journal and are counted."""
    state = _state(journal_size=2)
    for _ in range(3):
        state.webhooks.push(_reply(target="http://example.com/r"))
    state.webhooks.pump()
    assert [e["seq"] for e in state.webhooks.journal.page(0, 9)] == [2, 3]
    assert state.webhooks.view()["dropped"] == 1


def test_no_retry_when_the_bound_is_reached() -> None:
    """A failed attempt is not retried while max_callbacks wait already."""
    state = _state(max_callbacks=1)
    state.webhooks.push(_reply())
    failed = Delivery(_reply(), b"{}", state.webhooks.journal.add(_reply(), 0.0, "sending"), 0, 1)
    state.webhooks._failed(failed)
    assert failed.entry["outcome"] == "failed" and failed.entry["reason"].startswith("no retry")


def _run(state: MockState, body: Callable[[], Any]) -> None:
    async def main() -> None:
        app = web.Application()
        await state.webhooks.start(app)
        try:
            await body()
        finally:
            await state.webhooks.stop(app)

    asyncio.run(main())


def test_engine_bugs_are_recorded_and_do_not_stop_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception in a sender or in the tick is a recorded bug; both go on."""
    state = _state()
    calls: list[str] = []

    def broken_pump() -> None:
        calls.append("pump")
        raise RuntimeError("pump failed")

    async def broken_deliver(delivery: Delivery) -> None:
        calls.append("deliver")
        raise RuntimeError("deliver failed")

    monkeypatch.setattr(state.webhooks, "_deliver", broken_deliver)

    async def body() -> None:
        state.webhooks.push(_reply())
        state.webhooks.pump()
        monkeypatch.setattr(state.webhooks, "pump", broken_pump)
        while calls.count("pump") < 2:
            await asyncio.sleep(0.05)

    _run(state, body)
    assert {bug.message for bug in state.bugs} == {"pump failed", "deliver failed"}
    assert state.bugs[0].path == "(callbacks)"


def test_the_rate_bound_spaces_attempts(receiver: Receiver) -> None:
    """At callback_rate 20 a second, five attempts take at least 0.2 s."""
    state = _state(callback_rate=20.0)

    async def body() -> None:
        started = time.monotonic()
        for _ in range(5):
            state.webhooks.push(_reply(target=receiver.url("r")))
        state.webhooks.pump()
        while len(receiver.received) < 5:
            await asyncio.sleep(0.01)
        assert time.monotonic() - started >= 0.19

    _run(state, body)


def test_a_reset_during_the_wait_for_a_slot_skips_the_attempt(receiver: Receiver) -> None:
    """A delivery waiting for its rate slot when the mock resets is never sent."""
    state = _state(callback_rate=2.0)

    async def body() -> None:
        state.webhooks.push(_reply(target=receiver.url("r")))
        state.webhooks.push(_reply(target=receiver.url("r")))
        state.webhooks.pump()
        while len(receiver.received) < 1:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        state.webhooks.reset()
        await asyncio.sleep(0.6)

    _run(state, body)
    assert len(receiver.received) == 1


def test_stop_without_start_is_harmless() -> None:
    """Stopping an engine that never started does nothing."""
    state = _state()
    asyncio.run(state.webhooks.stop(web.Application()))


def test_serve_app_reports_a_start_failure() -> None:
    """An app whose start-up fails raises in the test's thread."""

    async def fail(app: web.Application) -> None:
        raise RuntimeError("no start")

    app = web.Application()
    app.on_startup.append(fail)
    with pytest.raises(RuntimeError, match="no start"), serve_app(app):
        pass  # pragma: no cover


def test_sigterm_ends_a_process_with_a_hanging_callback_promptly() -> None:
    """The senders stop at shutdown: a callback stuck on a silent target delays nothing."""
    import signal

    from tests.processes import mock_process

    sock, port = _silent_port()
    with sock, mock_process("--quiet", "--callback-timeout", "60") as (process, url):
        client = AdminClient(url.rsplit("/v1", 1)[0])
        client.freeze()
        client.send("0600000001", "Hi", urlDlr=f"http://127.0.0.1:{port}/dlr")
        client.advance(10)
        deadline = time.monotonic() + 5
        while client.callback_state()["in_flight"] != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
        assert process.returncode == 0
        assert time.monotonic() - started < 5


class _SleepyTarget:
    """A webhook on 127.0.0.1 that holds every request 30 s (or until closed) before 200."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.released = threading.Event()
        self.arrived = threading.Event()
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                target.arrived.set()
                target.released.wait(30)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/dlr"

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def _p99(url: str, count: int = 300) -> float:
    import urllib.request

    times = []
    for _ in range(count):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
        times.append(time.perf_counter() - started)
    return sorted(times)[int(count * 0.99) - 1]


def test_hanging_refusing_and_failing_targets_do_not_slow_the_api() -> None:
    """message-status p99 with callbacks stuck on a 30 s target, a closed port and a 500
    stays within the bounds of p99 without callbacks (a real server process)."""
    from tests.processes import mock_process

    sleepy, failing = _SleepyTarget(), Receiver(500)
    try:
        flags = ("--quiet", "--callback-timeout", "60", "--callback-rate", "1000")
        with mock_process(*flags) as (_process, url):
            root = url.rsplit("/v1", 1)[0]
            client = AdminClient(root)
            client.freeze()
            sent = client.send("0699999999", "Hi")
            status_url = root + (
                f"/v1/message-status?apiKey={client.api_key}&messageId={sent['message_id']}"
                "&phoneNumber=0699999999"
            )
            quiet = _p99(status_url)
            targets = [sleepy.url(), f"http://127.0.0.1:{_closed_port()}/dlr", failing.url("dlr")]
            for target in targets:
                numbers = ",".join(f"06000003{n:02d}" for n in range(20))
                client.send(numbers, "Hi", urlDlr=target)
            client.advance(10)
            assert sleepy.arrived.wait(10)
            busy = _p99(status_url)
            state = client.callback_state()
            assert state["in_flight"] + state["queued"] >= 1  # still stuck on the sleeper
            assert failing.received, "the failing target was reached meanwhile"
            assert busy <= 4 * quiet + 0.05, (quiet, busy)
    finally:
        sleepy.close()
        failing.close()
