"""The control-code table as a decision: which code answers a request.

Codes are tried in the order of the 'message-status-code-precedence' assumption; each code's
trigger (schemas/control-codes.message-status.json) names one of the predicates in TRIGGERS.
Python knows the kinds of trigger, never which code or text goes with them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server._domain.store import Store
from mock_server.contract import spec
from mock_server.errors import SpecError


@dataclass
class Lookup:
    """One message-status request, after the boundary mapped the wire names."""

    present: frozenset[str]
    api_key: str
    message_id: str
    phone_number: str
    store: Store

    @functools.cached_property
    def record(self) -> dict[str, Any] | None:
        return self.store.find(self.message_id, self.phone_number)


Trigger = Callable[[Lookup, Mapping[str, str]], bool]

TRIGGERS: dict[str, Trigger] = {
    "missing": lambda lookup, trigger: trigger["parameter"] not in lookup.present,
    "unknown-api-key": lambda lookup, _: not lookup.store.accepts(lookup.api_key),
    "unknown-message": lambda lookup, _: lookup.record is None,
    "found": lambda lookup, _: True,
}


@functools.cache
def _ordered_codes() -> tuple[spec.ControlCode, ...]:
    codes = spec.precedence()
    unknown = {c.trigger["kind"] for c in codes} - set(TRIGGERS)
    if unknown:
        raise SpecError(f"Unknown trigger kinds {sorted(unknown)}; known: {sorted(TRIGGERS)}")
    return codes


def decide(lookup: Lookup) -> spec.ControlCode:
    """The first control code whose trigger holds for the request."""
    return next(c for c in _ordered_codes() if TRIGGERS[c.trigger["kind"]](lookup, c.trigger))
