"""Control codes of the endpoints beyond message-status, decided from their catalogues.

Each operation has a catalogue (schemas/control-codes.<operation>.json) whose rows name a
trigger kind, and an order of precedence in the ledger. The generic kinds (a parameter
missing, an unknown API key, success) are answered here; an endpoint supplies a predicate
for each kind of its own. Python knows the kinds, never which code or text goes with them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server._domain.store import Store
from mock_server.contract import spec
from mock_server.errors import SpecError

GENERIC_KINDS = frozenset({"missing", "unknown-api-key", "ok"})


@dataclass
class Call:
    """One request to an operation, after the boundary mapped the wire names.

    checks holds a predicate of the trigger row per endpoint-specific kind; they are
    called lazily, in order of precedence, so a later check may rely on an earlier one.
    """

    operation: str
    present: frozenset[str]
    api_key: str
    store: Store
    checks: Mapping[str, Callable[[Mapping[str, Any]], bool]]


def _holds(call: Call, trigger: Mapping[str, Any]) -> bool:
    kind = trigger["kind"]
    if kind == "missing":
        return trigger["parameter"] not in call.present
    if kind == "unknown-api-key":
        return not call.store.accepts(call.api_key)
    if kind == "ok":
        return True
    return call.checks[kind](trigger)


@functools.cache
def ordered(operation: str) -> tuple[spec.ControlCode, ...]:
    return spec.precedence(operation)


def check_kinds(operation: str, own: Iterable[str]) -> None:
    """Raise SpecError unless every trigger of the operation's catalogue is implemented."""
    known = GENERIC_KINDS | set(own)
    unknown = {c.trigger["kind"] for c in ordered(operation)} - known
    if unknown:
        raise SpecError(
            f"Unknown trigger kinds {sorted(unknown)} in {spec.catalogue_file(operation)}.json; "
            f"known: {sorted(known)}"
        )


def decide(call: Call) -> spec.ControlCode:
    """The first control code whose trigger holds for the call."""
    return next(c for c in ordered(call.operation) if _holds(call, c.trigger))
