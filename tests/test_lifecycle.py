"""The clock and the delivery lifecycle: statuses are a pure function of send time,
outcome and clock."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server import Settings
from mock_server._domain.clock import MAX_OFFSET, Clock
from mock_server._domain.lifecycle import (
    RETENTION_SCAN,
    MagicNumbers,
    MonthSum,
    Outbox,
    Outcome,
    SentMessage,
    Totals,
    charges,
    month_of,
    status_at,
)
from mock_server._domain.store import Store
from mock_server._http import sending
from mock_server.contract import spec

MAGIC = spec.load_fixtures().magic_numbers
PENDING = MAGIC["pending_status"]
FINALS = sorted(set(spec.statuses()))


def _message(outcome: Outcome, sent_at: float = 1000.0, **fields: object) -> SentMessage:
    message = SentMessage(
        message_id=1,
        number="0600000000",
        sent_at=sent_at,
        scheduled_at=None,
        outcome=outcome,
        parts=1,
        cost=0.045,
        country_code="FR",
        currency="EUR",
    )
    return dataclasses.replace(message, **fields)  # type: ignore[arg-type]


class TestClock:
    def test_now_is_the_source_plus_the_offset(self) -> None:
        """The clock adds its offset to its time source, and reset removes it."""
        clock = Clock(lambda: 100.0)
        assert clock.advance(3600) == 3600
        assert clock.now() == 3700
        clock.reset()
        assert clock.now() == 100

    def test_freezing_stops_real_time_without_a_jump(self) -> None:
        """Frozen, the source no longer moves the clock; resuming keeps now() where it was."""
        real = [100.0]
        clock = Clock(lambda: real[0])
        clock.freeze(True)
        clock.freeze(True)  # freezing twice keeps the first moment
        real[0] = 150.0
        assert clock.now() == 100 and clock.frozen
        clock.freeze(False)
        clock.freeze(False)
        assert clock.now() == 100 and clock.offset == -50
        real[0] = 160.0
        assert clock.now() == 110
        clock.reset()
        assert (clock.now(), clock.frozen) == (160, False)

    @pytest.mark.parametrize("seconds", [-1, math.nan])
    def test_the_clock_never_goes_back(self, seconds: float) -> None:
        """A negative or NaN advance is refused."""
        with pytest.raises(ValueError, match="The clock only moves forward"):
            Clock().advance(seconds)

    def test_the_offset_stops_at_a_century(self) -> None:
        """The offset may reach MAX_OFFSET, not pass it."""
        clock = Clock(lambda: 0.0)
        assert clock.advance(MAX_OFFSET - 1) == MAX_OFFSET - 1
        assert clock.advance(1) == MAX_OFFSET
        with pytest.raises(ValueError, match="cannot pass"):
            clock.advance(0.5)


def test_empty_admin_token_is_refused() -> None:
    """An empty admin token is refused: it would let anyone in."""
    with pytest.raises(ValueError, match="Invalid admin_token: an empty token"):
        Settings(admin_token=" ")


def test_invalid_delivery_delay_is_refused() -> None:
    """A negative default delivery delay is refused with the allowed range."""
    with pytest.raises(ValueError, match=r"Invalid delivery_delay: -1; expected 0 to"):
        Settings(delivery_delay=-1)


def test_delivery_delay_setting_replaces_the_default_delay() -> None:
    """--delivery-delay changes unlisted numbers only, in a store built with it too."""
    magic = MagicNumbers(MAGIC, default_delay=0)
    assert magic.outcome("0699999999").delay == 0
    assert magic.outcome("+33600000002").delay == 30
    store = Store(spec.load_fixtures(), delivery_delay=0)
    assert store.magic.outcome("0699999999").delay == 0


def test_an_unlisted_number_gets_the_default_outcome() -> None:
    """A number magic-numbers.json does not list is pending for the default delay, then has
    the default final status and stopSms, in any of its documented forms."""
    default = MAGIC["default"]
    magic = MagicNumbers(MAGIC)
    expected = Outcome(default["final_status"], default["delay_seconds"], default["stopSms"])
    assert magic.outcome("0699999999") == magic.outcome("+33699999999") == expected
    message = _message(magic.outcome("0699999999"))
    arrival = 1000.0 + default["delay_seconds"]
    assert status_at(message, arrival - 0.1, magic.pending) == (PENDING, 1000.0)
    assert status_at(message, arrival, magic.pending) == (default["final_status"], arrival)


def test_listed_numbers_get_their_own_outcome() -> None:
    """Each number of magic-numbers.json, in E.164 form too, gets its row's outcome."""
    magic = MagicNumbers(MAGIC, default_delay=7)
    for row in MAGIC["numbers"]:
        own = Outcome(row["final_status"], row["delay_seconds"], row["stopSms"])
        assert magic.outcome(row["number"]) == magic.outcome("+33" + row["number"][1:]) == own


