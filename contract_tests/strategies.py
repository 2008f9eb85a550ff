"""Hypothesis strategies derived from schemas/: queries valid, broken and adversarial.

Everything drawn comes from the JSON Schemas through hypothesis-jsonschema's from_schema;
the only hand-made parts are the ways a query is broken, and those follow the triggers in
schemas/control-codes.message-status.json. Sending is decoupled from generation: a strategy
yields a Query, and any transport can send it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from mock_server.contract import spec
from mock_server.redaction import REDACTED, is_secret_name

from .oracle import phone_forms
from .target import KnownMessage

# messageIds drawn for "unknown message" cases: 12 digits, far above any real id
ABSENT_IDS = st.integers(min_value=10**11, max_value=10**12 - 1).map(str)


@dataclass(frozen=True)
class Query:
    """A message-status query: ordered (name, value) pairs, sent percent-encoded.

    raw_plus sends '+' in phoneNumber unencoded, as many clients do, so that a form-decoding
    server reads it as a space. The repr hides API-key values.
    """

    pairs: tuple[tuple[str, str], ...]
    raw_plus: bool = False

    def raw(self) -> str:
        """The query string as sent."""

        def safe(name: str) -> str:
            return "+" if self.raw_plus and name == "phoneNumber" else ""

        return "&".join(f"{quote(k, safe='')}={quote(v, safe=safe(k))}" for k, v in self.pairs)

    def params(self) -> dict[str, str]:
        """The parameters as a server decodes them (the last of a repeated name wins)."""
        decoded = dict(self.pairs)
        if self.raw_plus and "phoneNumber" in decoded:
            decoded["phoneNumber"] = decoded["phoneNumber"].replace("+", " ")
        return decoded

    @property
    def repeated(self) -> bool:
        names = [k for k, _ in self.pairs]
        return len(names) != len(set(names))

    @property
    def response_format(self) -> str:
        """The format asked for: 'xml' for a documented XML spelling, else 'json'."""
        return "xml" if self.params().get("_format", "").lower() == "xml" else "json"

    def with_format(self, fmt: str) -> Query:
        """The same query asking for fmt."""
        kept = tuple((k, v) for k, v in self.pairs if k != "_format")
        return Query((*kept, ("_format", fmt)), self.raw_plus)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={REDACTED if is_secret_name(k) else v!r}" for k, v in self.pairs)
        return f"Query({shown}{', raw_plus=True' if self.raw_plus else ''})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def bodies(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies valid against schemas/<name>.schema.json, e.g. bodies('message-status.ok')."""
    # every answer body schema is of type object, so each value drawn is a dict
    return cast("st.SearchStrategy[dict[str, Any]]", from_schema(spec.schema(name)))


def _property(name: str) -> st.SearchStrategy[str]:
    query_schema = spec.schema(spec.QUERY)
    # every query parameter is of type string, so each value drawn is a str
    return cast(
        "st.SearchStrategy[str]",
        from_schema(
            {**query_schema["properties"][name], "definitions": query_schema["definitions"]}
        ),
    )


def formats() -> st.SearchStrategy[str]:
    """Values of _format the query schema allows: json or xml in any case."""
    return _property("_format")


def api_keys() -> st.SearchStrategy[str]:
    """API keys as the query schema allows them (almost surely not the target's)."""
    return _property("apiKey")


def phone_numbers() -> st.SearchStrategy[str]:
    """Phone numbers in every documented form."""
    return _property("phoneNumber")


def _finish(draw: st.DrawFn, params: dict[str, str], raw_plus: bool = False) -> Query:
    if draw(st.booleans()):
        params["_format"] = draw(formats())
    order = draw(st.permutations(list(params)))
    return Query(tuple((k, params[k]) for k in order), raw_plus)


@st.composite
def valid_queries(draw: st.DrawFn, api_key: str, known: KnownMessage) -> Query:
    """Queries that must find the known message: any documented phone form, any format."""
    form, number = draw(st.sampled_from(sorted(phone_forms(known.phone_number).items())))
    raw_plus = form == "unencoded-plus"
    if raw_plus:
        number = "+" + number.lstrip()
    params = {"apiKey": api_key, "messageId": known.message_id, "phoneNumber": number}
    return _finish(draw, params, raw_plus)


