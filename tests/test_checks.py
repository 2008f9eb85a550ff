"""The contract suite's checks added for the lifecycle: each one fails when it should."""

from __future__ import annotations

import pytest

from contract_tests.checks import (
    ContractViolation,
    Expectation,
    body_matches,
    does_not_parse,
    expectation_met,
    headers_equal,
    schema_for,
)
from contract_tests.transport import Reply

JSON = {"content-type": "application/json; charset=utf-8"}


def _reply(raw: bytes, headers: dict[str, str] = JSON) -> Reply:
    return Reply("GET http://mock/v1/x?apiKey=***", 200, headers, raw)


@pytest.mark.parametrize(
    ("data", "pattern", "where"),
    [
        ({"a": [{"b": 1, "c": 2}]}, {"a": [{"b": 2}]}, "$.a[0].b: 1"),
        ({"a": [1, 2]}, {"a": [1]}, "$.a: [1, 2] has not 1 items"),
        ({"a": 1}, {"b": 1}, "$.b: absent"),
        ({"a": "x"}, {"a": {"b": 1}}, "$.a: 'x' is not an object"),
        ({"a": 1}, {"a": True}, "$.a: 1"),
    ],
)
def test_body_matches_names_the_first_difference(data: object, pattern: dict, where: str) -> None:
    """A partial pattern that does not match names the JSON path of the first difference."""
    with pytest.raises(ContractViolation, match="Body does not match") as info:
        body_matches(_reply(b"{}"), data, pattern)
    assert f"Received: {where}" in str(info.value)


def test_body_matches_accepts_a_partial_pattern() -> None:
    """Keys the pattern does not name are ignored; lists match element by element."""
    body_matches(_reply(b"{}"), {"a": [{"b": 1, "c": 2}], "d": 3}, {"a": [{"b": 1}]})


def test_does_not_parse_fails_on_a_valid_body() -> None:
    """A body that parses fails the 'parses: false' expectation, and a broken one passes."""
    with pytest.raises(ContractViolation, match="Body parses although"):
        does_not_parse(_reply(b"{}"))
    does_not_parse(_reply(b"<b>Notice</b>{}"))


def test_headers_equal_names_the_wrong_header() -> None:
    """A header with another value is reported with what was received."""
    with pytest.raises(ContractViolation, match="Headers differ") as info:
        headers_equal(_reply(b"", {"retry-after": "5"}), {"Retry-After": "30"})
    assert "'Retry-After': '5'" in str(info.value)


@pytest.mark.parametrize(
    ("data", "operation", "schema"),
    [
        ({"success": True}, "send", "send.ok"),
        ({"success": False, "code": 9}, "send", "send.invalid"),
        ({"success": False, "code": 10}, "send", "send.error"),
        ([], "me", "me.error"),
        ({"success": True}, "message-status", "message-status.ok"),
    ],
)
def test_schema_for_each_operation(data: object, operation: str, schema: str) -> None:
    """Success, field-error and error bodies of each operation have their own schema."""
    assert schema_for(data, operation) == schema


def test_code_of_another_operation_is_checked_against_its_catalogue() -> None:
    """A send answer with code 10 and the send catalogue's text meets 'code 10, send'."""
    raw = b'{"success":false,"code":10,"message":"Clef API incorrecte"}'
    expectation_met(_reply(raw), Expectation(status=200, code=10, operation="send"), "fr")
    wrong = Expectation(status=200, code=10, operation="message-status")
    with pytest.raises(ContractViolation, match="Wrong control code"):
        expectation_met(_reply(raw), wrong, "fr")
