"""The clock and the delivery lifecycle: statuses are a pure function of send time,
outcome and clock."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server import Settings
from mock_server._domain.clock import Clock
from mock_server._domain.lifecycle import MagicNumbers, Outbox, Outcome, SentMessage, status_at
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


def test_empty_admin_token_is_refused() -> None:
    """An empty admin token is refused: it would let anyone in."""
    with pytest.raises(ValueError, match="Invalid admin_token: an empty token"):
        Settings(admin_token=" ")


def test_invalid_delivery_delay_is_refused() -> None:
    """A negative default delivery delay is refused with the allowed range."""
    with pytest.raises(ValueError, match=r"Invalid delivery_delay: -1; expected 0 to"):
        Settings(delivery_delay=-1)


def test_delivery_delay_setting_replaces_the_default_delay() -> None:
    """--delivery-delay changes unlisted numbers only."""
    magic = MagicNumbers(MAGIC, default_delay=0)
    assert magic.outcome("0699999999").delay == 0
    assert magic.outcome("+33600000002").delay == 30


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
