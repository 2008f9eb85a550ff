"""How the live API's PHP backend reads a request value: digits, blanks, flags.

Shared by every operation, so that one reading rule holds for a query parameter and a JSON
field alike.
"""

from __future__ import annotations

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
