"""What the positional XML shows of a body (bodies.xml_view), stated in full for known
bodies, and where bodies.misordered finds keys out of order: formats_agree compares two
views, so a view that dropped a value, a type or a name would let two different answers
agree (contract_tests/bodies.py)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests.bodies import misordered, xml_view
from mock_server.contract import spec

ME = {
    "success": True,
    "code": 200,
    "user": {"username": "ada", "lastname": "L"},
    "credits": {
        "creditSms": 1,
        "creditSmsLowCost": 2,
        "creditHlr": 0,
        "toSend": 0,
        "solde": "1.000",
        "currency": "EUR",
        "balance": "1.500",
    },
}


def test_the_view_of_an_object_with_named_children() -> None:
    """Anonymous entries show values and types in order; named children (me's user) their
    names too."""
    assert xml_view(ME, "me.ok") == (
        "entries",
        (
            ("bool", True),
            ("int", 200),
            ("named", (("username", ("str", "ada")), ("lastname", ("str", "L")))),
            (
                "entries",
                (
                    ("int", 1),
                    ("int", 2),
                    ("int", 0),
                    ("int", 0),
                    ("str", "1.000"),
                    ("str", "EUR"),
                    ("str", "1.500"),
                ),
            ),
        ),
    )


def test_indistinguishable_names_have_one_view_and_named_children_do_not() -> None:
    """creditSmsECO and creditSmsLowCost sit at the same place in the XML: one view. The
    user's children are named in the XML: another name is another view."""
    eco = {
        **ME,
        "credits": {
            ("creditSmsECO" if k == "creditSmsLowCost" else k): v for k, v in ME["credits"].items()
        },
    }
    assert xml_view(eco, "me.ok") == xml_view(ME, "me.ok")
    renamed = {**ME, "user": {"username": "ada", "firstname": "L"}}
    assert xml_view(renamed, "me.ok") != xml_view(ME, "me.ok")


def test_the_view_of_a_list_of_alternatives() -> None:
    """Each list item is viewed by the alternative it satisfies; an integer and a string
    messageId differ."""
    body = {
        "success": True,
        "code": 200,
        "StatutResponse_List": [
            {"success": False, "code": 4, "phoneNumber": "06", "messageId": "abc", "status": "ko"},
            {"success": False, "code": 4, "phoneNumber": "06", "messageId": 12, "status": "ko"},
        ],
    }
    found = ("bool", False), ("int", 4), ("str", "06")
    assert xml_view(body, "multi-status.ok") == (
        "entries",
        (
            ("bool", True),
            ("int", 200),
            (
                "list",
                (
                    ("entries", (*found, ("str", "abc"), ("str", "ko"))),
                    ("entries", (*found, ("int", 12), ("str", "ko"))),
                ),
            ),
        ),
    )


@pytest.mark.parametrize(
    ("body", "view"),
    [
        (
            {"extra": [1, {"a": None}], "success": 1.5},
            (
                "entries",
                (("list", (("int", 1), ("entries", (("NoneType", None),)))), ("float", 1.5)),
            ),
        ),
        (
            {"user": {"other": [True]}},
            ("entries", (("named", (("other", ("list", (("bool", True),))),)),)),
        ),
        ([], ("list", ())),
        ("text", ("str", "text")),
    ],
    ids=["unknown-keys", "unknown-named-child", "list-root", "scalar-root"],
)
def test_what_the_schema_does_not_name_is_viewed_by_its_form(body: Any, view: Any) -> None:
    """Keys the schema does not list, and bodies that are no object, still show their values
    and types (validation reports them; the view must not hide them)."""
    assert xml_view(body, "me.ok") == view


def test_misordered_names_the_root_as_dollar_and_passes_an_ordered_body() -> None:
    assert misordered(ME, "me.ok") is None
    swapped = {"code": 200, "success": True, "user": ME["user"], "credits": ME["credits"]}
    order = ["success", "code", "user", "credits"]
    assert misordered(swapped, "me.ok") == ("$", ["code", "success", "user", "credits"], order)


def test_misordered_reads_only_the_keys_its_schema_lists() -> None:
    """Unknown keys are left to validation: they neither break the order nor are walked."""
    extra = {"zzz": {"b": 1, "a": 2}, **ME, "aaa": 1}
    assert misordered(extra, "me.ok") is None
    user = {**ME, "user": {"lastname": "L", "username": "ada", "x": 1}}
    assert misordered(user, "me.ok") == (
        "user",
        ["lastname", "username", "x"],
        ["username", "firstname", "lastname"],
    )


def test_misordered_finds_an_object_inside_a_list_by_its_index() -> None:
    entry = {"success": False, "code": 4, "phoneNumber": "06", "messageId": 1, "status": "ko"}
    body = {"success": True, "code": 200, "StatutResponse_List": [entry, {"code": 4, **entry}]}
    assert misordered(body, "multi-status.ok") == (
        "StatutResponse_List[1]",
        ["code", "success", "phoneNumber", "messageId", "status"],
        ["success", "code", "phoneNumber", "messageId", "status"],
    )
    assert misordered({**body, "StatutResponse_List": [entry, 3]}, "multi-status.ok") is None


# A body schema of the shapes the bundled contract has not (yet): named objects inside a
# list, inside a named object and as one alternative of an anyOf. An operation added to the
# contract may have them (docs/development.md, adding an operation).
NESTED = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "rows": {"type": "array", "items": {"$ref": "#/definitions/row"}},
        "choice": {
            "anyOf": [
                {"$ref": "#/definitions/row"},
                {"type": "object", "properties": {"e": {"type": "string"}, "f": {}}},
            ]
        },
        "pair": {"type": "array", "items": [{"$ref": "#/definitions/row"}]},
    },
    "definitions": {
        "row": {
            "type": "object",
            "x-xml": {"named": True},
            "required": ["n"],
            "properties": {
                "n": {"type": "integer"},
                "inner": {
                    "type": "object",
                    "x-xml": {"named": True},
                    "properties": {"b": {}, "a": {}},
                },
            },
        }
    },
}