def test_status_moves_at_start_plus_delay() -> None:
    """Pending until start + delay, dated at the start; then final, dated at arrival."""
    message = _message(Outcome(FINALS[0], 30, False))
    assert status_at(message, 1029.9, PENDING) == (PENDING, 1000.0)
    assert status_at(message, 1030, PENDING) == (FINALS[0], 1030.0)


def test_scheduled_message_waits_for_its_time() -> None:
    """A scheduled message starts at its scheduled time, not at its send time."""
    message = _message(Outcome(FINALS[0], 5, False), scheduled_at=5000.0)
    assert status_at(message, 5004, PENDING) == (PENDING, 5000.0)
    assert status_at(message, 5005, PENDING)[0] == FINALS[0]


def test_outbox_ids_and_unknown_lookups() -> None:
    """Ids are allocated in order from the first; unknown or non-numeric ids find nothing."""
    outbox = Outbox(7)
    assert (outbox.allocate(), outbox.allocate()) == (7, 8)
    assert outbox.recipients("abc") == [] and outbox.find("7", "0600000000") is None
    outbox.reset()
    assert outbox.allocate() == 7


def test_field_templates_leave_unknown_names_empty() -> None:
    """A validation text naming a field the request lacks renders it empty."""
    assert "({x})".format_map(sending.Fields({})) == "()"


numbers = st.sampled_from([r["number"] for r in MAGIC["numbers"]] + ["0699999999"])
steps = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.tuples(numbers, st.none() | st.integers(1, 100000))),
        st.tuples(st.just("advance"), st.floats(min_value=0, max_value=200000)),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=5)),
    ),
    max_size=30,
)


@given(steps=steps)
def test_status_only_moves_from_pending_to_one_final_status(
    steps: list[tuple[str, object]],
) -> None:
    """For any sends, clock advances and cancels, each message goes pending -> one final."""
    clock = Clock(lambda: 1_000_000.0)
    magic = MagicNumbers(MAGIC)
    outbox = Outbox(1)
    seen: dict[tuple[int, str], list[str]] = {}
    deadline = spec.rule("cancel-deadline-seconds")
    for kind, value in steps:
        if kind == "send":
            number, ahead = value  # type: ignore[misc]
            outbox.add(
                [
                    _message(
                        magic.outcome(number),
                        clock.now(),
                        number=number,
                        message_id=outbox.allocate(),
                        scheduled_at=None if ahead is None else clock.now() + ahead,
                    )
                ]
            )
        elif kind == "advance":
            clock.advance(float(value))  # type: ignore[arg-type]
        else:  # cancel, as message-cancel allows it: not yet cancelled, 5 minutes ahead
            sent = outbox.recipients(str(value))
            if sent and sent[0].cancelled_at is None and sent[0].start - clock.now() >= deadline:
                outbox.cancel(str(value), clock.now())
        for sent in outbox.messages():
            status = status_at(sent, clock.now(), magic.pending)[0]
            seen.setdefault((sent.message_id, sent.number), []).append(status)
    for history in seen.values():
        finals = [s for s in history if s != PENDING]
        assert len(set(finals)) <= 1, history
        if finals:
            first = history.index(finals[0])
            assert all(s == finals[0] for s in history[first:]), history


# --- the outbox: totals, what is still to send, retention -----------------------------------


def _sent(message_id: int, delay: float = 5, sent_at: float = 0.0, **fields: object) -> SentMessage:
    return _message(Outcome(FINALS[0], delay, False), sent_at, message_id=message_id, **fields)


def test_totals_add_and_subtract_both_counts() -> None:
    """Totals add and subtract SMS parts and thousandths alike; each message costs its cost
    in thousandths, whatever the cost."""
    assert Totals(3, 300) - Totals(1, 100) == Totals(2, 200)
    assert Totals(3, 300) + Totals(1, 100) == Totals(4, 400)
    assert charges([_sent(1, cost=1.0, parts=2), _sent(2, cost=0.045)]) == Totals(3, 1045)


def test_a_scheduled_send_is_to_send_until_its_start() -> None:
    """Its parts count in toSend while the clock is before its start, not from it; a
    sandbox send (not charged) never counts."""
    outbox = Outbox(1)
    outbox.add([_sent(1, scheduled_at=100.0, parts=2)])
    outbox.add([_sent(2, scheduled_at=100.0, sandbox=True)])
    outbox.add([_sent(3)])  # sent now: nothing ahead
    assert outbox.to_send(99.9) == 2
    assert outbox.to_send(100.0) == 0


