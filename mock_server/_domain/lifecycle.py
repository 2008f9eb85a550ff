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
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_server._domain import dates, phones, values
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
    url_dlr: str = ""  # where its delivery receipts go ('' for none)
    url_response: str = ""  # where replies to it go ('' for the account's URL)
    owner: str = ""  # "" for the account, else the token of the sub-account that sent it
    tag: str = ""  # the send's 'tag', as given

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


@dataclass(frozen=True)
class MonthSum:
    """What one owner's charged messages that left in one month add up to."""

    messages: int = 0
    millis: int = 0

    def __add__(self, other: MonthSum) -> MonthSum:
        return MonthSum(self.messages + other.messages, self.millis + other.millis)


def month_of(moment: float) -> tuple[int, int]:
    """(year, month) of an epoch time in the docs' time zone."""
    local = datetime.fromtimestamp(moment, dates.zone())
    return local.year, local.month


def _month_sum(messages: list[SentMessage]) -> MonthSum:
    spent = charges(messages)
    return MonthSum(sum(1 for m in messages if m.charged), spent.millis)


# How far from the oldest send retention looks for one that has finished.
RETENTION_SCAN = 64


class Outbox:
    """Every message sent since the last reset, by message_id, and the next id to allocate.

    It keeps running totals of what its charged messages cost, and of what is still to be
    sent, per owner (the account is owner ""; a sub-account is its token), and per owner and
    month (for the statistics), updated by add, cancel and reset, so that no send or credit
    check grows with the number of messages sent before it. Sends are indexed by owner and
    tag. It holds at most max_messages recipients: past that
    the oldest sends are forgotten, finished ones first (assumption 'outbox-retention'); the
    totals keep what forgotten messages cost.
    """

    def __init__(self, first_message_id: int, max_messages: int = 1_000_000) -> None:
        self._first = first_message_id
        self.max_messages = max_messages
        self.version = 0  # bumped by every change, for the memoised answers
        self.reset()

    def reset(self) -> None:
        # an OrderedDict: forgetting from the front of a plain dict leaves dead slots that
        # every later look at its front walks through (quadratic once retention starts)
        self._sends: OrderedDict[int, list[SentMessage]] = OrderedDict()
        # the latest send to each canonical number: (message_id, position in that send)
        self._last: dict[str, tuple[int, int]] = {}
        self._next = self._first
        self._count = 0
        self.forgotten = 0
        self._spent: dict[str, Totals] = {}
        self._months: dict[tuple[str, int, int], MonthSum] = {}
        self._tags: dict[tuple[str, str], dict[int, None]] = {}
        # scheduled, charged sends not yet started: (start, message_id, owner), their totals
        self._ahead: list[tuple[float, int, str]] = []
        self._ahead_totals: dict[int, Totals] = {}
        self._ahead_parts: dict[str, int] = {}
        self.version += 1

    @property
    def totals(self) -> Totals:
        """What the account's own charged messages add up to."""
        return self.spent("")

    def spent(self, owner: str) -> Totals:
        """What one owner's charged messages add up to."""
        return self._spent.get(owner, Totals())

    def _charge(self, owner: str, cost: Totals, month: tuple[int, int], count: MonthSum) -> None:
        self._spent[owner] = self.spent(owner) + cost
        key = (owner, *month)
        self._months[key] = self._months.get(key, MonthSum()) + count

    def months(self, owner: str) -> dict[tuple[int, int], MonthSum]:
        """(year, month) -> what the owner's charged messages that leave in it add up to."""
        return {(y, m): s for (o, y, m), s in self._months.items() if o == owner and s.messages}

    def tagged(self, owner: str, tag: str) -> list[SentMessage]:
        """The recipients of the owner's sends with this tag, oldest send first."""
        ids = self._tags.get((owner, tag), {})
        return [m for message_id in ids for m in self._sends.get(message_id, [])]

    def allocate(self) -> int:
        """A fresh message_id: one per send request, shared by all its recipients."""
        allocated = self._next
        self._next += 1
        return allocated

    def add(self, messages: Iterable[SentMessage]) -> int:
        """Add the recipients of one send (they share one message_id); returns the position
        of the first among the recipients of that message_id (see at())."""
        added = list(messages)
        first = len(self._sends.get(added[0].message_id, ())) if added else 0
        for message in added:
            sent = self._sends.setdefault(message.message_id, [])
            self._last[phones.canonical(message.number)] = (message.message_id, len(sent))
            sent.append(message)
        if added:
            head = added[0]
            self._charge(head.owner, charges(added), month_of(head.start), _month_sum(added))
            if head.tag:
                self._tags.setdefault((head.owner, head.tag), {})[head.message_id] = None
        self._count += len(added)
        scheduled = [m for m in added if m.scheduled_at is not None and m.charged]
        if scheduled:
            message_id, owner = scheduled[0].message_id, scheduled[0].owner
            heapq.heappush(self._ahead, (scheduled[0].start, message_id, owner))
            ahead = charges(scheduled)
            self._ahead_totals[message_id] = self._ahead_totals.get(message_id, Totals()) + ahead
            self._ahead_parts[owner] = self._ahead_parts.get(owner, 0) + ahead.parts
        self._retain(added[0].sent_at if added else 0.0)
        self.version += 1
        return first

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
            for message in forgotten:
                number = phones.canonical(message.number)
                if self._last.get(number, (None,))[0] == victim:
                    del self._last[number]
            self._count -= len(forgotten)
            self.forgotten += len(forgotten)
            tagged = self._tags.get((forgotten[0].owner, forgotten[0].tag))
            if tagged is not None:
                tagged.pop(victim, None)
                if not tagged:
                    del self._tags[(forgotten[0].owner, forgotten[0].tag)]

    def recipients(self, message_id: str) -> list[SentMessage]:
        """The messages of one send; empty when the id is unknown or not a number."""
        key = message_id.strip()
        return list(self._sends.get(int(key), [])) if values.is_number(key) else []

    def at(self, message_id: int, position: int) -> SentMessage | None:
        """The recipient at position of a send as it now stands (cancelled or not); None
        once retention has forgotten the send."""
        sent = self._sends.get(message_id)
        return None if sent is None else sent[position]

    def last_to(self, number: str) -> SentMessage | None:
        """The latest message sent to a number (any documented form), if still held."""
        found = self._last.get(phones.canonical(number))
        return None if found is None else self.at(*found)

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
        first = sent[0]
        self._sends[first.message_id] = cancelled
        refund = charges(sent) - charges(cancelled)
        counted = _month_sum(sent)
        left = _month_sum(cancelled)
        self._charge(
            first.owner,
            Totals() - refund,
            month_of(first.start),
            MonthSum(left.messages - counted.messages, left.millis - counted.millis),
        )
        ahead = self._ahead_totals.get(first.message_id)
        if ahead is not None and refund.parts:  # refunded: no longer to be sent
            self._ahead_parts[first.owner] -= ahead.parts
            del self._ahead_totals[first.message_id]
        self.version += 1

    def to_send(self, now: float, owner: str = "") -> int:
        """SMS parts of an owner's charged messages scheduled after now (the clock never goes
        back between resets, so sends that have started are dropped for good)."""
        while self._ahead and self._ahead[0][0] <= now:
            _, message_id, sender = heapq.heappop(self._ahead)
            started = self._ahead_totals.pop(message_id, None)
            if started is not None:
                self._ahead_parts[sender] -= started.parts
        return self._ahead_parts.get(owner, 0)

    def __len__(self) -> int:
        return self._count

    def snapshot(self) -> list[list[SentMessage]]:
        """The recipients of every send, oldest send first: a copy of the references. No later
        change touches it: a send's list is complete once added, and cancel replaces it."""
        return list(self._sends.values())

    def messages(self, offset: int = 0, limit: int | None = None) -> list[SentMessage]:
        """Recipients in the order they were sent, from offset, at most limit of them
        (a listing of the whole outbox costs its size: admin listings page through it)."""
        flat = (m for sent in self._sends.values() for m in sent)
        stop = None if limit is None else offset + limit
        return list(itertools.islice(flat, offset, stop))
