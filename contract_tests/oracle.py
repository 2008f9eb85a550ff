"""What the contract says a request must yield, computed from schemas/ alone.

This is the suite's own reading of the control-code table and of the assumption ledger,
written independently of the mock: the checks compare a target against it.

The docs say which fault each code reports, not which code wins when several faults apply,
whether a blank value counts as missing, or which forms of a number find a message. So the
oracle answers with an Expected: the code the ledger (or the calibration in force) decides,
every code some other reading allows, and the assumptions that choose between them. A code
outside that set breaks the documented contract; another code of the set departs from those
assumptions only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mock_server.contract import spec

from .target import KnownMessage

# Every character some reading of 'empty-parameter' may count as blank (PHP's trim()).
ALL_BLANKS = str(spec.ledger_value("empty-parameter")["whitespace"])


def _whitespace() -> str:
    return str(spec.assumed("empty-parameter")["whitespace"])


def blank(value: str) -> bool:
    """Whether a given value counts as missing under the 'empty-parameter' in force."""
    rule = spec.assumed("empty-parameter")
    return rule["treat_as"] == "missing" and not value.strip(rule["whitespace"])


def phone_forms(number: str) -> dict[str, str]:
    """Every documented form of a phone number, by name ('national', 'international', ...).

    A French number gets all four forms; another country's only the international ones,
    since the national form is defined for France alone (the ledger's 'phone-formats').
    """
    rules = spec.ledger_value("phone-formats")
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
    """Whether two strings are forms of one phone number under the ledger's rules."""
    return phone_forms(a)["international"] == phone_forms(b)["international"]


def lookup_key(number: str, rules: Mapping[str, object]) -> str:
    """The key a server following rules ('phone-formats' values) finds a number by."""
    stripped = number.strip()
    for prefix in rules["international_prefixes"]:  # type: ignore[attr-defined]
        rest = stripped[len(prefix) :]
        if stripped.startswith(prefix) and rest.isdigit():
            return "+" + rest
    national = rules["national_prefix"]
    if isinstance(national, str) and stripped.startswith(national) and stripped.isdigit():
        return f"+{rules['country_code']}{stripped[len(national) :]}"
    plus = rules["unencoded_plus"]
    if isinstance(plus, str) and number.startswith(plus) and stripped.isdigit():
        return "+" + stripped
    return stripped


@dataclass(frozen=True)
class Reading:
    """A fact about a request under the assumptions in force, and the assumptions that, read
    otherwise, would turn it (none: the docs decide it)."""

    holds: bool
    rests_on: frozenset[str] = frozenset()

    def __and__(self, other: Reading) -> Reading:
        if not self.holds and not self.rests_on:
            return self
        if not other.holds and not other.rests_on:
            return other
        return Reading(self.holds and other.holds, self.rests_on | other.rests_on)

    def __invert__(self) -> Reading:
        return Reading(not self.holds, self.rests_on)


@dataclass(frozen=True)
class Expected:
    """The code the assumptions in force decide, every code another reading allows, and
    the assumptions that choose between them."""

    code: int
    possible: frozenset[int]
    rests_on: tuple[str, ...] = ()


def _missing(params: Mapping[str, str], name: str) -> Reading:
    if name not in params:
        return Reading(True)  # documented: the parameter is required
    value = params[name]
    if value.strip(ALL_BLANKS + _whitespace()):
        return Reading(False)  # not blank under any reading
    return Reading(blank(value), frozenset({"empty-parameter"}))


def _same_id(given: str, known: str) -> Reading:
    if given == known:
        return Reading(True)
    if given.strip(ALL_BLANKS + _whitespace()) == known:
        return Reading(given.strip(_whitespace()) == known, frozenset({"empty-parameter"}))
    return Reading(False)


def _same_phone(given: str, known: str) -> Reading:
    if given == known:
        return Reading(True)
    if same_number(given, known) or same_number(given.strip(), known):
        rules = spec.assumed("phone-formats")
        found = lookup_key(given, rules) == lookup_key(known, rules)
        return Reading(found, frozenset({"phone-formats"}))
    return Reading(False)


def _found(params: Mapping[str, str], known: KnownMessage | None) -> Reading:
    if known is None or "messageId" not in params or "phoneNumber" not in params:
        return Reading(False)
    return _same_id(params["messageId"], known.message_id) & _same_phone(
        params["phoneNumber"], known.phone_number
    )


def decide(readings: Mapping[int, Reading], operation: str = spec.STATUS) -> Expected:
    """The Expected of a request whose triggers read as readings ({code: Reading})."""
    order = spec.precedence(operation)
    errors = [c.code for c in order if not c.success]
    success = next(c.code for c in order if c.success)
    certain = {code for code in errors if readings[code].holds and not readings[code].rests_on}
    maybe = {code for code in errors if readings[code].rests_on}
    possible = certain | maybe | (set() if certain else {success})
    code = next((c for c in errors if readings[c].holds), success)
    rests_on = {name for c in maybe for name in readings[c].rests_on}
    if len(certain | maybe) > 1:
        rests_on.add(spec.precedence_id(operation))
    return Expected(code, frozenset(possible), tuple(sorted(rests_on)))


def expected(params: Mapping[str, str], api_key: str, known: KnownMessage | None) -> Expected:
    """What the contract requires of a message-status request with these (decoded)
    parameters.

    A message counts as existing only when it is the known message; the strategies draw
    every other messageId from a range no real message has, so 'unknown' is decidable
    against any target. A missing apiKey is also not a key of the account.
    """
    readings: dict[int, Reading] = {}
    for code in spec.precedence():
        kind = code.trigger["kind"]
        if kind == "missing":
            readings[code.code] = _missing(params, code.trigger["parameter"])
        elif kind == "unknown-api-key":
            readings[code.code] = Reading(params.get("apiKey") != api_key)
        elif kind == "unknown-message":
            readings[code.code] = ~_found(params, known)
    return decide(readings)


def expected_code(params: Mapping[str, str], api_key: str, known: KnownMessage | None) -> int:
    """The control code the assumptions in force decide for these parameters."""
    return expected(params, api_key, known).code


def success_code(operation: str = spec.STATUS) -> int:
    """The code of a successful answer (200)."""
    return next(c.code for c in spec.control_codes(operation).values() if c.success)


def order_from(
    observations: Iterable[tuple[frozenset[int], int]], operation: str
) -> list[int] | None:
    """The order of precedence the observations imply, or None when none does.

    Each observation is (the codes whose faults a request had, the code answered). Codes
    the observations do not order keep the order in force, so the result is the order in
    force changed as little as the observations require.
    """
    current = [c.code for c in spec.precedence(operation) if not c.success]
    before: dict[int, set[int]] = {code: set() for code in current}
    for faults, answered in observations:
        if answered not in faults:
            return None
        for other in faults - {answered}:
            before[other].add(answered)
    ordered: list[int] = []
    remaining = list(current)
    while remaining:
        ready = [c for c in remaining if before[c] <= set(ordered)]
        if not ready:
            return None  # the observations contradict each other
        ordered.append(ready[0])
        remaining.remove(ready[0])
    return ordered
