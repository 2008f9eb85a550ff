"""The XML reader's refusals and its reading of single values, in process: the exact
ValueError of each refused document, the depth bound at its edge, and what a scalar's text
decodes to for each JSON type (contract_tests/bodies.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from contract_tests.bodies import MAX_DEPTH, body_schema, decode_xml, operation_at, read_xml
from mock_server.contract import spec

from . import documented


def _nested(levels: int) -> bytes:
    """A <result> holding entries nested so that the document has levels elements in depth."""
    inner = levels - 1
    return b"<result>" + b"<entry>" * inner + b"</entry>" * inner + b"</result>"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<!DOCTYPE result><result/>", "XML with a DOCTYPE (the documented XML has none)"),
        (_nested(MAX_DEPTH + 1), f"XML nested deeper than {MAX_DEPTH} levels"),
        (b"<answer><entry>true</entry></answer>", "XML root is not <result> with <entry> children"),
        (b"<result>true</result>", "XML root is not <result> with <entry> children"),
        (b"<result>", "Malformed XML: no element found: line 1, column 8"),
        (b"<result></answer>", "Malformed XML: mismatched tag: line 1, column 10"),
    ],
    ids=["doctype", "too-deep", "other-root", "text-root", "unclosed", "mismatched"],
)
def test_each_refusal_says_why(raw: bytes, message: str) -> None:
    """Each document the reader refuses raises ValueError with its own reason."""
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        read_xml(raw, "me")


def test_the_depth_bound_admits_its_own_depth() -> None:
    """A document exactly MAX_DEPTH elements deep is read (and judged by its schema)."""
    assert read_xml(_nested(MAX_DEPTH), None).schema == spec.HTTP_ERROR


def test_an_empty_result_and_layout_around_it_read_as_an_empty_body() -> None:
    """<result/> and a <result> holding only layout whitespace are an empty object."""
    assert decode_xml(b"<result/>", "me") == {}
    assert decode_xml(b"<result>\n  \t</result>", "me") == {}


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [("get", "/me", "me"), ("GET", "/me", "me"), ("POST", "/me", None), ("GET", "/you", None)],
)
def test_operation_at(method: str, path: str, operation: str | None) -> None:
    """The operation served at a method (any case) and path, None for any other."""
    assert operation_at(method, path) == operation


@pytest.mark.parametrize(
    ("body", "schema"),
    [
        ({"success": True, "code": 200}, "send.ok"),
        ({"success": "true", "code": 200}, "send.error"),
        ({"success": False, "code": 9}, "send.invalid"),
        ({"success": False, "code": "9"}, "send.error"),
        ({"success": False, "code": 10}, "send.error"),
        ([], "send.error"),
    ],
)
def test_body_schema_reads_success_and_code_by_type(body: Any, schema: str) -> None:
    """Only success true (the boolean) is the ok schema; only the integer code 9 of send
    lists field errors; anything else is the error schema."""
    assert body_schema("send", body) == schema


def _one(entry: str) -> Any:
    """The value the first entry of an http-error body decodes to (its schema says nothing
    of the entry's type, so it is read by its form alone)."""
    return decode_xml(f"<result>{entry}</result>".encode(), None)["success"]


@pytest.mark.parametrize(
    ("entry", "value"),
    [
        ("<entry>true</entry>", True),
        ("<entry>false</entry>", False),
        ("<entry>True</entry>", "True"),
        ("<entry>null</entry>", None),
        ("<entry> 12 </entry>", 12),
        ("<entry>\r12</entry>", 12),
        ("<entry>-0</entry>", 0),
        ("<entry>1.5</entry>", 1.5),
        ("<entry>1e3</entry>", 1000.0),
        ("<entry>2E-1</entry>", 0.2),
        ("<entry>01</entry>", "01"),
        ("<entry>1.</entry>", "1."),
        ("<entry>+1</entry>", "+1"),
        ("<entry>x</entry>", "x"),
        ("<entry></entry>", ""),
        ("<entry><![CDATA[12]]></entry>", "12"),
        ("<entry><![CDATA[true]]></entry>", "true"),
        ("<entry> <![CDATA[a b]]> </entry>", "a b"),
        ("<entry>a<![CDATA[b]]>c</entry>", "abc"),
        ("<entry>&#13;<![CDATA[b]]></entry>", "\rb"),
        ("<entry><entry>1</entry><entry>x</entry></entry>", [1, "x"]),
        ("<entry><a>1</a><b>2</b><a>3</a></entry>", {"a": 1, "b": 2, "a[2]": 3}),
        ("<entry><a>1</a><entry>2</entry></entry>", {"a": 1, "entry": 2}),
    ],
)
def test_an_untyped_entry_reads_by_its_form(entry: str, value: Any) -> None:
    """Bare text is a boolean, a JSON number or null when it is one (layout and a carriage
    return around it ignored), else the text; CDATA is always a string, layout around it
    dropped; children of only <entry> are a list, others an object by tag."""
    got = _one(entry)
    assert got == value and type(got) is type(value)


def test_a_number_too_long_for_int_stays_text() -> None:
    """More digits than int() converts: the text is kept, for validation to report."""
    digits = "9" * 5000
    assert _one(f"<entry>{digits}</entry>") == digits


def test_typed_entries_follow_their_schema() -> None:
    """Where the schema gives a type, the text is read as that type or kept as written:
    message-status's cost is a number, its countryCode a string."""
    raw = documented.status_xml()
    data = decode_xml(raw.encode(), "message-status")
    assert (data["cost"], data["countryCode"], data["stopSms"]) == (0.045, "12", False)
    data = decode_xml(raw.replace("0.045", "cheap").encode(), "message-status")
    assert data["cost"] == "cheap"
