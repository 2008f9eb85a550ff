"""The account behind the API key: who it is, what one SMS costs, and what credit is left.

Credits are the initial credits of fixtures/account.json minus what the charged messages
cost: the outbox keeps that sum as running totals (lifecycle.Totals, in thousandths), kept
right by every send, cancellation and reset, so a credit check costs the same whatever
was sent before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mock_server._domain import phones
from mock_server._domain.lifecycle import Totals
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
    return limit is not None and any(ord(char) > limit for char in message)


def amount(value: float) -> str:
    # '+ 0.0' turns a negative zero (an exhausted balance) into '0.000', never '-0.000'
    return f"{round(value, 3) + 0.0:.3f}"


class Account:
    """The account of fixtures/account.json."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.user: Mapping[str, str] = data["user"]
        self.initial: Mapping[str, Any] = data["credits"]
        self.currency: str = data["credits"]["currency"]
        self.first_message_id: int = data["first_message_id"]
        self.hlr_price: float = data.get("hlr_price", 0.0)
        self.subaccounts_enabled: bool = data.get("subaccounts_enabled", True)
        self._prices = sorted(data["prices"], key=lambda row: -len(row["calling_code"]))

    def price(self, number: str) -> Price | None:
        """The price of one SMS to number, by its calling code; None when there is none."""
        e164 = phones.canonical(number)
        for row in self._prices:
            if e164.startswith("+" + row["calling_code"]):
                return Price(row["countryCode"], row["price"])
        return None

    def remaining(self, spent: Totals, moved: int = 0) -> tuple[int, float]:
        """(SMS credits, money) left after charged messages that add up to spent and moved
        thousandths given to sub-accounts."""
        sms = self.initial["creditSms"] - spent.parts
        money = (round(float(self.initial["solde"]) * 1000) - spent.millis - moved) / 1000
        return sms, money

    def credits(
        self, spent: Totals, to_send: int, *, moved: int = 0, hlr_used: int = 0
    ) -> dict[str, Any]:
        """The 'credits' object of GET /v1/me, given what was spent, the SMS parts still
        scheduled, what was moved to sub-accounts and the HLR credits used."""
        sms, money = self.remaining(spent, moved)
        return {
            "creditSms": sms,
            "creditSmsECO": self.initial["creditSmsECO"],
            "creditHlr": self.initial["creditHlr"] - hlr_used,
            "toSend": to_send,
            "solde": amount(money),
            "currency": self.currency,
            "balance": amount(money),
        }
