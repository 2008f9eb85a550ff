"""The decision engine: which control code answers a request, for every operation.

Each catalogue (schemas/control-codes.<name>.json) lists codes whose trigger names a kind;
the ledger orders them. The generic kinds are answered here (GENERIC); each operation
supplies a predicate for each kind of its own and declares those kinds when it registers,
so check_kinds() can refuse, at start-up, a catalogue that names a kind nobody implements.
Python knows the kinds of trigger, never which code or text goes with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_server._domain.store import Store
from mock_server.contract import spec
from mock_server.errors import SpecError

Check = Callable[[Mapping[str, Any]], bool]


@dataclass
class Request:
    """One request (or one entry of one), after the boundary mapped the wire names.

    checks holds a predicate of the trigger row per operation-specific kind; they are
    called lazily, in order of precedence, so a later check may rely on an earlier one.
    """

    catalogue: str
    store: Store
    present: frozenset[str] = frozenset()
    api_key: str = ""
    checks: Mapping[str, Check] = field(default_factory=dict)


Trigger = Callable[[Request, Mapping[str, Any]], bool]

# The kinds every operation shares; 'ok' is the success code of every catalogue.
GENERIC: dict[str, Trigger] = {
    "missing": lambda request, trigger: trigger["parameter"] not in request.present,
    "unknown-api-key": lambda request, _: not request.store.accepts(request.api_key),
    # counts the request when checked: first in the precedence of the operations that have
    # it ('<op>-code-precedence'), so that every request counts once
    "rate-limited": lambda request, trigger: request.store.limiter.over(
        trigger["rule"], spec.rule(trigger["rule"]), request.api_key, request.store.clock.now()
    ),
    "ok": lambda request, _: True,
}


def ordered(catalogue: str) -> tuple[spec.ControlCode, ...]:
    """The catalogue's codes in the order of precedence in force (a calibration may change
    it)."""
    return _ordered(catalogue, spec.overlay().key)


@spec.cached
def _ordered(catalogue: str, overlay: str) -> tuple[spec.ControlCode, ...]:
    return spec.precedence(catalogue)


def check_kinds(catalogue: str, own: Iterable[str]) -> None:
    """Raise SpecError unless every trigger kind of the catalogue is implemented, and the
    catalogue ends with an 'ok' code, so that every request gets an answer."""
    codes = ordered(catalogue)
    known = set(GENERIC) | set(own)
    unknown = {c.trigger["kind"] for c in codes} - known
    file = f"{spec.catalogue_file(catalogue)}.json"
    if unknown:
        raise SpecError(
            f"Unknown trigger kinds {sorted(unknown)} in {file}; known: {sorted(known)}"
        )
    last = codes[-1]
    if not (last.success and last.trigger["kind"] == "ok"):
        raise SpecError(f"{file} has no success code of kind 'ok'; its last is {last.code}")


def decide(request: Request) -> spec.ControlCode:
    """The first control code whose trigger holds for the request."""
    return next(c for c in ordered(request.catalogue) if _holds(request, c.trigger))


def _holds(request: Request, trigger: Mapping[str, Any]) -> bool:
    generic = GENERIC.get(trigger["kind"])
    return generic(request, trigger) if generic else request.checks[trigger["kind"]](trigger)


def http_status(code: spec.ControlCode, error_status: str) -> int:
    """The HTTP status of an answer with this code under the error_status setting: '200'
    answers every documented outcome with 200, '4xx' each code's http_status; a code whose
    status the docs state (the 429 of a rate limit) always has it."""
    documented = code.status_documented or error_status != "200"
    return code.http_status if documented else 200