@pytest.fixture
def nested(tmp_path: Path) -> Iterator[str]:
    shutil.copytree(spec.SCHEMA_DIR, tmp_path / "schemas")
    (tmp_path / "schemas" / "nested.ok.schema.json").write_text(json.dumps(NESTED))
    with spec.use_contract(schemas=tmp_path / "schemas"):
        yield "nested.ok"


def test_named_objects_nested_in_lists_and_named_objects_keep_their_names(nested: str) -> None:
    """Each list item, and each child of a named object, is viewed by its own schema."""
    row = {"n": 1, "inner": {"b": 2, "a": 3}}
    named_row = (
        "named",
        (("n", ("int", 1)), ("inner", ("named", (("b", ("int", 2)), ("a", ("int", 3)))))),
    )
    assert xml_view({"rows": [row]}, nested) == ("entries", (("list", (named_row,)),))
    # a list of one schema per position is not one item schema: its items are viewed by form
    assert xml_view({"pair": [row]}, nested) == (
        "entries",
        (("list", (("entries", (("int", 1), ("entries", (("int", 2), ("int", 3))))),)),),
    )


def test_an_object_is_viewed_by_the_alternative_it_satisfies(nested: str) -> None:
    assert xml_view({"choice": {"n": 1}}, nested) == (
        "entries",
        (("named", (("n", ("int", 1)),)),),
    )
    assert xml_view({"choice": {"e": "x"}}, nested) == (
        "entries",
        (("entries", (("str", "x"),)),),
    )
    # one that fits neither is viewed by the first
    assert xml_view({"choice": {"e": 5}}, nested) == (
        "entries",
        (("named", (("e", ("int", 5)),)),),
    )


def test_misordered_walks_list_items_and_alternatives_by_their_schema(nested: str) -> None:
    swapped = {"n": 1, "inner": {"a": 3, "b": 2}}
    assert misordered({"rows": [{"n": 1}, swapped]}, nested) == (
        "rows[1].inner",
        ["a", "b"],
        ["b", "a"],
    )
    assert misordered({"choice": {"f": 1, "e": "x"}}, nested) == (
        "choice",
        ["f", "e"],
        ["e", "f"],
    )
    assert misordered({"pair": [swapped]}, nested) is None
