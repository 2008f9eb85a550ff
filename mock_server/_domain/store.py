"""What one running mock knows: the API keys it accepts, the messages it can report, and the
numbers it must not send to (the STOP list, stops.py).

A Store is built from a Fixtures value and can be reset to it; records added at run time are
validated against the success schema before they are stored, so the mock never holds a
message it could not serve. Messages sent through POST /v1/send live in its outbox, and
their records are computed from the clock when asked for. It also holds the account's
sub-accounts (whose API keys it accepts too), the HLR checks and the rate-limit windows.
Every change of the stored records or of the keys it accepts bumps `version`, which is what
invalidates the memoised answers (answers.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from mock_server._domain import phones
from mock_server._domain.account import Account, amount
from mock_server._domain.clock import Clock
from mock_server._domain.lifecycle import MagicNumbers, Outbox, SentMessage, status_at
from mock_server._domain.numbers import HlrChecks, HlrNumbers
from mock_server._domain.ratelimit import RateLimiter
from mock_server._domain.stops import StopList
from mock_server._domain.subaccounts import SubAccounts
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
        max_subaccounts: int = 1000,
        rate_limits: bool = True,
    ) -> None:
        self._fixtures = fixtures
        self._api_keys = frozenset(api_keys) or frozenset(fixtures.api_keys)
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.clock = clock or Clock()
        self.magic = MagicNumbers(fixtures.magic_numbers, delivery_delay)
        self.account = Account(fixtures.account)
        self.outbox = Outbox(self.account.first_message_id, max_messages)
        self.stops = StopList(fixtures.stop_list, file=str(fixtures.directory / "stop-list.json"))
        self.max_records = max(max_records, len(fixtures.messages))
        self.subaccounts = SubAccounts(max_subaccounts)
        self.hlr = HlrChecks(HlrNumbers(fixtures.hlr_numbers))
        self.limiter = RateLimiter(rate_limits, spec.assumed("rate-limiter")["max_keys"])
        self._changes = 0
        self.reset()

    def reset(self) -> None:
        """Forget every change: back to the fixtures, no sent message, the seeded STOP list,
        no sub-account, no HLR check, no rate-limit window, real time."""
        self._messages = {
            _key(m["messageId"], m["number"]): dict(m) for m in self._fixtures.messages
        }
        self._changes += 1
        self.outbox.reset()
        self.stops.reset()
        self.subaccounts.reset()
        self.hlr.reset()
        self.limiter.reset()
        self.clock.reset()

    def stop_number(self, number: str) -> None:
        """A recipient sent STOP: the number goes on the STOP list (once; a number listed
        already stays as it is), so the next send to it answers code 14. Raises StoreFull
        when the list is full."""
        if self.stops.find(number) is None:
            self.stops.add(number, self.clock.now())

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
        return self._changes + self.outbox.version + self.subaccounts.version

    def holds(self, message_id: str, phone_number: str) -> bool:
        """Whether the message is a stored record, whose answer does not change with time."""
        return _key(message_id, phone_number) in self._messages

    def accepts(self, api_key: str) -> bool:
        """Whether the key is one of the account's, or a sub-account's credential."""
        return api_key in self._api_keys or self.subaccounts.by_key(api_key) is not None

    def owner(self, api_key: str) -> str:
        """Whose credits an accepted key spends: '' for the account, else the sub-account's
        token (assumption 'subaccount-credentials')."""
        sub = self.subaccounts.by_key(api_key) if api_key not in self._api_keys else None
        return "" if sub is None else sub.token

    def balance(self, owner: str) -> int:
        """The money an owner has left, in thousandths."""
        if not owner:
            initial = round(float(self.account.initial["solde"]) * 1000)
            return initial - self.outbox.spent("").millis - self.subaccounts.moved_out
        sub = self.subaccounts.by_token(owner)
        moved = sub.moved if sub is not None else 0
        return moved - self.outbox.spent(owner).millis

    def short_of(self, owner: str, parts: int, cost: float) -> bool:
        """Whether an owner lacks the SMS credits (the account only: sub-accounts have money
        alone) or the money for parts SMS costing cost."""
        sms = self.account.remaining(self.outbox.spent(owner))[0] if not owner else parts
        return parts > sms or round(cost * 1000) > self.balance(owner)

    def me(self, owner: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The 'user' and 'credits' of GET /v1/me for an owner."""
        to_send = self.outbox.to_send(self.clock.now(), owner)
        if not owner:
            credits = self.account.credits(
                self.outbox.totals,
                to_send,
                moved=self.subaccounts.moved_out,
                hlr_used=self.hlr.used,
            )
            return dict(self.account.user), credits
        sub = self.subaccounts.by_token(owner)
        assert sub is not None  # an owner is a sub-account the store accepts
        money = amount(self.balance(owner) / 1000)
        user = {"username": sub.email, "firstname": sub.firstname, "lastname": sub.lastname}
        credits = {
            "creditSms": 0,
            "creditSmsECO": 0,
            "creditHlr": 0,
            "toSend": to_send,
            "solde": money,
            "currency": self.account.currency,
            "balance": money,
        }
        return user, credits

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
