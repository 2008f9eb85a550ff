"""Delivery lifecycle: each recipient of a send is a SentMessage whose status is computed.

A message is pending from its start (send time, or scheduled time) until start + delay,
then has its final status for ever; a cancelled message has the 'cancelled-status' of the
ledger from its cancellation. `status_at` is a pure function of the message and a time, so
the same sends and clock advances always give the same answers. Which final status, delay
and stopSms a number gets is data: fixtures/magic-numbers.json.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server._domain import phones, values
from mock_server.contract import spec


@dataclass(frozen=True)
class Outcome:
    """What happens to a message: its final status, after how long, and its stopSms."""

    final_status: str
    delay: float
    stop_sms: bool


class MagicNumbers:
    """The outcome of each number, from magic-numbers.json; unlisted numbers get the default.

    default_delay, when given, replaces the default outcome's delay (--delivery-delay).
    """

    def __init__(self, data: Mapping[str, Any], default_delay: float | None = None) -> None:
        self.pending: str = data["pending_status"]
        default = data["default"]
        delay = default["delay_seconds"] if default_delay is None else default_delay
        self.default = Outcome(default["final_status"], float(delay), default["stopSms"])
        self._numbers = {
            phones.canonical(row["number"]): Outcome(
                row["final_status"], float(row["delay_seconds"]), row["stopSms"]
            )
            for row in data["numbers"]
        }

    def outcome(self, number: str) -> Outcome:
        return self._numbers.get(phones.canonical(number), self.default)


@dataclass(frozen=True)
class SentMessage:
    """One recipient of one send, as the platform holds it."""

    message_id: int
    number: str  # as given in phoneNumbers (assumption 'send-number-echo')
    sent_at: float
    scheduled_at: float | None
    outcome: Outcome
    parts: int
    cost: float
    country_code: str
    currency: str
    sandbox: bool = False
    cancelled_at: float | None = None

    @property
    def start(self) -> float:
        """When the message leaves: its scheduled time, or when it was sent."""
        return self.sent_at if self.scheduled_at is None else self.scheduled_at

    @property
    def charged(self) -> bool:
        """Whether the account pays for it (assumptions 'sandbox-send', 'cancel-refund')."""
        return not (self.sandbox and not spec.assumed("sandbox-send")["charges"]) and not (
            self.cancelled_at is not None and spec.assumed("cancel-refund")
        )


def status_at(message: SentMessage, now: float, pending: str) -> tuple[str, float]:
    """(status, date in epoch seconds) of a message at time now: a pure function."""
    if message.cancelled_at is not None:
        return spec.assumed("cancelled-status"), message.cancelled_at
    arrival = message.start + message.outcome.delay
    if now < arrival:
        return pending, message.start
    dated = arrival if spec.assumed("status-date")["final"] == "start-plus-delay" else message.start
    return message.outcome.final_status, dated


@dataclass(frozen=True)
class Totals:
    """What the charged messages of an outbox add up to: SMS parts and cost in thousandths
    (integers, so that thousands of sends and cancels never drift by a rounding)."""

    parts: int = 0
    millis: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.parts + other.parts, self.millis + other.millis)

    def __sub__(self, other: Totals) -> Totals:
        return Totals(self.parts - other.parts, self.millis - other.millis)


def charges(messages: Iterable[SentMessage]) -> Totals:
    """The totals of the charged messages among messages (the derivation the running totals
    of an Outbox must always equal)."""
    charged = [m for m in messages if m.charged]
    return Totals(sum(m.parts for m in charged), sum(round(m.cost * 1000) for m in charged))


# How far from the oldest send retention looks for one that has finished.
RETENTION_SCAN = 64


class Outbox:
    """Every message sent since the last reset, by message_id, and the next id to allocate.

    It keeps running totals of what its charged messages cost, and of what is still to be
    sent, updated by add, cancel and reset, so that no send or credit check grows with the
    number of messages sent before it. It holds at most max_messages recipients: past that
    the oldest sends are forgotten, finished ones first (assumption 'outbox-retention'); the
    totals keep what forgotten messages cost.
    """

    def __init__(self, first_message_id: int, max_messages: int = 1_000_000) -> None:
        self._first = first_message_id
        self.max_messages = max_messages
        self.version = 0  # bumped by every change, for the memoised answers
        self.reset()

    def reset(self) -> None:
        self._sends: dict[int, list[SentMessage]] = {}
        self._next = self._first
        self._count = 0
        self.forgotten = 0
        self.totals = Totals()
        # scheduled, charged sends not yet started: (start, message_id) and their totals
        self._ahead: list[tuple[float, int]] = []
        self._ahead_totals: dict[int, Totals] = {}
        self._ahead_parts = 0
        self.version += 1

    def allocate(self) -> int:
        """A fresh message_id: one per send request, shared by all its recipients."""
        allocated = self._next
        self._next += 1
        return allocated

    def add(self, messages: Iterable[SentMessage]) -> None:
        """Add the recipients of one send (they share one message_id)."""
        added = list(messages)
        for message in added:
            self._sends.setdefault(message.message_id, []).append(message)
        cost = charges(added)
        self.totals += cost
        self._count += len(added)
        scheduled = [m for m in added if m.scheduled_at is not None and m.charged]
        if scheduled:
            message_id = scheduled[0].message_id
            heapq.heappush(self._ahead, (scheduled[0].start, message_id))
            ahead = charges(scheduled)
            self._ahead_totals[message_id] = self._ahead_totals.get(message_id, Totals()) + ahead
            self._ahead_parts += ahead.parts
        self._retain(added[0].sent_at if added else 0.0)
        self.version += 1

    def _finished(self, sent: list[SentMessage], now: float) -> bool:
        return all(m.cancelled_at is not None or m.start + m.outcome.delay <= now for m in sent)

    def _retain(self, now: float) -> None:
        """Forget the oldest sends while more than max_messages recipients are held."""
        while self._count > self.max_messages:
            oldest = itertools.islice(self._sends.items(), RETENTION_SCAN)
            victim = next(
                (mid for mid, sent in oldest if self._finished(sent, now)),
                next(iter(self._sends)),
            )
            forgotten = self._sends.pop(victim)
            self._count -= len(forgotten)
            self.forgotten += len(forgotten)

    def recipients(self, message_id: str) -> list[SentMessage]:
        """The messages of one send; empty when the id is unknown or not a number."""
        key = message_id.strip()
        return list(self._sends.get(int(key), [])) if values.is_number(key) else []

    def find(self, message_id: str, number: str) -> SentMessage | None:
        wanted = phones.lookup_key(number)
        return next(
            (m for m in self.recipients(message_id) if phones.lookup_key(m.number) == wanted),
            None,
        )

    def cancel(self, message_id: str, now: float) -> None:
        """Mark every recipient of a send as cancelled at time now."""
        sent = self.recipients(message_id)
        cancelled = [dataclasses.replace(m, cancelled_at=now) for m in sent]
        self._sends[sent[0].message_id] = cancelled
        refund = charges(sent) - charges(cancelled)
        self.totals -= refund
        ahead = self._ahead_totals.get(sent[0].message_id)
        if ahead is not None and refund.parts:  # refunded: no longer to be sent
            self._ahead_parts -= ahead.parts
            del self._ahead_totals[sent[0].message_id]
        self.version += 1

    def to_send(self, now: float) -> int:
        """SMS parts of charged messages scheduled after now (the clock never goes back
        between resets, so sends that have started are dropped for good)."""
        while self._ahead and self._ahead[0][0] <= now:
            _, message_id = heapq.heappop(self._ahead)
            started = self._ahead_totals.pop(message_id, None)
            if started is not None:
                self._ahead_parts -= started.parts
        return self._ahead_parts

    def __len__(self) -> int:
        return self._count

    def messages(self, offset: int = 0, limit: int | None = None) -> list[SentMessage]:
        """Recipients in the order they were sent, from offset, at most limit of them
        (a listing of the whole outbox costs its size: admin listings page through it)."""
        flat = (m for sent in self._sends.values() for m in sent)
        stop = None if limit is None else offset + limit
        return list(itertools.islice(flat, offset, stop))