def _blank(draw: st.DrawFn) -> str | None:
    """None (leave the parameter out), or a value that counts as missing under the
    'empty-parameter' in force; the oracle marks the latter as resting on it."""
    rule = spec.assumed("empty-parameter")
    if rule["treat_as"] != "missing":
        return None
    blanks = (
        st.text(st.sampled_from(rule["whitespace"]), max_size=3)
        if rule["whitespace"]
        else st.just("")
    )
    return draw(st.one_of(st.none(), blanks))


@st.composite
def invalid_queries(
    draw: st.DrawFn, code: int, api_key: str, known: KnownMessage | None = None
) -> Query:
    """Queries broken in exactly the way that control code `code` reports.

    The trigger comes from schemas/control-codes.message-status.json: a required parameter
    missing or blank, an unknown API key, or an unknown message. An unknown key is tried on
    the known message when there is one, so that no other fault applies.
    """
    trigger = spec.control_codes()[code].trigger
    params = {
        "apiKey": api_key,
        "messageId": draw(ABSENT_IDS),
        "phoneNumber": draw(phone_numbers()),
    }
    kind = trigger["kind"]
    if kind == "missing":
        value = _blank(draw)
        if value is None:
            del params[trigger["parameter"]]
        else:
            params[trigger["parameter"]] = value
    elif kind == "unknown-api-key":
        params["apiKey"] = draw(api_keys().filter(lambda key: key != api_key))
        if known is not None:
            params["messageId"], params["phoneNumber"] = known.message_id, known.phone_number
    return _finish(draw, params)


@st.composite
def broken_queries(draw: st.DrawFn, api_key: str, known: KnownMessage | None) -> Query:
    """Queries with any combination of faults, to exercise the precedence of codes."""
    params: dict[str, str] = {}
    key = draw(st.sampled_from(["right", "wrong", "blank", "absent"]))
    if key != "absent":
        params["apiKey"] = {"right": api_key, "wrong": draw(api_keys()), "blank": ""}[key]
    for name, real in (
        ("messageId", known.message_id if known else None),
        ("phoneNumber", known.phone_number if known else None),
    ):
        choice = draw(st.sampled_from(["known", "other", "blank", "absent"]))
        if choice == "known" and real is not None:
            params[name] = real
        elif choice in ("known", "other"):
            params[name] = draw(ABSENT_IDS if name == "messageId" else phone_numbers())
        elif choice == "blank":
            params[name] = _blank(draw) or ""
    return _finish(draw, params)


@st.composite
def adversarial_queries(draw: st.DrawFn, api_key: str) -> Query:
    """Hostile queries: any unicode, long values, repeated and unknown parameters.

    The real key goes under the name apiKey only: against a remote target, a key placed in
    another parameter would travel where no redaction knows to look for it.
    """
    names = st.sampled_from(["apiKey", "messageId", "phoneNumber", "_format"]) | st.text(max_size=8)
    others = (st.text(max_size=40) | st.text(max_size=2000) | phone_numbers()).filter(
        lambda value: api_key not in value
    )
    pairs = draw(
        st.lists(
            names.flatmap(
                lambda name: st.tuples(
                    st.just(name), others | st.just(api_key) if name == "apiKey" else others
                )
            ),
            max_size=8,
        )
    )
    return Query(tuple(pairs), raw_plus=draw(st.booleans()))


class Mode(enum.Enum):
    """What a generated query is for."""

    VALID = "valid"
    INVALID = "invalid"
    BROKEN = "broken"
    ADVERSARIAL = "adversarial"


GENERATORS: dict[Mode, Callable[..., st.SearchStrategy[Query]]] = {
    Mode.VALID: valid_queries,
    Mode.INVALID: invalid_queries,
    Mode.BROKEN: broken_queries,
    Mode.ADVERSARIAL: adversarial_queries,
}
