"""Checks: flat functions over one reply, each raising ContractViolation with a
'Received: … / Expected: …' message that names the request (API key redacted).

A check that finds a reply departing only from assumptions of the ledger (the docs leave
the point open) raises Departure instead, naming them: the suite records it in the
conformance report and fails only when one of them is held strict (--strict-assumptions).

    AssertionError
     └── ContractViolation   a target departed from the documented contract
          └── Departure      ... or only from assumptions of the ledger
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.contract import spec

from . import bodies, oracle
from .strategies import Query
from .target import Target
from .transport import Reply


class ContractViolation(AssertionError):
    """A reply that breaks the documented contract."""

    def __init__(self, title: str, reply: Reply, received: Any, expected: Any) -> None:
        self.title, self.reply, self.received, self.expected = title, reply, received, expected
        super().__init__(
            f"{title}\n  Request: {reply.request}\n  Received: {received}\n  Expected: {expected}"
        )


class Departure(ContractViolation):
    """A reply that departs from assumptions of the ledger, not from the documented contract."""

    def __init__(
        self, title: str, reply: Reply, received: Any, expected: Any, assumptions: Iterable[str]
    ) -> None:
        self.assumptions = tuple(sorted(set(assumptions)))
        super().__init__(title, reply, received, expected)
        self.args = (f"{self.args[0]}\n  Rests on: assumption {', '.join(self.assumptions)}",)

    @classmethod
    def of(cls, violation: ContractViolation, assumptions: Iterable[str]) -> Departure:
        """violation, seen as departing from assumptions (and those it names already)."""
        named = violation.assumptions if isinstance(violation, Departure) else ()
        return cls(
            violation.title,
            violation.reply,
            violation.received,
            violation.expected,
            {*named, *assumptions},
        )


class Departures:
    """Runs checks past departures: a violation of the documented contract is raised at once,
    the departures (from assumptions) together once every check has run."""

    def __init__(self) -> None:
        self.found: list[Departure] = []

    def run(self, check: Callable[[], None], assumptions: Iterable[str] = ()) -> None:
        """check(); a violation becomes a departure when it rests on assumptions."""
        resting = tuple(assumptions)
        try:
            check()
        except Departure as departure:
            self.found.append(Departure.of(departure, resting))
        except ContractViolation as violation:
            if not resting:
                raise
            self.found.append(Departure.of(violation, resting))

    def settle(self) -> None:
        """Raise the first departure, naming every assumption departed from."""
        if self.found:
            ids = {name for departure in self.found for name in departure.assumptions}
            raise Departure.of(self.found[0], ids)


def _short(raw: bytes, limit: int = 300) -> str:
    text = raw.decode("utf-8", "replace")
    return repr(text if len(text) <= limit else text[:limit] + "…")


def parsed_body(reply: Reply) -> Any:
    """The body in the format its Content-Type declares; a violation if it does not parse."""
    try:
        return reply.data()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ContractViolation(
            "Body does not parse in its declared format",
            reply,
            f"{reply.content_type!r} body {_short(reply.raw)} ({exc})",
            f"a well-formed {reply.media_type or 'JSON'} body",
        ) from exc


def schema_for(data: Any, operation: str | None = spec.STATUS) -> str:
    """The body schema a decoded body of operation must satisfy: success or error, by its
    'success'.

    An error whose code lists field errors (send's code 9) has its own '.invalid' schema; an
    answer outside every operation (operation None), the http-error schema.
    """
    return bodies.body_schema(operation, data)


def conforms(reply: Reply, data: Any, schema_name: str) -> None:
    problem = spec.first_error(schema_name, data)
    if problem:
        raise ContractViolation(
            f"Body does not conform to {schema_name}.schema.json",
            reply,
            f"{json.dumps(data, ensure_ascii=False)[:300]} ({problem[1]} at {problem[0]})",
            f"a body valid against {schema_name}.schema.json",
        )


def media_type_is(reply: Reply, expected: str) -> None:
    if reply.media_type != expected:
        raise ContractViolation(
            "Content-Type does not match the format asked for",
            reply,
            repr(reply.content_type),
            f"{expected!r} with charset=utf-8",
        )


def status_is(reply: Reply, expected: int) -> None:
    if reply.status != expected:
        raise ContractViolation(
            "Unexpected HTTP status", reply, f"{reply.status} {_short(reply.raw)}", expected
        )


def code_is(
    reply: Reply, data: Any, code: int, lang: str | None, operation: str = spec.STATUS
) -> None:
    """The body carries control code `code` and, for an error, its documented text.

    lang pins the language of the text; None accepts the text in any documented language.
    """
    documented = spec.control_codes(operation)[code]
    texts = [documented.message[lang]] if lang else list(documented.message.values())
    body = data if isinstance(data, Mapping) else {}
    received = (body.get("code"), body.get("message"))
    ok = (
        type(received[0]) is int
        and received[0] == code
        and (documented.success or documented.shape != "message" or received[1] in texts)
    )
    if not ok:
        precedence = list(spec.assumed(spec.precedence_id(operation)))
        raise ContractViolation(
            f"Wrong control code (codes are checked in the order {precedence})",
            reply,
            f"code {received[0]!r}, message {received[1]!r}",
            f"code {code}" + ("" if documented.success else f", message one of {texts!r}"),
        )


def fields_equal(reply: Reply, data: Any, expected: Mapping[str, Any]) -> None:
    """Each named field has exactly the expected value and JSON type."""
    wrong = {
        key: data.get(key, "<absent>") if isinstance(data, Mapping) else data
        for key, value in expected.items()
        if not isinstance(data, Mapping)
        or key not in data
        or data[key] != value
        or type(data[key]) is not type(value)
    }
    if wrong:
        raise ContractViolation(
            "Fields differ from the expected values",
            reply,
            json.dumps(wrong, ensure_ascii=False),
            json.dumps({k: expected[k] for k in wrong}, ensure_ascii=False),
        )


def _mismatch(data: Any, pattern: Any, path: str) -> str | None:
    """Where data departs from a deep, partial pattern, or None."""
    if isinstance(pattern, Mapping):
        if not isinstance(data, Mapping):
            return f"{path}: {data!r} is not an object"
        for key, sub in pattern.items():
            if key not in data:
                return f"{path}.{key}: absent"
            found = _mismatch(data[key], sub, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(pattern, list):
        if not isinstance(data, list) or len(data) != len(pattern):
            return (
                f"{path}: {json.dumps(data, ensure_ascii=False)[:200]} has not {len(pattern)} items"
            )
        for index, (item, sub) in enumerate(zip(data, pattern, strict=True)):
            found = _mismatch(item, sub, f"{path}[{index}]")
            if found:
                return found
        return None
    if data != pattern or type(data) is not type(pattern):
        return f"{path}: {data!r}"
    return None


def body_matches(reply: Reply, data: Any, pattern: Mapping[str, Any]) -> None:
    """The body matches a deep, partial pattern (lists element by element)."""
    found = _mismatch(data, pattern, "$")
    if found:
        raise ContractViolation(
            "Body does not match the expected pattern",
            reply,
            found,
            json.dumps(pattern, ensure_ascii=False)[:300],
        )


def headers_equal(reply: Reply, expected: Mapping[str, str]) -> None:
    wrong = {
        k: reply.headers.get(k.lower())
        for k, v in expected.items()
        if reply.headers.get(k.lower()) != v
    }
    if wrong:
        raise ContractViolation(
            "Headers differ from the expected values", reply, wrong, {k: expected[k] for k in wrong}
        )


def does_not_parse(reply: Reply) -> None:
    """The body is malformed in its declared format (what a broken provider sends)."""
    try:
        reply.data()
    except (ValueError, UnicodeDecodeError):
        return
    raise ContractViolation(
        "Body parses although a malformed one was expected",
        reply,
        _short(reply.raw),
        f"a body that is not valid {reply.media_type}",
    )


def raw_is(reply: Reply, expected: str) -> None:
    if reply.raw != expected.encode("utf-8"):
        raise ContractViolation(
            "Body differs from the documented bytes", reply, _short(reply.raw, 2000), repr(expected)
        )


@dataclass(frozen=True)
class Exchange:
    """One request and what the contract says of it, with the reply and its twin.

    expected is what the oracle requires (a bare code: exactly that code, as documented),
    None when nothing decides the code (e.g. a repeated parameter); twin is the reply to the
    same query in the other format, when the test fetched it.
    """

    query: Query
    reply: Reply
    target: Target
    expected: oracle.Expected | int | None = None
    twin: Reply | None = None

    @property
    def operation(self) -> str | None:
        """The operation the request asked for, whose schemas and catalogue apply."""
        return self.reply.operation


def no_server_error(ex: Exchange) -> None:
    if ex.reply.status >= 500:
        raise ContractViolation(
            "Server error", ex.reply, f"{ex.reply.status} {_short(ex.reply.raw)}", "a status < 500"
        )


def content_type_matches_format(ex: Exchange) -> None:
    fmt = ex.query.response_format
    params = ex.query.params()
    # an absent _format and json/xml, JSON/XML are documented; Xml, yaml, '' only assumed
    # ('format-case', 'unknown-format'), which the probes measure
    if (
        "_format" in params
        and params["_format"] not in DOCUMENTED_FORMATS
        and ex.reply.media_type in spec.MEDIA_TYPES.values()
    ):
        return
    if "_format" not in params:
        fmt = spec.DEFAULT_FORMAT
    media_type_is(ex.reply, spec.MEDIA_TYPES[fmt])
    charset = ex.reply.content_type.lower().partition("charset=")[2].strip()
    if charset and charset != "utf-8":
        raise ContractViolation(
            "Content-Type declares another charset", ex.reply, repr(ex.reply.content_type), "utf-8"
        )


def body_conforms_to_schema(ex: Exchange) -> None:
    data = parsed_body(ex.reply)
    conforms(ex.reply, data, schema_for(data, ex.operation))


def error_code_documented(ex: Exchange) -> None:
    data = parsed_body(ex.reply)
    code = data.get("code") if isinstance(data, Mapping) else None
    documented = spec.control_codes(ex.operation) if ex.operation else {}
    if type(code) is not int or code not in documented:
        raise ContractViolation(
            "Undocumented control code", ex.reply, repr(code), f"one of {list(documented)}"
        )
    if data.get("success") is not documented[code].success:
        raise ContractViolation(
            "'success' disagrees with the code",
            ex.reply,
            f"success {data.get('success')!r} with code {code}",
            f"success {documented[code].success!r} exactly when code is "
            + " or ".join(str(c.code) for c in documented.values() if c.success),
        )


def _documented(reply: Reply, operation: str | None) -> str:
    """operation, which a control-code check needs; a violation when there is none."""
    if operation is None:
        raise ContractViolation(
            "A control code was expected of a request outside the documented operations",
            reply,
            reply.request,
            f"a request to one of {[f'{op.method} {op.path}' for op in spec.operations()]}",
        )
    return operation


def control_code_matches_request(ex: Exchange) -> None:
    """The code the oracle expects; another code some reading of the ledger allows is a
    departure from the assumptions that choose between them."""
    expected = ex.expected
    if expected is None:
        return
    if isinstance(expected, int):
        expected = oracle.Expected(expected, frozenset({expected}))
    operation = _documented(ex.reply, ex.operation)
    data = parsed_body(ex.reply)
    code = data.get("code") if isinstance(data, Mapping) else None
    if code == expected.code or code not in expected.possible:
        code_is(ex.reply, data, expected.code, ex.target.lang, operation)
        return
    code_is(ex.reply, data, code, ex.target.lang, operation)  # its documented text
    raise Departure(
        "Control code departs from the assumed one",
        ex.reply,
        f"code {code}",
        f"code {expected.code} (the documented contract allows any of {sorted(expected.possible)})",
        expected.rests_on,
    )


def json_keys_in_documented_order(ex: Exchange) -> None:
    """Every object's keys, nested ones included, in the order of its schema's properties."""
    if ex.reply.media_type != spec.MEDIA_TYPES["json"]:
        return
    data = parsed_body(ex.reply)
    found = bodies.misordered(data, schema_for(data, ex.operation))
    if found:
        path, keys, order = found
        where = "" if path == "$" else f" in {path}"
        raise ContractViolation(f"JSON keys out of documented order{where}", ex.reply, keys, order)


def xml_entries_in_documented_form(ex: Exchange) -> None:
    """Booleans bare true/false, numbers bare, strings in CDATA (plain text where marked), at
    every level of the body."""
    if ex.reply.media_type != spec.MEDIA_TYPES["xml"]:
        return
    parsed_body(ex.reply)  # a body that does not parse is reported as such
    for leaf in bodies.read_xml(ex.reply.raw, ex.operation).leaves:
        if leaf.documented_form:
            continue
        written = f"<![CDATA[{leaf.text}]]>" if leaf.in_cdata else leaf.text
        if isinstance(leaf.value, str):
            form = "plain text" if leaf.plain else "a CDATA section"
            raise ContractViolation(
                f"XML entry {leaf.path!r} is not in its documented form",
                ex.reply,
                repr(written),
                f"the string in {form}",
            )
        raise ContractViolation(
            f"XML entry {leaf.path!r} wraps a non-string in CDATA",
            ex.reply,
            repr(written),
            "a bare true/false or number",
        )


def formats_agree(ex: Exchange) -> None:
    """The JSON and XML answers carry the same values, of the same types, in the same order.

    Compared as the XML shows them (bodies.xml_view): two optional fields the positional XML
    cannot tell apart do not make the answers differ.
    """
    if ex.twin is None:
        return
    mine, theirs = parsed_body(ex.reply), parsed_body(ex.twin)
    views = [
        bodies.xml_view(data, schema_for(data, reply.operation))
        for data, reply in ((mine, ex.reply), (theirs, ex.twin))
    ]
    if views[0] != views[1]:
        raise ContractViolation(
            f"{ex.reply.media_type} and {ex.twin.media_type} answers differ",
            ex.reply,
            f"{ex.reply.media_type}: {json.dumps(mine, ensure_ascii=False)[:1000]}",
            f"the same values, types and order as {ex.twin.media_type}: "
            + json.dumps(theirs, ensure_ascii=False)[:1000],
        )


def known_record_matches(ex: Exchange) -> None:
    """The known message's record, when a message-status answer for it found it."""
    known = ex.target.known
    if known is None or ex.operation != spec.STATUS:
        return
    if ex.query.params().get("messageId", "").strip(oracle.ALL_BLANKS) != known.message_id:
        return
    data = parsed_body(ex.reply)
    if not isinstance(data, Mapping) or data.get("success") is not True:
        return
    expected = dict(known.record or {"messageId": known.message_id})
    number = data.get("number", "")
    if not oracle.same_number(str(number), known.phone_number):
        raise ContractViolation(
            "Another message was answered",
            ex.reply,
            f"number {number!r}",
            f"a form of {known.phone_number!r}",
        )
    fields_equal(ex.reply, data, expected)


CHECKS: dict[str, Callable[[Exchange], None]] = {
    check.__name__: check
    for check in (
        no_server_error,
        content_type_matches_format,
        body_conforms_to_schema,
        error_code_documented,
        control_code_matches_request,
        json_keys_in_documented_order,
        xml_entries_in_documented_form,
        formats_agree,
        known_record_matches,
    )
}


def run_checks(ex: Exchange) -> None:
    """Run every check of CHECKS on one exchange: the first violation of the documented
    contract is raised at once; a departure from assumptions once every check has run."""
    departures = Departures()
    for check in CHECKS.values():
        departures.run(lambda check=check: check(ex))  # type: ignore[misc]
    departures.settle()


DOCUMENTED_FORMATS = ("json", "xml", "JSON", "XML")


def phone_forms_agree(replies: Mapping[str, Reply], ignore: Iterable[str] = ()) -> None:
    """Every documented phone form found the same message with the same body (but for the
    fields named in ignore)."""
    if not replies:
        return
    skipped = set(ignore)
    answers = {
        form: {k: v for k, v in body.items() if k not in skipped}
        if isinstance(body, Mapping)
        else body
        for form, body in ((f, parsed_body(r)) for f, r in replies.items())
    }
    first_form, first = next(iter(answers.items()))
    for form, body in answers.items():
        if body != first:
            raise ContractViolation(
                f"Phone form {form!r} answers differently from {first_form!r}",
                replies[form],
                json.dumps(body, ensure_ascii=False),
                json.dumps(first, ensure_ascii=False),
            )


@dataclass(frozen=True)
class Expectation:
    """What a scenario says about one reply (see schemas/fixture-file.schema.json)."""

    status: int | None = None
    media_type: str | None = None
    schema: str | None = None
    code: int | None = None
    body: Mapping[str, Any] | None = None
    matches: Mapping[str, Any] | None = None
    raw: str | None = None
    operation: str | None = None  # None: the operation the reply answers
    headers: Mapping[str, str] | None = None
    parses: bool = True
    failure: str | None = None


def _status_met(reply: Reply, expect: Expectation) -> None:
    """The expected status; for an error body, the other status 'error-http-status' allows
    (200, or the code's own http_status) is a departure from that assumption."""
    assert expect.status is not None
    try:
        status_is(reply, expect.status)
    except ContractViolation as violation:
        operation = expect.operation or reply.operation
        codes = spec.control_codes(operation) if operation else {}
        row = codes.get(expect.code) if expect.code is not None else None
        if row is None or row.success or reply.status not in (200, row.http_status):
            raise
        raise Departure.of(violation, ["error-http-status"]) from violation


def expectation_met(
    reply: Reply,
    expect: Expectation,
    lang: str | None,
    assumed: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Run every part of a scenario's expectation against the reply.

    assumed names the parts that rest on assumptions ({part: [ids]}: 'status', 'media_type',
    'headers', 'parses', 'raw', 'schema', 'code', 'body', 'matches'); a failure of such a
    part is a Departure, raised once the documented parts have all passed.
    """
    resting = assumed or {}
    departures = Departures()

    def part(name: str, check: Callable[[], None]) -> None:
        departures.run(check, resting.get(name, ()))

    part("status", lambda: _status_met(reply, expect))
    if expect.media_type:
        part("media_type", lambda: media_type_is(reply, expect.media_type or ""))
    if expect.headers:
        part("headers", lambda: headers_equal(reply, expect.headers or {}))
    if not expect.parses:
        part("parses", lambda: does_not_parse(reply))
    if expect.raw is not None:
        part("raw", lambda: raw_is(reply, expect.raw or ""))
    if expect.schema is None and expect.code is None and expect.body is None and not expect.matches:
        departures.settle()
        return
    data = parsed_body(reply)
    if expect.schema:
        part("schema", lambda: conforms(reply, data, expect.schema or ""))
    if expect.code is not None:
        code = expect.code

        def code_met() -> None:
            operation = _documented(reply, expect.operation or reply.operation)
            conforms(reply, data, schema_for(data, operation))
            code_is(reply, data, code, lang, operation)

        part("code", code_met)
    if expect.body:
        part("body", lambda: fields_equal(reply, data, expect.body or {}))
    if expect.matches:
        part("matches", lambda: body_matches(reply, data, expect.matches or {}))
    departures.settle()
