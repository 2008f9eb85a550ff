"""How the XML reader names, types and records every value of a body, stated in full for
small documents: the data read_xml returns and each Leaf (path, value, text as written,
whether in CDATA, whether the schema wants plain text), which the form check reads
(contract_tests/bodies.py)."""

from __future__ import annotations

import contextlib
import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests.bodies import (
    MAX_PLACEMENTS,
    Leaf,
    _Element,
    _merge,
    _value,
    decode_xml,
    read_xml,
)
from mock_server.contract import spec


def _entries(*items: str) -> str:
    return "".join(f"<entry>{item}</entry>" for item in items)


def _result(*items: str) -> bytes:
    return f"<result>{_entries(*items)}</result>".encode()


def _leaves(raw: bytes, operation: str | None) -> list[tuple[Any, ...]]:
    return [
        (leaf.path, leaf.value, leaf.text, leaf.in_cdata, leaf.plain)
        for leaf in read_xml(raw, operation).leaves
    ]


def test_named_children_take_their_names_and_types_from_the_schema() -> None:
    """me's user: a known child is read by its schema (a bare 12 in a string field is the
    string '12', recorded as written), a repeated or unknown one by its form under its tag
    (with its position when repeated), and neither leaves a Leaf."""
    user = (
        "<username>12</username><x>1</x><username><![CDATA[b]]></username>"
        "<lastname><![CDATA[L]]></lastname>"
    )
    raw = _result("true", "200", user, _entries("1"))
    body = read_xml(raw, "me")
    assert body.schema == "me.ok"
    assert body.data == {
        "success": True,
        "code": 200,
        "user": {"username": "12", "x": 1, "username[2]": "b", "lastname": "L"},
        "credits": {"creditSms": 1},
    }
    assert type(body.data["user"]["username"]) is str
    assert body.leaves == (
        Leaf("success", True, "true", False, False),
        Leaf("code", 200, "200", False, False),
        Leaf("user.username", "12", "12", False, False),
        Leaf("user.lastname", "L", "L", True, False),
        Leaf("credits.creditSms", 1, "1", False, False),
    )


def test_a_list_of_alternatives_reads_each_item_by_the_one_it_fits() -> None:
    """multi-status: a found entry and a not-found one; a string enum written bare is still
    the string ('1', not 1), and CDATA makes a messageId the string '7'."""
    found = _entries(
        "true",
        "200",
        "<![CDATA[+33600000000]]>",
        "300000",
        "<![CDATA[Delivered]]>",
        "<![CDATA[1]]>",
        "1",
        "<![CDATA[0]]>",
    )
    missing = _entries("false", "4", "<![CDATA[06]]>", "<![CDATA[7]]>", "<![CDATA[ko]]>")
    raw = _result("true", "200", _entries(found, missing))
    body = read_xml(raw, "multi-status")
    assert body.data == {
        "success": True,
        "code": 200,
        "StatutResponse_List": [
            {
                "success": True,
                "code": 200,
                "phoneNumber": "+33600000000",
                "messageId": 300000,
                "status": "Delivered",
                "date": "1",
                "stopSms": "1",
                "isSpam": "0",
            },
            {"success": False, "code": 4, "phoneNumber": "06", "messageId": "7", "status": "ko"},
        ],
    }
    first, second = "StatutResponse_List[0]", "StatutResponse_List[1]"
    assert _leaves(raw, "multi-status") == [
        ("success", True, "true", False, False),
        ("code", 200, "200", False, False),
        (f"{first}.success", True, "true", False, False),
        (f"{first}.code", 200, "200", False, False),
        (f"{first}.phoneNumber", "+33600000000", "+33600000000", True, False),
        (f"{first}.messageId", 300000, "300000", False, False),
        (f"{first}.status", "Delivered", "Delivered", True, False),
        (f"{first}.date", "1", "1", True, False),
        (f"{first}.stopSms", "1", "1", False, False),
        (f"{first}.isSpam", "0", "0", True, False),
        (f"{second}.success", False, "false", False, False),
        (f"{second}.code", 4, "4", False, False),
        (f"{second}.phoneNumber", "06", "06", True, False),
        (f"{second}.messageId", "7", "7", True, False),
        (f"{second}.status", "ko", "ko", True, False),
    ]


