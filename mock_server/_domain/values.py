"""How the live API's PHP backend reads a request value: digits, blanks, flags.

Shared by every operation, so that one reading rule holds for a query parameter and a JSON
field alike.
"""

from __future__ import annotations

import json
import math
from typing import Any

from mock_server.contract import spec


def is_number(text: str) -> bool:
    """Whether text is ASCII digits only: str.isdigit() also accepts superscript and
    full-width digits, which int() refuses or the schemas' [0-9] patterns do not match."""
    return text.isascii() and text.isdigit()


def blank() -> str:
    """What counts as blank around a value (assumption 'empty-parameter', PHP's trim())."""
    chars: str = spec.assumed("empty-parameter")["whitespace"]
    return chars


def missing(value: str) -> bool:
    """Whether a value that was given counts as missing (assumption 'empty-parameter')."""
    rule = spec.assumed("empty-parameter")
    return rule["treat_as"] == "missing" and not value.strip(rule["whitespace"])


def text(value: Any) -> str:
    """A JSON value as the text a PHP backend would read; lists, objects, null are empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def flag(value: Any) -> bool:
    """A boolean option as PHP reads it: true, 1, "1" or "true" (any case)."""
    return value is True or text(value).strip().lower() in ("1", "true")


# Longer integers than this are refused: no field of the API or the admin API needs one,
# and Python would happily build a 4,000-digit int that float() then cannot convert.
MAX_INT_DIGITS = 20


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"the number {literal[:30]} is out of range")
    return number


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"the number {literal[:30]}… has more than {MAX_INT_DIGITS} digits")
    return int(literal)


def load_json(raw: bytes, *, bounded: bool = True) -> Any:
    """A request body as JSON: the one parser of bodies from outside.

    NaN and Infinity literals are never JSON (PHP's json_decode refuses them too). bounded
    (the admin API) also refuses numbers past the float range or longer than MAX_INT_DIGITS
    digits, which no admin field needs; the API (bounded=False) takes them as PHP does, as
    values, since the live API is not known to refuse them. Raises ValueError (syntax,
    UTF-8, the numbers above) or RecursionError (nesting deeper than Python's stack).
    """
    if not bounded:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    return json.loads(
        raw.decode("utf-8"),
        parse_constant=_refuse_constant,
        parse_float=_finite_float,
        parse_int=_bounded_int,
    )
