"""What one running mock knows: the API keys it accepts and the messages it can report.

A Store is built from a Fixtures value and can be reset to it; records added at run time are
validated against the success schema before they are stored, so the mock never holds a
message it could not serve. Messages sent through POST /v1/send live in its outbox, and
their records are computed from the clock when asked for. Every change of the stored records
bumps `version`, which is what invalidates the memoised answers (answers.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from mock_server._domain import phones
from mock_server._domain.account import Account
from mock_server._domain.clock import Clock
from mock_server._domain.lifecycle import MagicNumbers, Outbox, SentMessage, status_at
from mock_server.contract import spec
from mock_server.errors import StoreFull


def _key(message_id: str, number: str) -> tuple[str, str]:
    return (message_id, phones.lookup_key(number))


class Store:
    """Messages keyed by (messageId, canonical phone number), and the accepted API keys."""

    def __init__(
        self,
        fixtures: spec.Fixtures,
        api_keys: Iterable[str] = (),
        *,
        clock: Clock | None = None,
        delivery_delay: float | None = None,
        max_messages: int = 100_000,
        max_records: int = 10_000,
    ) -> None:
        self._fixtures = fixtures
        self._api_keys = frozenset(api_keys) or frozenset(fixtures.api_keys)
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.clock = clock or Clock()
        self.magic = MagicNumbers(fixtures.magic_numbers, delivery_delay)
        self.account = Account(fixtures.account)
        self.outbox = Outbox(self.account.first_message_id, max_messages)
        self.max_records = max(max_records, len(fixtures.messages))
        self._changes = 0
        self.reset()

    def reset(self) -> None:
        """Forget every change: back to the fixtures, no sent message, real time."""
        self._messages = {
            _key(m["messageId"], m["number"]): dict(m) for m in self._fixtures.messages
        }
        self._changes += 1
        self.outbox.reset()
        self.clock.reset()

    def status(self, message: SentMessage) -> tuple[str, float]:
        """(status, epoch date) of a sent message now."""
        return status_at(message, self.clock.now(), self.magic.pending)

    def record(self, message: SentMessage) -> dict[str, Any]:
        """A sent message as a message-status record (the fields of messages.json)."""
        statut, date = self.status(message)
        echo = spec.assumed("send-number-echo")
        return {
            "number": phones.canonical(message.number) if echo == "E.164" else message.number,
            "messageId": str(message.message_id),
            "stopSms": message.outcome.stop_sms,
            "date": str(int(date)),
            "statut": statut,
            "cost": message.cost,
            "countryCode": message.country_code,
            "currency": message.currency,
        }

    @property
    def version(self) -> int:
        """Grows with every change of the stored or sent messages (both counters only grow)."""
        return self._changes + self.outbox.version

    def holds(self, message_id: str, phone_number: str) -> bool:
        """Whether the message is a stored record, whose answer does not change with time."""
        return _key(message_id, phone_number) in self._messages

    def accepts(self, api_key: str) -> bool:
        return api_key in self._api_keys

    @property
    def fixtures(self) -> spec.Fixtures:
        """The fixtures this store resets to."""
        return self._fixtures

    @property
    def api_keys(self) -> frozenset[str]:
        return self._api_keys

    def find(self, message_id: str, phone_number: str) -> dict[str, Any] | None:
        """The record for a message, whatever documented form the number is given in."""
        record = self._messages.get(_key(message_id, phone_number))
        if record is not None:
            return record
        sent = self.outbox.find(message_id, phone_number)
        return None if sent is None else self.record(sent)

    def recipients(self, message_id: str) -> list[dict[str, Any]]:
        """The records of every recipient of one messageId: fixtures, then sent messages."""
        wanted = message_id.strip()
        fixed = [dict(m) for (mid, _), m in self._messages.items() if mid == wanted]
        return fixed + [self.record(m) for m in self.outbox.recipients(wanted)]

    def put(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Add or replace a message; raises FixtureError if the record is not servable and
        StoreFull when it is new and max_records are held already."""
        spec.check_message(record)
        stored = dict(record)
        key = _key(stored["messageId"], stored["number"])
        if key not in self._messages and len(self._messages) >= self.max_records:
            raise StoreFull(f"The mock holds {self.max_records} records already (reset it first)")
        self._messages[key] = stored
        self._changes += 1
        return stored

    def messages(self, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Copies of the stored records, from offset, at most limit of them."""
        stop = None if limit is None else offset + limit
        return [dict(m) for m in itertools.islice(self._messages.values(), offset, stop)]

    def __len__(self) -> int:
        """How many records are stored (sent messages not included)."""
        return len(self._messages)