def test_an_error_message_is_plain_text_and_its_leaf_says_so() -> None:
    raw = _result("false", "4", "Message introuvable")
    assert _leaves(raw, "message-status") == [
        ("success", False, "false", False, False),
        ("code", 4, "4", False, False),
        ("message", "Message introuvable", "Message introuvable", False, True),
    ]
    assert all(leaf.documented_form for leaf in read_xml(raw, "message-status").leaves)


@pytest.mark.parametrize(
    ("leaf", "documented"),
    [
        (Leaf("a", "x", "x", True, False), True),
        (Leaf("a", "x", "x", False, False), False),
        (Leaf("a", "x", "x", False, True), True),
        (Leaf("a", "x", "x", True, True), False),
        (Leaf("a", 1, "1", False, False), True),
        (Leaf("a", 1, "1", True, False), False),
        (Leaf("a", True, "true", False, True), True),
        (Leaf("a", None, "null", True, True), False),
    ],
)
def test_documented_form(leaf: Leaf, documented: bool) -> None:
    """Strings in CDATA, or bare where the schema wants plain text; anything else bare."""
    assert leaf.documented_form is documented


def test_surplus_entries_and_other_tags_keep_their_position() -> None:
    """Entries beyond the schema's fields, and children that are no <entry>, are kept under
    their position for validation to report; they leave no Leaf."""
    fr = "Message introuvable"
    raw = f"<result>{_entries('false', '4', fr, '9')}<x>1</x><entry>2</entry></result>".encode()
    body = read_xml(raw, "message-status")
    assert body.data == {
        "success": False,
        "code": 4,
        "message": fr,
        "entry[3]": 9,
        "x[4]": 1,
        "entry[5]": 2,
    }
    assert [leaf.path for leaf in body.leaves] == ["success", "code", "message"]


def test_a_list_or_object_written_as_text_is_kept_as_the_text() -> None:
    """Text where the schema has an object or a list is returned as written (validation
    reports it), with no Leaf."""
    me = read_xml(_result("true", "200", "<![CDATA[ada]]>", "credits"), "me")
    assert me.data == {"success": True, "code": 200, "user": "ada", "credits": "credits"}
    assert [leaf.path for leaf in me.leaves] == ["success", "code"]
    listed = read_xml(_result("true", "200", "none"), "multi-status")
    assert listed.data == {"success": True, "code": 200, "StatutResponse_List": "none"}


def test_an_empty_object_or_list_entry_reads_as_empty() -> None:
    """An entry holding only layout is an empty object or list, not text."""
    assert decode_xml(_result("true", "200", "\n  ", "\t"), "me") == {
        "success": True,
        "code": 200,
        "user": {},
        "credits": {},
    }
    assert decode_xml(_result("true", "200", " "), "multi-status") == {
        "success": True,
        "code": 200,
        "StatutResponse_List": [],
    }


def test_children_where_a_scalar_is_documented_are_read_by_their_form() -> None:
    raw = _result("true", _entries("1", "2"))
    body = read_xml(raw, "me")
    assert body.data == {"success": True, "code": [1, 2]}
    assert [leaf.path for leaf in body.leaves] == ["success"]


def test_the_earliest_of_two_indistinguishable_fields_names_the_entry() -> None:
    """send's code 9 lists its field errors under 'errors' (the schema's earlier name), each
    item an object of two strings."""
    item = _entries("<![CDATA[message]]>", "<![CDATA[requis]]>")
    raw = _result("false", "9", _entries(item))
    body = read_xml(raw, "send")
    assert body.schema == "send.invalid"
    assert body.data == {
        "success": False,
        "code": 9,
        "errors": [{"elementId": "message", "message": "requis"}],
    }
    assert _leaves(raw, "send")[2:] == [
        ("errors[0].elementId", "message", "message", True, False),
        ("errors[0].message", "requis", "requis", True, False),
    ]


# An answer schema of shapes the bundled contract has not: two optional fields of different
# types at the same place, so that the XML can be named two ways.
TWO_WAYS = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"count": {"type": "integer"}, "label": {"type": "string"}},
    "additionalProperties": False,
}