@pytest.mark.parametrize("refund", [True, False])
def test_cancelling_refunds_only_when_the_ledger_says_so(
    monkeypatch: pytest.MonkeyPatch, refund: bool
) -> None:
    """A cancelled send is refunded (assumption 'cancel-refund'); when the ledger says it is
    not, the totals and toSend stay as they were."""
    real = spec.assumed
    monkeypatch.setattr(
        spec, "assumed", lambda key: refund if key == "cancel-refund" else real(key)
    )
    outbox = Outbox(1)
    outbox.add([_sent(1, scheduled_at=100.0, parts=2, cost=0.09)])
    outbox.cancel("1", 10.0)
    expected = Totals() if refund else Totals(2, 90)
    assert (outbox.totals, outbox.to_send(10.0)) == (expected, 0 if refund else 2)


def test_retention_forgets_a_finished_send_before_the_oldest() -> None:
    """Past max_messages, the first send that has finished by now (start + delay <= now) is
    forgotten, even if older ones are still pending; forgotten messages are counted."""
    outbox = Outbox(1, max_messages=2)
    outbox.add([_sent(1, delay=100)])
    outbox.add([_sent(2, delay=5)])  # finished at 5 exactly
    outbox.add([_sent(3, sent_at=5.0)])
    assert [m.message_id for m in outbox.messages()] == [1, 3]
    outbox.add([_sent(4, sent_at=6.0), _sent(4, sent_at=6.0, number="0600000001")])
    assert (len(outbox), outbox.forgotten) == (2, 3)
    assert [m.message_id for m in outbox.messages()] == [4, 4]


def test_retention_looks_for_a_finished_send_among_the_oldest_only() -> None:
    """Only the RETENTION_SCAN oldest sends are searched for a finished one: a finished send
    past them does not make retention cost more; the oldest is forgotten instead."""
    outbox = Outbox(1, max_messages=RETENTION_SCAN + 1)
    for message_id in range(1, RETENTION_SCAN + 1):
        outbox.add([_sent(message_id, delay=1000)])
    outbox.add([_sent(RETENTION_SCAN + 1, delay=0)])
    outbox.add([_sent(RETENTION_SCAN + 2, sent_at=1.0)])
    assert outbox.messages()[0].message_id == 2


def test_an_empty_send_changes_nothing_but_the_version() -> None:
    """Adding no recipients keeps every count."""
    outbox = Outbox(1, max_messages=1)
    outbox.add([_sent(1)])
    outbox.add([])
    assert (len(outbox), outbox.forgotten, outbox.totals) == (1, 0, Totals(1, 45))


def test_every_store_change_gives_a_new_version() -> None:
    """Each put, reset, send and sub-account change gives the store a version it never had
    before."""
    store = Store(spec.load_fixtures())
    record = {**spec.load_fixtures().messages[0], "statut": "Waiting"}
    seen = [store.version]
    for change in (
        lambda: store.put(record),
        store.reset,
        lambda: store.put(record),
        lambda: store.outbox.add([_sent(1)]),
        store.reset,
        store.reset,
        lambda: store.subaccounts.create("simple", "", 0.0),
        lambda: store.put(record),
        lambda: store.subaccounts.move(next(iter(store.subaccounts)), 1000),
        lambda: store.put(record),
        lambda: store.subaccounts.remove(next(iter(store.subaccounts)).token),
        lambda: store.put(record),
        lambda: store.put(record),
        lambda: store.put(record),
        store.reset,  # after many changes: the version never falls back to an earlier one
    ):
        change()
        assert store.version not in seen
        seen.append(store.version)


def test_batch_kinds_are_the_kinds_a_batch_checks() -> None:
    """The kinds the sending operations declare for their Batch are the ones it answers."""
    store = Store(spec.load_fixtures())
    batch = sending.Batch(store, [sending.Item("0600000000", "hi")])
    assert tuple(batch.checks()) == sending.BATCH_KINDS


def test_the_stop_list_is_bounded_in_bytes_and_removal_frees_them() -> None:
    """Adds count their bytes against max_bytes; a removal gives them back."""
    from mock_server._domain.stops import StopList
    from mock_server.errors import StoreFull

    stops = StopList(spec.load_fixtures().stop_list, file="stop-list.json")
    seeded = stops.bytes
    first = stops.add("0611111111", 0.0)
    assert stops.bytes == seeded + first.weight
    stops.max_bytes = stops.bytes + first.weight  # room for exactly one more entry
    second = stops.add("0622222222", 0.0)
    with pytest.raises(StoreFull, match="bytes"):
        stops.add("0633333333", 0.0)
    stops.remove(second.id)
    assert stops.bytes == seeded + first.weight
    stops.add("0633333333", 0.0)  # the freed bytes hold a new entry


