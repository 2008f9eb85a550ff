"""Small pure pieces: phone canonicalisation, dates, query parsing, redaction."""

from __future__ import annotations

import json

import pytest

from mock_server import redaction
from mock_server._domain import dates, phones, values
from mock_server._http import query


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0600000000", "+33600000000"),
        ("+33600000000", "+33600000000"),
        (" 33600000000", "+33600000000"),
        ("0033600000000", "+33600000000"),
        ("00212620123456", "+212620123456"),
        ("+212620123456", "+212620123456"),
        (" 0600000000 ", "+33600000000"),
        ("06 00 00 00 00", "06 00 00 00 00"),
        ("abc", "abc"),
        ("", ""),
    ],
)
def test_canonical_phone_numbers(raw: str, expected: str) -> None:
    """Every documented form of a number maps to its E.164 form; others pass through."""
    assert phones.canonical(raw) == expected


@pytest.mark.parametrize(
    ("stored", "date_format", "expected"),
    [
        ("2015-02-07 22:39:46", "docs", "2015-02-07 22:39:46"),
        ("2015-02-07 22:39:46", "epoch", "1423345186"),
        ("1534615206", "epoch", "1534615206"),
        ("1534615206", "docs", "2018-08-18 20:00:06"),
    ],
)
def test_date_forms(stored: str, date_format: str, expected: str) -> None:
    """Dates convert between the docs' Paris local time and epoch seconds."""
    assert dates.render(stored, date_format) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a=1&b=2", {"a": "1", "b": "2"}),
        ("a=1&a=2", {"a": "2"}),
        ("a=%zz", {"a": "%zz"}),
        ("a=+33", {"a": " 33"}),
        ("a=%2B33", {"a": "+33"}),
        ("a=%FF", {"a": "\ufffd"}),
        ("a&&b=", {"a": "", "b": ""}),
        ("", {}),
    ],
)
def test_query_parsing(raw: str, expected: dict[str, str]) -> None:
    """Queries decode like PHP: '+' is a space, bad escapes stay, last value wins."""
    assert query.parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/v1/x?apiKey=secret&b=1", "/v1/x?apiKey=***&b=1"),
        ("apikey=secret", "apikey=***"),
        ("a=1&api_key=s3&API_KEY=s4", "a=1&api_key=***&API_KEY=***"),
        ("messageId=1", "messageId=1"),
    ],
)
def test_query_redaction(raw: str, expected: str) -> None:
    """Every API-key parameter value is replaced, whatever its spelling."""
    assert redaction.redact_query(raw) == expected


def test_mapping_and_text_redaction() -> None:
    """Nested API-key fields and known secrets in free text are replaced."""
    data = {"apiKey": "s", "list": [{"api_key": "t", "x": 1}], "n": 2}
    assert redaction.redact_mapping(data) == {
        "apiKey": "***",
        "list": [{"api_key": "***", "x": 1}],
        "n": 2,
    }
    assert redaction.redact_text("key sk and sk2", ["sk", "sk2", ""]) == "key *** and ***"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("192.0.2.1", False), ("example.org", False)],
)  # fmt: skip
def test_loopback_hosts(host: str, loopback: bool) -> None:
    """Only loopback addresses and 'localhost' count as loopback."""
    from mock_server.settings import is_loopback

    assert is_loopback(host) is loopback


def test_journal_bodies_are_bounded_and_redacted() -> None:
    """A large body is kept as cut text; a key in it is redacted even when cut."""
    big = json.dumps({"apiKey": "SeCrEt", "message": "x" * 20000}).encode()
    kept = redaction.redact_body(big)
    assert isinstance(kept, str) and kept.endswith("x…") and len(kept) < 2010
    assert "SeCrEt" not in kept
    assert redaction.redact_body(b"apiKey=SeCrEt&x=1") == "apiKey=***&x=1"
    assert redaction.redact_body(b'{"api_key": 12345, "a": 1') == '{"api_key": "***", "a": 1'


def test_text_of_json_values() -> None:
    """Strings and numbers are read as text; booleans, lists and null are empty."""
    assert [values.text(v) for v in ("a", 7, 1.5, True, None, [1])] == [
        "a", "7", "1.5", "", "", ""
    ]  # fmt: skip


def test_secret_values_are_found_at_any_depth() -> None:
    """API-key values are collected from nested objects and lists, as text; blanks are not."""
    data = {"apiKey": "a", "list": [{"api_key": 7}, {"APIKEY": ""}, "x"], "other": "b"}
    assert redaction.secret_values(data) == {"a", "7"}