@contextlib.contextmanager
def _answers_read_by(schema: dict[str, Any], tmp_path: Path) -> Iterator[None]:
    """The http-error schema (what an answer outside every operation is read by) replaced."""
    shutil.copytree(spec.SCHEMA_DIR, tmp_path / "schemas")
    (tmp_path / "schemas" / "http-error.schema.json").write_text(json.dumps(schema))
    with spec.use_contract(schemas=tmp_path / "schemas"):
        yield


@pytest.fixture
def two_ways(tmp_path: Path) -> Iterator[None]:
    with _answers_read_by(TWO_WAYS, tmp_path):
        yield


@pytest.mark.usefixtures("two_ways")
@pytest.mark.parametrize(
    ("entry", "data", "documented"),
    [
        ("7", {"count": 7}, True),
        ("<![CDATA[x]]>", {"label": "x"}, True),
        ("x", {"label": "x"}, False),
        ("<![CDATA[7]]>", {"label": "7"}, True),
    ],
    ids=["number", "string", "bare-string", "string-of-digits"],
)
def test_an_entry_takes_the_first_name_it_is_valid_under(
    entry: str, data: dict[str, Any], documented: bool
) -> None:
    """The earliest naming that is valid and in documented form wins; else the earliest
    valid one (a bare x is a label written without CDATA, not an invalid count)."""
    body = read_xml(_result(entry), None)
    assert body.data == data
    assert [leaf.documented_form for leaf in body.leaves] == [documented]


def test_a_list_of_one_schema_per_position_reads_the_rest_by_additional_items(
    tmp_path: Path,
) -> None:
    """items as a list types each position (here a string: CDATA 5 is "5"); entries past it
    take additionalItems (here an integer: CDATA 5 reads as 5, recorded in CDATA), or none
    (read by form: the string)."""
    pair: dict[str, Any] = {"type": "array", "items": [{"type": "string"}]}
    schema = {"type": "object", "properties": {"pair": pair}}
    raw = _result(_entries("<![CDATA[5]]>", "<![CDATA[5]]>"))
    with _answers_read_by(schema, tmp_path / "bare"):
        assert decode_xml(raw, None) == {"pair": ["5", "5"]}
    pair["additionalItems"] = {"type": "integer"}
    with _answers_read_by(schema, tmp_path / "typed"):
        assert _leaves(raw, None) == [
            ("pair[0]", "5", "5", True, False),
            ("pair[1]", 5, "5", True, False),
        ]


def test_all_of_parts_add_up_their_properties_and_required_fields() -> None:
    """An allOf folds into one node: properties of both parts, each required name once, in
    order; any other keyword is the later part's."""
    base = {"type": "object", "required": ["a", "b"], "properties": {"a": {}, "b": {}}}
    branch = {"required": ["b", "c"], "properties": {"c": {"type": "string"}}, "title": "t"}
    assert _merge(base, branch) == {
        "type": "object",
        "required": ["a", "b", "c"],
        "properties": {"a": {}, "b": {}, "c": {"type": "string"}},
        "title": "t",
    }
    assert _merge({"required": ["a"]}, {"properties": {"b": {}}}) == {
        "required": ["a"],
        "properties": {"b": {}},
    }
    assert _merge({"properties": {"a": {}}}, {"required": ["b"]}) == {
        "properties": {"a": {}},
        "required": ["b"],
    }


def _element(text: str, cdata: bool = False) -> Any:
    element = _Element("entry", cdata=cdata)
    element.add(text, cdata)
    return element


@pytest.mark.parametrize(
    ("options", "text", "cdata", "read"),
    [
        # a constant fits when written as the document writes it: true, false, 1
        ([True, "true"], "true", False, True),
        ([True, "true"], "true", True, "true"),
        ([False, "false"], "false", False, False),
        ([1, "1"], "1", False, 1),
        ([1, "1"], "1", True, "1"),
        ([1], " 1 ", False, 1),
        # only layout is stripped: a no-break space keeps the text from naming the option
        ([1], "\u00a01", False, "\u00a01"),
    ],
)
def test_an_enumerated_value_is_read_as_the_option_its_form_names(
    options: list[Any], text: str, cdata: bool, read: Any
) -> None:
    value = _value(_element(text, cdata), {"enum": options}, plain=False)
    assert value == read and type(value) is type(read)


