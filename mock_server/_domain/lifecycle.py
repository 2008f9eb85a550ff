"""Delivery lifecycle: each recipient of a send is a SentMessage whose status is computed.

A message is pending from its start (send time, or scheduled time) until start + delay,
then has its final status for ever; a cancelled message has the 'cancelled-status' of the
ledger from its cancellation. `status_at` is a pure function of the message and a time, so
the same sends and clock advances always give the same answers. Which final status, delay
and stopSms a number gets is data: fixtures/magic-numbers.json.
"""

from __future__ import annotations

import dataclasses
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
    return message.outcome.final_status, arrival


class Outbox:
    """Every message sent since the last reset, by message_id, and the next id to allocate."""

    def __init__(self, first_message_id: int) -> None:
        self._first = first_message_id
        self._sends: dict[int, list[SentMessage]] = {}
        self._next = first_message_id
        self.version = 0  # bumped by every change, for the memoised answers

    def reset(self) -> None:
        self._sends = {}
        self._next = self._first
        self.version += 1

    def allocate(self) -> int:
        """A fresh message_id: one per send request, shared by all its recipients."""
        allocated = self._next
        self._next += 1
        return allocated

    def add(self, messages: Iterable[SentMessage]) -> None:
        for message in messages:
            self._sends.setdefault(message.message_id, []).append(message)
        self.version += 1

    def recipients(self, message_id: str) -> list[SentMessage]:
        """The messages of one send; empty when the id is unknown or not a number."""
        key = message_id.strip()
        return list(self._sends.get(int(key), [])) if values.is_number(key) else []

    def find(self, message_id: str, number: str) -> SentMessage | None:
        wanted = phones.canonical(number)
        return next(
            (m for m in self.recipients(message_id) if phones.canonical(m.number) == wanted), None
        )

    def cancel(self, message_id: str, now: float) -> None:
        """Mark every recipient of a send as cancelled at time now."""
        sent = self.recipients(message_id)
        self._sends[sent[0].message_id] = [dataclasses.replace(m, cancelled_at=now) for m in sent]
        self.version += 1

    def messages(self) -> list[SentMessage]:
        return [m for sent in self._sends.values() for m in sent]
