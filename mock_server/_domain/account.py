"""The account behind the API key: who it is, what one SMS costs, and what credit is left.

Credits are computed, not counted down: the initial credits of fixtures/account.json minus
what the charged messages in the outbox cost. So a reset, a cancellation or a sandbox send
can never leave them wrong.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server._domain import phones
from mock_server._domain.lifecycle import SentMessage
from mock_server.contract import spec


@dataclass(frozen=True)
class Price:
    country_code: str
    price: float


def parts(message: str, unicode: bool) -> int:
    """How many SMS one recipient of message costs (rule 'segment-lengths')."""
    sizes = spec.rule("segment-lengths")
    single, part = (
        (sizes["unicode_single"], sizes["unicode_part"])
        if unicode
        else (sizes["single"], sizes["part"])
    )
    length = len(message)
    return 1 if length <= single else math.ceil(length / part)


def needs_unicode(message: str) -> bool:
    """Whether a message holds characters the kit counts as outside GSM (assumption
    'unicode-detection')."""
    limit = spec.assumed("unicode-detection")["auto_above"]
    return any(ord(char) > limit for char in message)


def _amount(value: float) -> str:
    return f"{value:.3f}"


class Account:
    """The account of fixtures/account.json."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.user: Mapping[str, str] = data["user"]
        self.initial: Mapping[str, Any] = data["credits"]
        self.currency: str = data["credits"]["currency"]
        self.first_message_id: int = data["first_message_id"]
        self._prices = sorted(data["prices"], key=lambda row: -len(row["calling_code"]))

    def price(self, number: str) -> Price | None:
        """The price of one SMS to number, by its calling code; None when there is none."""
        e164 = phones.canonical(number)
        for row in self._prices:
            if e164.startswith("+" + row["calling_code"]):
                return Price(row["countryCode"], row["price"])
        return None

    def remaining(self, messages: Iterable[SentMessage]) -> tuple[int, float]:
        """(SMS credits, money) left after every charged message."""
        charged = [m for m in messages if m.charged]
        sms = self.initial["creditSms"] - sum(m.parts for m in charged)
        money = float(self.initial["solde"]) - sum(m.cost for m in charged)
        return sms, round(money, 3)

    def credits(self, messages: Iterable[SentMessage], now: float) -> dict[str, Any]:
        """The 'credits' object of GET /v1/me at time now."""
        sent = list(messages)
        sms, money = self.remaining(sent)
        to_send = sum(m.parts for m in sent if m.charged and m.start > now)
        return {
            "creditSms": sms,
            "creditSmsECO": self.initial["creditSmsECO"],
            "creditHlr": self.initial["creditHlr"],
            "toSend": to_send,
            "solde": _amount(money),
            "currency": self.currency,
            "balance": _amount(money),
        }
