"""Phone numbers: every documented form of one number maps to one canonical E.164 key.

The rules (national prefix, country code, international prefixes) are the value of the
'phone-formats' assumption in schemas/assumptions.json. A send reads numbers by the ledger's
rules, which its page documents (canonical); a status lookup by the rules in force, which a
calibration may change (lookup_key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.contract import spec


def canonical(raw: str, rules: Mapping[str, Any] | None = None) -> str:
    """The E.164 form of a phone number as a client may send it.

    '0600000000', '+33600000000', ' 33600000000' (an unencoded '+' decoded as a space) and
    '0033600000000' all give '+33600000000'. Anything else is returned stripped, so it can
    only match a record stored in that same form.
    """
    rules = rules or spec.ledger_value("phone-formats")
    number = raw.strip()
    for prefix in rules["international_prefixes"]:
        rest = number[len(prefix) :]
        if number.startswith(prefix) and rest.isdigit():
            return "+" + rest
    national = rules["national_prefix"]
    if national is not None and number.startswith(national) and number.isdigit():
        return f"+{rules['country_code']}{number[len(national) :]}"
    plus = rules["unencoded_plus"]
    if plus is not None and raw.startswith(plus) and number.isdigit():
        return "+" + number
    return number


def lookup_key(raw: str) -> str:
    """The key a status lookup finds a message by: canonical() under the rules in force."""
    return canonical(raw, spec.assumed("phone-formats"))
