"""Rendering: JSON key order, escaping in XML, refusal of invalid bodies.

The XML round trip over every body schema is in test_bodies.py."""

from __future__ import annotations

import json

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
