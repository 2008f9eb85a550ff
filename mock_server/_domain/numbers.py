"""Number checks (POST /v1/lookup, POST /v1/hlr/notify): reading the numbers, the lookup of
one number, the HLR result of one number, and the HLR checks kept for their callback.

Which forms are read is the ledger's 'checked-number-forms'; country, type and formats come
from the 'lookup-number-plans' entry; the HLR result of a number is data
(fixtures/hlr-numbers.json, like the magic numbers of a send).
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mock_server._domain import values
from mock_server.contract import spec


def items(raw: str) -> list[str]:
    """The comma-separated items of phoneNumbers, as sent (an empty item included)."""
    return raw.split(",")


def badly_separated(raw: str) -> bool:
    """Whether phoneNumbers separates numbers with something else than a comma."""
    return any(sep in raw for sep in spec.assumed("number-check-separator")["separators"])


def international(item: str) -> str | None:
    """The digits after the international prefix of an item ('+33…', '0033…', '33…'), or None
    when the item is not in one of the accepted forms (assumption 'checked-number-forms')."""
    forms = spec.assumed("checked-number-forms")
    number = item.strip(values.blank()) if forms["trim"] else item
    for prefix in forms["prefixes"]:
        rest = number[len(prefix) :]
        if number.startswith(prefix) and rest and values.is_number(rest) and rest[0] != "0":
            return rest
    return None


@dataclass(frozen=True)
class Plan:
    """How the numbers of one calling code read (one entry of 'lookup-number-plans')."""

    calling_code: str
    country: str
    national_prefix: str
    templates: Mapping[str, str]
    mobile: tuple[str, ...]
    mcc_mnc: str


@spec.cached
def plans() -> tuple[Plan, ...]:
    """The plans, longest calling code first, so that '212' is tried before '21'."""
    found = [
        Plan(code, row["country"], row["national_prefix"], row["templates"], tuple(row["mobile"]),
             row["mcc_mnc"])
        for code, row in spec.assumed("lookup-number-plans").items()
    ]  # fmt: skip
    return tuple(sorted(found, key=lambda plan: -len(plan.calling_code)))


def plan_of(digits: str) -> tuple[Plan, str] | None:
    """The plan of international digits and the national significant number, or None when no
    plan knows the calling code or the number's length."""
    for plan in plans():
        nsn = digits[len(plan.calling_code) :]
        if digits.startswith(plan.calling_code) and str(len(nsn)) in plan.templates:
            return plan, nsn
    return None


def _grouped(template: str, nsn: str) -> str:
    digits = iter(nsn)
    return "".join(next(digits) if char == "X" else char for char in template)


def lookup(item: str, lang: str) -> dict[str, Any]:
    """The lookup entry of one item: its country, type and forms, or a failure entry."""
    digits = international(item)
    found = plan_of(digits) if digits else None
    if found is None:
        text = spec.assumed("lookup-invalid-number")["message"][lang]
        return {"request": item, "success": False, "message": text}
    plan, nsn = found
    grouped = _grouped(plan.templates[str(len(nsn))], nsn)
    e164 = f"+{plan.calling_code}{nsn}"
    return {
        "request": item,
        "success": True,
        "countryCode": plan.country,
        "prefixCode": int(plan.calling_code),
        "phoneNumber": e164,
        "type": "Mobile" if nsn.startswith(plan.mobile) else "Fixed line",
        "network": "",
        "format": {
            "e164": e164,
            "international": f"+{plan.calling_code} {grouped}",
            "national": plan.national_prefix + grouped,
            "rfc3966": f"tel:+{plan.calling_code}-" + grouped.replace(" ", "-"),
        },
    }


class HlrNumbers:
    """The HLR result of each number, from hlr-numbers.json; unlisted numbers get the default."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.default: Mapping[str, Any] = data["default"]
        self._numbers = {
            row["number"]: {k: v for k, v in row.items() if k not in ("number", "description")}
            for row in data["numbers"]
        }

    def result(self, e164: str) -> Mapping[str, Any]:
        return self._numbers.get(e164, self.default)


@dataclass
class HlrCheck:
    """One accepted HLR request: what its notifyUrl callback will need."""

    campaign_id: str
    owner: str
    tag: str
    notify_url: str | None
    at: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Roughly the bytes it holds (for the store's bound)."""
        texts = len(self.tag) + len(self.notify_url or "")
        return texts + sum(len(str(body)) for body in self.callbacks)

    def view(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "owner": self.owner,
            "tag": self.tag,
            "notifyUrl": self.notify_url,
            "at": self.at,
            "callbacks": [dict(body) for body in self.callbacks],
        }


class HlrChecks:
    """The HLR checks since the last reset, oldest first, within max_checks and max_bytes
    (the oldest go first); and the credits they used."""

    def __init__(self, results: HlrNumbers) -> None:
        self.results = results
        limits = spec.assumed("hlr-results")
        self.max_checks: int = limits["max_checks"]
        self.max_bytes: int = limits["max_bytes"]
        self.reset()

    def reset(self) -> None:
        self._checks: deque[HlrCheck] = deque()
        self.bytes = 0
        self.used = 0  # HLR credits used by the account (sub-accounts have none)
        self._next = spec.assumed("hlr-campaign-id")["first"]

    def __len__(self) -> int:
        return len(self._checks)

    def checks(self) -> list[HlrCheck]:
        return list(self._checks)

    def add(
        self, owner: str, numbers: list[str], tag: str, notify_url: str | None, now: float
    ) -> HlrCheck:
        """Record a check of international digits ('33600000000' for +33600000000)."""
        shape = spec.assumed("hlr-campaign-id")
        campaign_id = f"{shape['prefix']}{self._next:0{shape['digits']}d}"
        self._next += 1
        date = datetime.fromtimestamp(now, timezone.utc)
        stamp = date.strftime(spec.assumed("hlr-results")["date_format"])
        check = HlrCheck(campaign_id, owner, tag, notify_url, now)
        for digits in numbers:
            e164 = "+" + digits
            found = plan_of(digits)
            check.callbacks.append(
                {
                    "phone": e164,
                    "messageId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{campaign_id}/{e164}")),
                    "mccMnc": found[0].mcc_mnc if found else "",
                    **self.results.result(e164),
                    "date": stamp,
                }
            )
        if not owner:
            self.used += len(numbers)
        self._checks.append(check)
        self.bytes += check.size
        while len(self._checks) > self.max_checks or (
            self.bytes > self.max_bytes and len(self._checks) > 1
        ):
            self.bytes -= self._checks.popleft().size
        return check
