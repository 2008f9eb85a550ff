"""What one running mock knows: the API keys it accepts and the messages it can report.

A Store is built from a Fixtures value and can be reset to it; records added at run time are
validated against the success schema before they are stored, so the mock never holds a
message it could not serve. Every change bumps `version`, which is what invalidates the
memoised answers (answers.py); records change only through put and reset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import phones, spec


def _key(message_id: str, number: str) -> tuple[str, str]:
    return (message_id, phones.canonical(number))


class Store:
    """Messages keyed by (messageId, canonical phone number), and the accepted API keys."""

    def __init__(self, fixtures: spec.Fixtures, api_keys: Iterable[str] = ()) -> None:
        self._fixtures = fixtures
        self._api_keys = frozenset(api_keys) or frozenset(fixtures.api_keys)
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.version = 0
        self.reset()

    def reset(self) -> None:
        """Forget every change: back to the fixtures."""
        self._messages = {
            _key(m["messageId"], m["number"]): dict(m) for m in self._fixtures.messages
        }
        self.version += 1

    def accepts(self, api_key: str) -> bool:
        return api_key in self._api_keys

    @property
    def api_keys(self) -> frozenset[str]:
        return self._api_keys

    def find(self, message_id: str, phone_number: str) -> dict[str, Any] | None:
        """The record for a message, whatever documented form the number is given in."""
        return self._messages.get(_key(message_id, phone_number))

    def put(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Add or replace a message; raises FixtureError if the record is not servable."""
        spec.check_message(record)
        stored = dict(record)
        self._messages[_key(stored["messageId"], stored["number"])] = stored
        self.version += 1
        return stored

    def messages(self) -> list[dict[str, Any]]:
        return [dict(m) for m in self._messages.values()]
