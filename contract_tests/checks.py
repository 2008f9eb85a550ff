"""Checks: flat functions over one reply, each raising ContractViolation with a
'Received: … / Expected: …' message that names the request (API key redacted).

    AssertionError
     └── ContractViolation   a target departed from the documented contract
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server import spec

from .transport import Reply


class ContractViolation(AssertionError):
    """A reply that breaks the documented contract."""

    def __init__(self, title: str, reply: Reply, received: Any, expected: Any) -> None:
        self.title = title
        super().__init__(
            f"{title}\n  Request: {reply.request}\n  Received: {received}\n  Expected: {expected}"
        )


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


def schema_for(data: Any, operation: str = spec.STATUS) -> str:
    """The body schema a decoded body must satisfy: success or error, by its 'success'.

    An error whose code lists field errors (send's code 9) has its own '.invalid' schema.
    """
    success = data.get("success") if isinstance(data, Mapping) else None
    if operation == spec.STATUS:
        return spec.OK if success is True else spec.ERROR
    if success is True:
        return f"{operation}.ok"
    code = spec.control_codes(operation).get(data.get("code") if isinstance(data, Mapping) else 0)
    return f"{operation}.invalid" if code and code.shape == "errors" else f"{operation}.error"


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
class Expectation:
    """What a scenario says about one reply (see schemas/fixture-file.schema.json)."""

    status: int | None = None
    media_type: str | None = None
    schema: str | None = None
    code: int | None = None
    body: Mapping[str, Any] | None = None
    matches: Mapping[str, Any] | None = None
    raw: str | None = None
    operation: str = spec.STATUS
    headers: Mapping[str, str] | None = None
    parses: bool = True
    failure: str | None = None


Check = Callable[[Reply, Expectation, "str | None"], None]


def expectation_met(reply: Reply, expect: Expectation, lang: str | None) -> None:
    """Run every part of a scenario's expectation against the reply."""
    assert expect.status is not None
    status_is(reply, expect.status)
    if expect.media_type:
        media_type_is(reply, expect.media_type)
    if expect.headers:
        headers_equal(reply, expect.headers)
    if not expect.parses:
        does_not_parse(reply)
    if expect.raw is not None:
        raw_is(reply, expect.raw)
    if expect.schema is None and expect.code is None and expect.body is None and not expect.matches:
        return
    data = parsed_body(reply)
    if expect.schema:
        conforms(reply, data, expect.schema)
    if expect.code is not None:
        conforms(reply, data, schema_for(data, expect.operation))
        code_is(reply, data, expect.code, lang, expect.operation)
    if expect.body:
        fields_equal(reply, data, expect.body)
    if expect.matches:
        body_matches(reply, data, expect.matches)