def test_a_constant_is_read_as_the_constant_even_in_cdata() -> None:
    """{"const": 1} with no type: "1" in CDATA is still the number the schema fixes."""
    value = _value(_element("1", cdata=True), {"const": 1}, plain=False)
    assert value == 1 and type(value) is int


# Schema shapes the bundled contract has not, which a user's contract directory may have
# (spec.use_contract): the reader walks them as JSON Schema means them.


def _read_by(schema: dict[str, Any], raw: bytes, tmp_path: Path) -> Any:
    with _answers_read_by({"$schema": TWO_WAYS["$schema"], **schema}, tmp_path):
        return read_xml(raw, None)


def test_all_of_parts_and_escaped_refs_are_resolved_while_reading(tmp_path: Path) -> None:
    """An allOf's parts give the fields their names; a $ref's ~1 and ~0 stand for / and ~."""
    schema = {
        "definitions": {"a/b": {"type": "integer"}, "c~d": {"type": "string"}},
        "type": "object",
        "allOf": [
            {"properties": {"n": {"$ref": "#/definitions/a~1b"}}},
            {"properties": {"s": {"$ref": "#/definitions/c~0d"}}, "required": ["n", "s"]},
        ],
    }
    body = _read_by(schema, _result("5", "<![CDATA[5]]>"), tmp_path)
    assert body.data == {"n": 5, "s": "5"}
    assert [(leaf.path, leaf.value) for leaf in body.leaves] == [("n", 5), ("s", "5")]


def test_a_true_schema_reads_its_entry_by_its_form(tmp_path: Path) -> None:
    """A field whose schema is `true` (anything goes) is read as the XML writes it."""
    schema = {"type": "object", "properties": {"any": True}}
    assert _read_by(schema, _result("true"), tmp_path).data == {"any": True}


def test_one_of_and_a_list_of_types_offer_their_alternatives(tmp_path: Path) -> None:
    """oneOf, like anyOf, and a list of types: each entry takes the first alternative it is
    valid under (a bare true is the string 'true' where only a string or integer fits)."""
    schema = {
        "type": "object",
        "properties": {
            "v": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "w": {"type": ["integer", "null"]},
            "x": {"type": ["integer", "null"]},
        },
    }
    body = _read_by(schema, _result("true", "null", "5"), tmp_path)
    assert body.data == {"v": "true", "w": None, "x": 5}


def test_a_fields_kind_is_its_type_or_else_its_properties_or_items(tmp_path: Path) -> None:
    """An object with no properties keeps its entries by position; an untyped field with
    properties is an object, with items a list, each read by its schema."""
    schema = {
        "type": "object",
        "properties": {
            "bare": {"type": "object"},
            "o": {"properties": {"a": {"type": "string"}}},
            "l": {"items": {"type": "string"}},
        },
    }
    raw = _result(*(_entries("5"),) * 3)
    assert _read_by(schema, raw, tmp_path).data == {
        "bare": {"entry[0]": 5},
        "o": {"a": "5"},
        "l": ["5"],
    }


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (" 5\n\t", 5),  # XML layout around a bare value is not part of it
        ("\u00a05", "\u00a05"),  # a no-break space is not layout
        ("5X", "5X"),
        ("null", "null"),  # null is no integer
    ],
)
def test_only_layout_around_a_number_is_ignored(text: str, read: Any) -> None:
    """An integer field's text is the number when, layout aside, it is one; otherwise it is
    kept as written, for validation to report."""
    assert _value(_element(text), {"type": "integer"}, plain=False) == read


def test_past_max_placements_the_reader_keeps_the_first_naming(tmp_path: Path) -> None:
    """Three entries under six optional fields can be named in 20 ways; only the last fits
    (three strings). The reader tries MAX_PLACEMENTS ways, then keeps the first, which
    validation reports: a document's cost is bounded, whatever its schema."""
    names = ["i1", "i2", "i3", "s1", "s2", "s3"]
    assert math.comb(len(names), 3) > MAX_PLACEMENTS
    properties = {name: {"type": "integer" if name[0] == "i" else "string"} for name in names}
    raw = _result("<![CDATA[a]]>", "<![CDATA[b]]>", "<![CDATA[c]]>")
    body = _read_by({"type": "object", "properties": properties}, raw, tmp_path)
    assert body.data == {"i1": "a", "i2": "b", "i3": "c"}
