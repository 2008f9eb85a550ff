"""Phone numbers: every documented form of one number maps to one canonical E.164 key.

The rules (national prefix, country code, international prefixes) are the value of the
'phone-formats' assumption in schemas/assumptions.json.
"""

from __future__ import annotations

from mock_server.contract import spec


def canonical(raw: str) -> str:
    """The E.164 form of a phone number as a client may send it.

    '0600000000', '+33600000000', ' 33600000000' (an unencoded '+' decoded as a space) and
    '0033600000000' all give '+33600000000'. Anything else is returned stripped, so it can
    only match a record stored in that same form.
    """
    rules = spec.assumed("phone-formats")
    number = raw.strip()
    for prefix in rules["international_prefixes"]:
        rest = number[len(prefix) :]
        if number.startswith(prefix) and rest.isdigit():
            return "+" + rest
    national = rules["national_prefix"]
    if number.startswith(national) and number.isdigit():
        return f"+{rules['country_code']}{number[len(national) :]}"
    if raw.startswith(rules["unencoded_plus"]) and number.isdigit():
        return "+" + number
    return number