def test_add_returns_the_position_of_the_first_added_recipient() -> None:
    """A send added in two parts: the second part starts where the first ended; adding
    nothing is position 0."""
    outbox = Outbox(1)
    assert outbox.add([_sent(1), _sent(1, number="0600000001")]) == 0
    assert outbox.add([_sent(1, number="0600000002")]) == 2
    assert outbox.add([]) == 0


def test_messages_pages_through_the_recipients() -> None:
    """messages(offset, limit): at most limit recipients from offset, in the order sent."""
    outbox = Outbox(1)
    for message_id in range(1, 6):
        outbox.add([_sent(message_id)])

    def ids(*page: int) -> list[int]:
        return [m.message_id for m in outbox.messages(*page)]

    assert ids() == [1, 2, 3, 4, 5]
    assert ids(1, 2) == [2, 3]
    assert ids(3) == [4, 5]
    assert ids(0, 1) == [1]


def test_a_cancelled_send_leaves_its_month() -> None:
    """A refunded cancellation takes the send's messages and cost out of its month; the
    month's other sends stay."""
    outbox = Outbox(1)
    outbox.add([_sent(1, scheduled_at=100.0, cost=0.045)])
    outbox.add([_sent(2, scheduled_at=100.0, cost=0.045)])
    outbox.add([_sent(2, scheduled_at=100.0, cost=0.045, number="0600000001")])
    month = month_of(100.0)
    assert outbox.months("") == {month: MonthSum(3, 135)}
    outbox.cancel("2", 10.0)
    assert outbox.months("") == {month: MonthSum(1, 45)}
    outbox.cancel("1", 10.0)
    assert outbox.months("") == {}


class TestSubAccountMoney:
    """The store's balance, credit check and /me of the account and of a sub-account."""

    def _store(self) -> Store:
        store = Store(spec.load_fixtures())
        store.clock.freeze(True)
        return store

    def test_the_accounts_balance_is_what_its_sends_and_moves_left(self) -> None:
        """The account's money: the initial solde less its sends and what it moved out; a
        sub-account's sends do not touch it."""
        store = self._store()
        initial = round(float(store.account.initial["solde"]) * 1000)
        sub = store.subaccounts.create("simple", "", 0.0)
        store.subaccounts.move(sub, 2000)
        store.outbox.add([_sent(1, cost=0.045)])
        store.outbox.add([_sent(2, cost=0.5, owner=sub.token)])
        assert store.balance("") == initial - 45 - 2000
        assert store.balance(sub.token) == 2000 - 500
        assert store.balance("no such token") == 0

    def test_only_the_account_is_bound_by_sms_credits(self) -> None:
        """The account lacks credits past its creditSms; a sub-account has money alone."""
        store = self._store()
        credits = store.account.initial["creditSms"]
        sub = store.subaccounts.create("simple", "", 0.0)
        store.subaccounts.move(sub, 1000)
        assert store.short_of("", credits + 1, 0.0)
        assert not store.short_of("", credits, 0.0)
        assert not store.short_of(sub.token, credits + 1, 1.0)
        assert store.short_of(sub.token, 1, 1.001)

    def test_a_sub_accounts_me_shows_its_own_money_and_sends(self) -> None:
        """A sub-account's /me: no SMS, ECO or HLR credits, its own scheduled parts in
        toSend (not the account's), its money as solde and balance."""
        store = self._store()
        sub = store.subaccounts.create("simple", "", 0.0, firstname="Ada", lastname="L")
        store.subaccounts.move(sub, 1500)
        later = store.clock.now() + 3600
        store.outbox.add([_sent(1, scheduled_at=later, parts=3)])
        store.outbox.add([_sent(2, scheduled_at=later, parts=2, cost=0.5, owner=sub.token)])
        user, credits = store.me(sub.token)
        assert user == {"username": sub.email, "firstname": "Ada", "lastname": "L"}
        assert credits == {
            "creditSms": 0,
            "creditSmsECO": 0,
            "creditHlr": 0,
            "toSend": 2,
            "solde": "1.000",
            "currency": store.account.currency,
            "balance": "1.000",
        }
        assert store.me("")[1]["toSend"] == 3

    def test_rate_limits_follow_the_setting(self) -> None:
        """A store built with rate_limits off never counts a request; on, it does."""
        limit = {"requests": 1, "seconds": 60}
        off = Store(spec.load_fixtures(), rate_limits=False)
        assert not any(off.limiter.over("r", limit, "k", 0.0) for _ in range(3))
        on = Store(spec.load_fixtures(), rate_limits=True)
        assert [on.limiter.over("r", limit, "k", 0.0) for _ in range(2)] == [False, True]
