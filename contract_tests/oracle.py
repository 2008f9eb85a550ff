"""What the contract says a request must yield, computed from schemas/ alone.

This is the suite's own reading of the control-code table and of the assumption ledger,
written independently of the mock: the checks compare a target against it.
"""

from __future__ import annotations

from collections.abc import Mapping

from mock_server.contract import spec

from .target import KnownMessage


def _whitespace() -> str:
    return str(spec.assumed("empty-parameter")["whitespace"])


def blank(value: str) -> bool:
    """Empty, or only the whitespace the 'empty-parameter' assumption names."""
    return not value.strip(_whitespace())


def phone_forms(number: str) -> dict[str, str]:
    """Every documented form of a phone number, by name ('national', 'international', ...).

    A French number gets all four forms; another country's only the international ones,
    since the national form is defined for France alone (assumption 'phone-formats').
    """
    rules = spec.assumed("phone-formats")
    national, country = rules["national_prefix"], rules["country_code"]
    digits = number.strip().lstrip("+")
    if number.strip().startswith("00"):
        digits = digits[2:]
    elif number.strip().startswith(national):
        digits = country + number.strip()[len(national) :]
    forms = {
        "international": "+" + digits,
        "zero-zero": "00" + digits,
        "unencoded-plus": rules["unencoded_plus"] + digits,
    }
    if digits.startswith(country):
        forms["national"] = national + digits[len(country) :]
    return forms


def same_number(a: str, b: str) -> bool:
    """Whether two strings are documented forms of one phone number."""
    return phone_forms(a)["international"] == phone_forms(b)["international"]


def expected_code(params: Mapping[str, str], api_key: str, known: KnownMessage | None) -> int:
    """The control code the contract requires for these (already decoded) parameters.

    Codes are tried in the ledger's precedence. A message counts as existing only when it is
    the known message; the strategies draw every other messageId from a range no real
    message has, so 'unknown' is decidable against any target.
    """
    for code in spec.precedence():
        kind = code.trigger["kind"]
        if kind == "missing" and blank(params.get(code.trigger["parameter"], "")):
            return code.code
        if kind == "unknown-api-key" and params.get("apiKey") != api_key:
            return code.code
        if kind == "unknown-message" and not (
            known is not None
            and params.get("messageId", "").strip(_whitespace()) == known.message_id
            and same_number(params.get("phoneNumber", ""), known.phone_number)
        ):
            return code.code
        if kind == "ok":
            return code.code
    raise AssertionError("the catalogue has no success code")  # pragma: no cover


def success_code() -> int:
    """The code of a successful answer (200)."""
    return next(c.code for c in spec.control_codes().values() if c.success)
