"""Rendering: JSON key order, escaping in XML, refusal of invalid bodies.

The XML round trip over every body schema is in test_bodies.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from contract_tests.transport import decode_xml
from mock_server._http import rendering
from mock_server.contract import spec
from mock_server.errors import BodyViolation


@pytest.mark.parametrize("name", [spec.OK, spec.ERROR])
@given(data=st.data())
def test_json_round_trip_keeps_schema_order(name: str, data: st.DataObject) -> None:
    """The JSON keys come out in the schema's property order, whatever order they came in."""
    body = data.draw(from_schema(spec.schema(name)))
    rendered = json.loads(rendering.render(name, dict(reversed(body.items())), "json"))
    assert rendered == body
    assert list(rendered) == [k for k in spec.field_order(name) if k in body]


def test_cdata_terminator_inside_a_string_is_split() -> None:
    """']]>' inside a string cannot end the CDATA section early."""
    body = {"success": False, "code": 405, "message": "a]]>b"}
    raw = rendering.render(spec.HTTP_ERROR, body, "xml")
    assert b"<entry>a]]&gt;b</entry>" in raw
    ok = {**spec.constants(spec.OK), "number": "1]]>2"}
    assert rendering._xml(spec.OK, ok).count("<![CDATA[") == 2


def _invalid(text: str) -> dict[str, Any]:
    """A send.invalid body whose one error message (a CDATA string) is text."""
    return {"success": False, "code": 9, "errors": [{"elementId": "message", "message": text}]}


@pytest.mark.parametrize(
    "text", ["a]]>b", "]]>", "]]>]]>", "a\rb", "\r", "\r\n", "]]>\r]]>", "]]", "]>", "x]"]
)
def test_cdata_round_trip(text: str) -> None:
    """A string in CDATA (and one in plain text) reads back exactly, whatever ']]>' and
    carriage returns it holds."""
    raw = rendering.render("send.invalid", _invalid(text), "xml")
    assert decode_xml(raw, "send")["errors"][0]["message"] == text
    error = {**spec.constants(spec.ERROR), "code": 1, "message": text}
    assert decode_xml(rendering.render(spec.ERROR, error, "xml"), spec.STATUS)["message"] == text


def test_cdata_split_bytes() -> None:
    """']]>' closes one section after ']]' and opens the next on '>'; '\\r' is a reference
    between two sections."""
    raw = rendering.render("send.invalid", _invalid("a]]>b\rc"), "xml")
    assert b"\n      <entry><![CDATA[a]]]]><![CDATA[>b]]>&#13;<![CDATA[c]]></entry>\n" in raw


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_undocumented_payload_keys_are_refused(fmt: str) -> None:
    """A payload key its schema does not list is a mock bug, refused, never dropped."""
    body = {**spec.constants(spec.ERROR), "code": 1, "message": "x", "extra": 1}
    with pytest.raises(BodyViolation, match="extra"):
        rendering.render(spec.ERROR, body, fmt)


def test_lists_nest_entries_under_a_named_field_too() -> None:
    """Objects under an x-xml 'named' field are named by their keys; list items are <entry>
    elements under any field, one indent deeper per level."""
    lines = rendering._element("entry", {"a": [1, {"b": 2}]}, False, True, 1)
    assert lines == [
        "  <entry>",
        "    <a>",
        "      <entry>1</entry>",
        "      <entry>",
        "        <entry>2</entry>",
        "      </entry>",
        "    </a>",
        "  </entry>",
    ]
    assert rendering._element("entry", [1], False, True, 0) == [
        "<entry>",
        "  <entry>1</entry>",
        "</entry>",
    ]


def test_json_is_ascii_by_default() -> None:
    """The JSON is compact and ASCII (assumption 'json-encoding'): other characters are
    \\u escapes, those outside the BMP as surrogate pairs."""
    body = {**spec.constants(spec.ERROR), "code": 1, "message": "é \U0001f600"}
    raw = rendering.render(spec.ERROR, body, "json")
    assert raw == b'{"success":false,"code":1,"message":"\\u00e9 \\ud83d\\ude00"}'


def test_characters_xml_cannot_carry_are_replaced() -> None:
    """A control character becomes U+FFFD, so the XML stays well-formed."""
    body = {"success": False, "code": 405, "message": "a\x01b"}
    assert decode_xml(rendering.render(spec.HTTP_ERROR, body, "xml"), None)["message"] == "a\ufffdb"


def test_carriage_returns_survive() -> None:
    """A carriage return is escaped, in plain text and in CDATA: parsers read a raw one as \\n."""
    plain = rendering.render(
        spec.HTTP_ERROR, {"success": False, "code": 405, "message": "a\rb"}, "xml"
    )
    assert decode_xml(plain, None)["message"] == "a\rb"
    cdata = rendering._xml(spec.OK, {"success": True, "code": 200, "number": "1\r2"})
    assert "\r" not in cdata
    assert decode_xml(cdata.encode(), spec.STATUS)["number"] == "1\r2"


def test_invalid_body_is_refused() -> None:
    """A body that breaks its schema raises BodyViolation instead of being sent."""
    with pytest.raises(BodyViolation, match=r"violates message-status.error at \$.code: 99"):
        rendering.render(spec.ERROR, {"success": False, "code": 99, "message": "x"}, "json")


def test_pretty_json_option(monkeypatch: pytest.MonkeyPatch) -> None:
    """The json-encoding assumption drives separators and escaping."""
    monkeypatch.setattr(
        spec, "assumed", lambda key: {"compact": False, "ascii": False} if key else None
    )
    assert rendering._json({"a": "é", "b": 1}) == '{"a": "é", "b": 1}'
