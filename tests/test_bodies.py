"""The positional XML read back per operation: every body schema round-trips, the mock's own
answers read the same in XML and JSON, and the checks read nested bodies right."""

from __future__ import annotations

import contextlib
import functools
import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from contract_tests import checks
from contract_tests.bodies import (
    MAX_DEPTH,
    body_schema,
    decode_xml,
    misordered,
    read_xml,
    xml_view,
)
from contract_tests.checks import ContractViolation, Exchange
from contract_tests.strategies import Query
from contract_tests.target import Target
from contract_tests.transport import Reply, Transport
from mock_server import ServerThread
from mock_server._http import rendering
from mock_server.contract import spec
from mock_server.testing.admin_client import AdminClient

KEY = "YOUR_API_KEY"
XML = {"content-type": "application/xml; charset=utf-8"}
JSON = {"content-type": "application/json; charset=utf-8"}

# Every body schema of every operation, and the operation it answers (None: http-error, the
# answer to a request outside every operation).
BODY_SCHEMAS: dict[str, str | None] = {
    **{
        name: op.id
        for op in spec.operations()
        for name in (op.ok, op.error, op.invalid)
        if name is not None
    },
    spec.HTTP_ERROR: None,
}

# Optional fields the positional XML cannot tell apart (same place, same type): such a value
# is read under the earliest field in schema order, the name the mock sends.
# schema: (the object holding them, '' for the body; the later name; the earlier name)
INDISTINGUISHABLE = {
    "me.ok": ("credits", "creditSmsLowCost", "creditSmsECO"),
    "send.invalid": ("", "error", "errors"),
    "bulk-send.invalid": ("", "error", "errors"),
    "vn-send.invalid": ("", "error", "errors"),
}


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _as_rendered(value: Any, node: dict[str, Any], root: dict[str, Any]) -> Any:
    """value as the mock sends it: every object in its schema's order (rendering orders the
    body's own keys; handlers build nested objects in order), text XML cannot carry replaced."""
    node = _resolve(node, root)
    if isinstance(value, dict):
        props = dict(node.get("properties", {}))
        for branch in node.get("anyOf", []):
            props = {**props, **_resolve(branch, root).get("properties", {})}
        ordered = {key: _as_rendered(value[key], props[key], root) for key in props if key in value}
        return ordered | {key: item for key, item in value.items() if key not in props}
    if isinstance(value, list):
        return [_as_rendered(item, node.get("items", {}), root) for item in value]
    return rendering._xml_text(value) if isinstance(value, str) else value


def _xml_names(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """body with an indistinguishable field under the name the XML reads it by."""
    if name not in INDISTINGUISHABLE:
        return body
    where, late, early = INDISTINGUISHABLE[name]
    holder = body[where] if where else body
    if late not in holder or early in holder:
        return body
    renamed = {early if key == late else key: value for key, value in holder.items()}
    return {**body, where: renamed} if where else renamed


@functools.cache
def _bodies(name: str) -> st.SearchStrategy[Any]:
    """The bodies of a schema, built once: canonicalising a nested schema costs more than
    drawing from it."""
    return from_schema(spec.schema(name))


@pytest.mark.parametrize("name", BODY_SCHEMAS)
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_xml_round_trip(name: str, data: st.DataObject) -> None:
    """decode(render(body, 'xml')) == body for every body of every body schema."""
    schema = spec.schema(name)
    body = _as_rendered(data.draw(_bodies(name)), schema, schema)
    raw = rendering.render(name, body, "xml")
    decoded = decode_xml(raw, BODY_SCHEMAS[name])
    assert decoded == _xml_names(name, body)
    assert json.dumps(decoded) == json.dumps(_xml_names(name, body))  # order and types too
    assert rendering.render(name, decoded, "xml") == raw


@pytest.mark.parametrize(
    ("name", "body"),
    [
        (
            "me.ok",
            {
                "success": True,
                "code": 200,
                "user": {"username": "u"},
                "credits": {
                    "creditSms": 1,
                    "creditSmsLowCost": 2,
                    "creditHlr": 3,
                    "toSend": 4,
                    "solde": "1.000",
                    "currency": "EUR",
                    "balance": "1.000",
                },
            },
        ),
        (
            "send.invalid",
            {"success": False, "code": 9, "error": [{"elementId": "a", "message": "b"}]},
        ),
    ],
)
def test_indistinguishable_fields_take_the_earliest_name(name: str, body: dict[str, Any]) -> None:
    """creditSmsLowCost alone reads as creditSmsECO, 'error' alone as 'errors': same XML."""
    where, late, early = INDISTINGUISHABLE[name]
    decoded = decode_xml(rendering.render(name, body, "xml"), BODY_SCHEMAS[name])
    holder = decoded[where] if where else decoded
    assert early in holder and late not in holder
    assert xml_view(decoded, name) == xml_view(body, name)


ACCOUNT = spec.fixture_value("account.json", "")
CREDITS = {**ACCOUNT["credits"], "toSend": 0, "balance": ACCOUNT["credits"]["solde"]}
ME = {
    "success": True,
    "code": 200,
    "user": ACCOUNT["user"],
    "credits": {
        k: CREDITS[k]
        for k in spec.schema("me.ok")["properties"]["credits"]["properties"]
        if k in CREDITS
    },
}
ME_XML = """\
<?xml version='1.0' encoding='UTF-8'?>
<result>
  <entry>true</entry>
  <entry>200</entry>
  <entry>
    <username><![CDATA[developer@example.com]]></username>
    <firstname><![CDATA[Ada]]></firstname>
    <lastname><![CDATA[Lovelace]]></lastname>
  </entry>
  <entry>
    <entry>1000</entry>
    <entry>0</entry>
    <entry>100</entry>
    <entry>0</entry>
    <entry><![CDATA[45.000]]></entry>
    <entry><![CDATA[EUR]]></entry>
    <entry><![CDATA[45.000]]></entry>
  </entry>
</result>
"""
BULK = {
    "success": True,
    "code": 200,
    "message_id": "300000",
    "StatutResponse_List": [
        {"phoneNumber": "+33600000000", "status": "Delivered", "stopSMS": False, "date": "1"},
        {"phoneNumber": "+33600000002", "status": "Waiting", "stopSMS": True, "date": "2"},
    ],
}
BULK_XML = """\
<?xml version='1.0' encoding='UTF-8'?>
<result>
  <entry>true</entry>
  <entry>200</entry>
  <entry><![CDATA[300000]]></entry>
  <entry>
    <entry>
      <entry><![CDATA[+33600000000]]></entry>
      <entry><![CDATA[Delivered]]></entry>
      <entry>false</entry>
      <entry><![CDATA[1]]></entry>
    </entry>
    <entry>
      <entry><![CDATA[+33600000002]]></entry>
      <entry><![CDATA[Waiting]]></entry>
      <entry>true</entry>
      <entry><![CDATA[2]]></entry>
    </entry>
  </entry>
</result>
"""

MULTI = {
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
            "stopSms": "0",
            "isSpam": "0",
        },
        {
            "success": False,
            "code": 4,
            "phoneNumber": "0600000009",
            "messageId": "x",
            "status": "Message not found",
        },
    ],
}
MULTI_XML = """\
<?xml version='1.0' encoding='UTF-8'?>
<result>
  <entry>true</entry>
  <entry>200</entry>
  <entry>
    <entry>
      <entry>true</entry>
      <entry>200</entry>
      <entry><![CDATA[+33600000000]]></entry>
      <entry>300000</entry>
      <entry><![CDATA[Delivered]]></entry>
      <entry><![CDATA[1]]></entry>
      <entry><![CDATA[0]]></entry>
      <entry><![CDATA[0]]></entry>
    </entry>
    <entry>
      <entry>false</entry>
      <entry>4</entry>
      <entry><![CDATA[0600000009]]></entry>
      <entry><![CDATA[x]]></entry>
      <entry><![CDATA[Message not found]]></entry>
    </entry>
  </entry>
</result>
"""
INVALID = {
    "success": False,
    "code": 9,
    "errors": [
        {"elementId": "message", "message": "Le message est requis"},
        {"elementId": "phoneNumbers", "message": "é"},
    ],
}
INVALID_XML = """\
<?xml version='1.0' encoding='UTF-8'?>
<result>
  <entry>false</entry>
  <entry>9</entry>
  <entry>
    <entry>
      <entry><![CDATA[message]]></entry>
      <entry><![CDATA[Le message est requis]]></entry>
    </entry>
    <entry>
      <entry><![CDATA[phoneNumbers]]></entry>
      <entry><![CDATA[é]]></entry>
    </entry>
  </entry>
</result>
"""


@pytest.mark.parametrize(
    ("name", "body", "xml"),
    [
        ("me.ok", ME, ME_XML),
        ("bulk-status.ok", BULK, BULK_XML),
        ("multi-status.ok", MULTI, MULTI_XML),
        ("send.invalid", INVALID, INVALID_XML),
    ],
    ids=["me", "bulk-status", "multi-status", "send-invalid"],
)
def test_nested_xml_bytes(name: str, body: dict[str, Any], xml: str) -> None:
    """Named children and every list-bearing body (a list of two objects: one <entry> each,
    one indent deeper per level), byte for byte in UTF-8, and read back."""
    raw = rendering.render(name, body, "xml")
    assert raw == xml.encode("utf-8")
    assert decode_xml(raw, BODY_SCHEMAS[name]) == body


def test_layout_around_cdata_is_not_text() -> None:
    """The seed page's pretty-printed form reads as the compact one; spaces inside CDATA stay."""
    raw = (
        b"<?xml version='1.0' encoding='UTF-8'?> <result> <entry>true</entry> <entry>200</entry>"
        b" <entry> <![CDATA[0600000000]]> </entry> <entry> <![CDATA[1111]]> </entry>"
        b" <entry>false</entry> <entry> <![CDATA[2015-02-07 22:39:46]]> </entry>"
        b" <entry> <![CDATA[Delivered]]> </entry> <entry>0.045</entry>"
        b" <entry>\n<![CDATA[ FR]]>\n</entry> <entry> <![CDATA[EUR]]> </entry> </result>"
    )
    decoded = decode_xml(raw, "message-status")
    assert decoded["number"] == "0600000000"
    assert (decoded["cost"], decoded["countryCode"]) == (0.045, " FR")


def test_cdata_tells_a_string_from_a_number() -> None:
    """Where a field is an integer or a string, <![CDATA[12]]> reads "12" and 12 reads 12."""
    pairs = [
        {"success": False, "code": 4, "phoneNumber": "07", "messageId": message_id, "status": "x"}
        for message_id in ("12", 12)
    ]
    body = {"success": True, "code": 200, "StatutResponse_List": pairs}
    decoded = decode_xml(rendering.render("multi-status.ok", body, "xml"), "multi-status")
    assert [e["messageId"] for e in decoded["StatutResponse_List"]] == ["12", 12]


def test_error_bodies_take_the_error_schema_of_their_code() -> None:
    """A code-9 send answer reads by send.invalid, another error by send.error."""
    invalid = b"<result><entry>false</entry><entry>9</entry><entry><entry><entry>a</entry>"
    invalid += b"<entry>b</entry></entry></entry></result>"
    assert read_xml(invalid, "send").schema == "send.invalid"
    error = b"<result><entry>false</entry><entry>10</entry><entry>m</entry></result>"
    assert read_xml(error, "send").schema == "send.error"
    assert read_xml(error, None).schema == spec.HTTP_ERROR
    assert body_schema("send", {"success": False, "code": True}) == "send.error"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"<!DOCTYPE r [<!ENTITY a 'b'>]><result/>", "DOCTYPE"),
        (b"<result>" + b"<entry>" * MAX_DEPTH + b"</entry>" * MAX_DEPTH + b"</result>", "deeper"),
        (b"<result><entry>\xff</entry></result>", "Malformed"),
        (b"", "Malformed"),
    ],
)
def test_unsafe_or_broken_xml_is_a_value_error(raw: bytes, reason: str) -> None:
    """Entity declarations, deep nesting and bytes that are not XML raise ValueError."""
    with pytest.raises(ValueError, match=reason):
        decode_xml(raw, "me")


def _trees() -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["", "true", "1", "-2.5e3", "x", "<![CDATA[ 7]]>", "null", " "])
    return st.recursive(
        leaves.map(lambda text: f"<entry>{text}</entry>"),
        lambda children: (
            st.lists(children, max_size=4).map(
                lambda items: "<entry>" + "".join(items) + "</entry>"
            )
            | st.tuples(st.sampled_from(["user", "username", "a"]), children).map(
                lambda pair: f"<{pair[0]}>{pair[1]}</{pair[0]}>"
            )
        ),
        max_leaves=12,
    )


@settings(deadline=None)
@given(
    operation=st.sampled_from([*BODY_SCHEMAS.values()]),
    entries=st.lists(_trees(), max_size=9),
    prefix=st.sampled_from(["<entry>true</entry>", "<entry>false</entry><entry>9</entry>", ""]),
)
def test_any_entry_tree_decodes_or_raises_value_error(
    operation: str | None, entries: list[str], prefix: str
) -> None:
    """Whatever the entries, reading gives data (for validation to judge), never a crash."""
    raw = f"<result>{prefix}{''.join(entries)}</result>".encode()
    body = read_xml(raw, operation)
    spec.first_error(body.schema, body.data)


@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_decode_or_raise_value_error(raw: bytes) -> None:
    """Arbitrary bytes never raise anything but ValueError."""
    with contextlib.suppress(ValueError):
        decode_xml(raw, "multi-status")


def test_misordered_finds_a_nested_object() -> None:
    """A nested object out of its schema's order is named with its path."""
    body = json.loads(json.dumps(BULK))
    entry = body["StatutResponse_List"][1]
    body["StatutResponse_List"][1] = {"status": entry.pop("status"), **entry}
    assert misordered(BULK, "bulk-status.ok") is None
    path, keys, order = misordered(body, "bulk-status.ok")  # type: ignore[misc]
    assert path == "StatutResponse_List[1]"
    assert keys[0] == "status" and order[:2] == ["phoneNumber", "status"]


# --- the checks over nested bodies ---------------------------------------------------------


def _exchange(
    raw: bytes, headers: dict[str, str], operation: str, twin: Reply | None = None
) -> Exchange:
    reply = Reply("GET http://mock/v1/x?apiKey=***", 200, headers, raw, operation=operation)
    target = Target("http://mock/v1", KEY, "mock", "fr", None, Transport("http://mock/v1"))
    query = Query((("_format", "xml"),) if headers is XML else ())
    return Exchange(query, reply, target, None, twin)


def test_checks_pass_nested_answers() -> None:
    """The mock's /me and /bulk-status answers pass every check, XML against JSON."""
    for name, body in (("me.ok", ME), ("bulk-status.ok", BULK)):
        operation = BODY_SCHEMAS[name]
        assert operation is not None
        as_json = _exchange(rendering.render(name, body, "json"), JSON, operation)
        xml = _exchange(rendering.render(name, body, "xml"), XML, operation, as_json.reply)
        for exchange in (as_json, xml):
            for check in checks.CHECKS.values():
                check(exchange)


@pytest.mark.parametrize(
    ("check", "fmt", "change", "title"),
    [
        (
            checks.xml_entries_in_documented_form,
            "xml",
            lambda raw: raw.replace(b"<![CDATA[EUR]]>", b"EUR"),
            "XML entry 'credits.currency' is not in its documented form",
        ),
        (
            checks.xml_entries_in_documented_form,
            "xml",
            lambda raw: raw.replace(b"<entry>1000</entry>", b"<entry><![CDATA[1000]]></entry>"),
            "XML entry 'credits.creditSms' wraps a non-string in CDATA",
        ),
        (
            checks.json_keys_in_documented_order,
            "json",
            lambda raw: raw.replace(b'{"username"', b'{"lastname":"L","username"').replace(
                b',"lastname":"Lovelace"', b""
            ),
            "JSON keys out of documented order in user",
        ),
        (
            checks.body_conforms_to_schema,
            "xml",
            lambda raw: raw.replace(b"<entry><![CDATA[EUR]]></entry>", b""),
            "Body does not conform to me.ok.schema.json",
        ),
        (
            checks.formats_agree,
            "xml",
            lambda raw: raw.replace(b"<entry>1000</entry>", b"<entry>999</entry>"),
            "application/xml and application/json answers differ",
        ),
    ],
    ids=["string-without-cdata", "number-in-cdata", "json-order", "missing-entry", "disagree"],
)
def test_checks_find_a_nested_departure(
    check: Callable[[Exchange], None], fmt: str, change: Callable[[bytes], bytes], title: str
) -> None:
    """A departure inside a nested object is found and named by its path."""
    as_json = _exchange(rendering.render("me.ok", ME, "json"), JSON, "me")
    raw = change(rendering.render("me.ok", ME, fmt))
    exchange = _exchange(raw, XML if fmt == "xml" else JSON, "me", as_json.reply)
    with pytest.raises(ContractViolation) as info:
        check(exchange)
    assert info.value.title == title


def test_formats_agree_on_indistinguishable_names() -> None:
    """JSON with creditSmsLowCost and the XML of the same body agree."""
    body = {
        **ME,
        "credits": {
            "creditSmsLowCost" if k == "creditSmsECO" else k: v for k, v in ME["credits"].items()
        },
    }
    as_json = _exchange(rendering.render("me.ok", body, "json"), JSON, "me")
    xml = _exchange(rendering.render("me.ok", body, "xml"), XML, "me", as_json.reply)
    checks.formats_agree(xml)


def test_a_code_needs_a_documented_operation() -> None:
    """Expecting a control code of a request outside every operation is a violation."""
    raw = b'{"success":false,"code":404,"message":"Not Found"}'
    reply = Reply("GET http://mock/v1/nowhere", 404, JSON, raw)
    with pytest.raises(ContractViolation, match="outside the documented operations"):
        checks.expectation_met(reply, checks.Expectation(status=404, code=1), "fr")


# --- end to end: the running mock's answers ------------------------------------------------


Ask = Callable[[Transport, str], Reply]


def _get(path: str, query: str) -> Ask:
    return lambda api, fmt: api.request("GET", path, f"{query}&_format={fmt}")


def _post(path: str, body: dict[str, Any]) -> Ask:
    return lambda api, fmt: api.post(path, {**body, "_format": fmt})


def _send(api: Transport, **fields: Any) -> int:
    body = {"apiKey": KEY, "phoneNumbers": "0600000000", "message": "Hi", **fields}
    message_id: int = api.post("/send", body).data()["message_id"]
    return message_id


def _cancel(api: Transport, fmt: str) -> Reply:
    return _get("/message-cancel", f"apiKey={KEY}&messageId={_send(api, **SCHEDULED)}")(api, fmt)


def _subaccount(api: Transport) -> str:
    body = {"apiKey": KEY, "type": "simple", "parameters": {"creditToAttribute": 5}}
    token: str = api.post("/subaccount/create", body).data()["subaccount"]["token"]
    return token


def _with_subaccount(ask: Callable[[str], Ask]) -> Ask:
    """A request about a sub-account created first (the state is reset for each format)."""
    return lambda api, fmt: ask(_subaccount(api))(api, fmt)


def _delete(path: str, body: dict[str, Any]) -> Ask:
    data = json.dumps  # the body carries _format, as for a POST
    return lambda api, fmt: api.request("DELETE", path, "", data({**body, "_format": fmt}).encode())


def _tagged(api: Transport, fmt: str) -> Reply:
    _send(api, tag="promo")
    return _get("/bulk-status-by-tag", f"apiKey={KEY}&tag=promo")(api, fmt)


def _statistics(api: Transport, fmt: str) -> Reply:
    _send(api)
    query = f"apiKey={KEY}&interval=custom&from=01-01-2000&to=31-12-2999"
    return _get("/statistics/cost-resume", query)(api, fmt)


SCHEDULED = {"scheduledDeliveryDate": "01/01/2100", "time": 10, "minute": 30}
SEND = {"apiKey": KEY, "phoneNumbers": "0600000000,0600000002", "message": "Hi", **SCHEDULED}
PAIRS = [
    {"phoneNumber": "0600000000", "messageId": 1111},
    {"phoneNumber": "0600000009", "messageId": "x"},
]
FIRST_ID = ACCOUNT["first_message_id"]
BULK_SEND = {
    "apiKey": KEY,
    "SMSList": [
        {"phoneNumber": "0600000000", "message": "Hi"},
        {"phoneNumber": "0600000002", "message": "Yo"},
    ],
}
VN_SEND = {"apiKey": KEY, "to": "0600000000", "from": "33600000000", "message": "Hi"}

# (the body schema of the answer, whether the request changes state, the request in a format)
CASES: list[tuple[str, bool, Ask]] = [
    (
        "message-status.ok",
        False,
        _get("/message-status", f"apiKey={KEY}&messageId=1111&phoneNumber=0600000000"),
    ),
    ("message-status.error", False, _get("/message-status", "messageId=1111")),
    ("send.ok", True, _post("/send", SEND)),
    ("send.invalid", False, _post("/send", {"apiKey": KEY, "phoneNumbers": "0600000000"})),
    ("send.error", False, _post("/send", {"phoneNumbers": "0600000000"})),
    ("bulk-status.ok", False, _get("/bulk-status", f"apiKey={KEY}&messageId={FIRST_ID}")),
    ("bulk-status.error", False, _get("/bulk-status", f"apiKey={KEY}&messageId=9")),
    ("multi-status.ok", False, _post("/multi-status", {"apiKey": KEY, "SMSStatut_List": PAIRS})),
    ("multi-status.error", False, _post("/multi-status", {"SMSStatut_List": PAIRS})),
    ("message-cancel.ok", True, _cancel),
    ("message-cancel.error", False, _get("/message-cancel", f"apiKey={KEY}&messageId=9")),
    ("me.ok", False, _get("/me", f"apiKey={KEY}")),
    ("me.error", False, _get("/me", "apiKey=nope")),
    ("stop-sms-list.ok", False, _get("/stop-sms/list", f"apiKey={KEY}")),
    ("stop-sms-list.error", False, _get("/stop-sms/list", "apiKey=nope")),
    ("stop-sms-add.ok", True, _post("/stop-sms/add", {"apiKey": KEY, "phoneNumber": "0611111111"})),
    ("stop-sms-add.error", False, _post("/stop-sms/add", {"apiKey": KEY, "phoneNumber": "1"})),
    ("stop-sms-delete.ok", True, _get("/stop-sms/delete", f"apiKey={KEY}&id=19")),
    ("stop-sms-delete.error", False, _get("/stop-sms/delete", f"apiKey={KEY}&id=1")),
    ("bulk-send.ok", True, _post("/bulk-send", BULK_SEND)),
    ("bulk-send.invalid", False, _post("/bulk-send", {"apiKey": KEY, "SMSList": [{}]})),
    ("bulk-send.error", False, _post("/bulk-send", {"apiKey": KEY, "SMSList": []})),
    ("vn-send.ok", True, _post("/vn/send", VN_SEND)),
    ("vn-send.invalid", False, _post("/vn/send", {**VN_SEND, "message": ""})),
    ("vn-send.error", False, _post("/vn/send", {**VN_SEND, "from": "+33600000000"})),
    ("lookup.ok", False, _post("/lookup", {"apiKey": KEY, "phoneNumbers": "+33612345678,06"})),
    ("lookup.error", False, _post("/lookup", {"apiKey": KEY})),
    ("hlr-notify.ok", True, _post("/hlr/notify", {"apiKey": KEY, "phoneNumbers": "+33612345678"})),
    ("hlr-notify.error", False, _post("/hlr/notify", {"apiKey": KEY, "phoneNumbers": ",,"})),
    (
        "subaccount-create.ok",
        True,
        _post("/subaccount/create", {"apiKey": KEY, "type": "simple", "parameters": {}}),
    ),
    ("subaccount-create.error", False, _post("/subaccount/create", {"apiKey": KEY})),
    (
        "subaccount-list.ok",
        True,
        _with_subaccount(lambda _: _get("/subaccount/list", f"apiKey={KEY}")),
    ),
    ("subaccount-list.error", False, _get("/subaccount/list", "apiKey=nope")),
    (
        "subaccount-remove.ok",
        True,
        _with_subaccount(lambda t: _delete("/subaccount/remove", {"apiKey": KEY, "token": t})),
    ),
    ("subaccount-remove.error", False, _delete("/subaccount/remove", {"apiKey": KEY})),
    (
        "subaccount-credit.ok",
        True,
        _with_subaccount(
            lambda t: _post(
                "/subaccount/credit/remove", {"apiKey": KEY, "credit": "1", "tokenSubaccount": t}
            )
        ),
    ),
    (
        "subaccount-credit.error",
        False,
        _post("/subaccount/credit/remove", {"apiKey": KEY, "credit": "1"}),
    ),
    ("bulk-status-by-tag.ok", True, _tagged),
    ("bulk-status-by-tag.error", False, _get("/bulk-status-by-tag", f"apiKey={KEY}&tag=x")),
    ("statistics-cost-resume.ok", True, _statistics),
    ("statistics-cost-resume.error", False, _get("/statistics/cost-resume", "apiKey=nope")),
]


def test_cases_cover_every_body_schema_of_every_operation() -> None:
    """The end-to-end cases reach each ok, error and invalid schema."""
    assert sorted(name for name, _, _ in CASES) == sorted(n for n, op in BODY_SCHEMAS.items() if op)


@pytest.mark.parametrize(("name", "changes", "ask"), CASES, ids=[c[0] for c in CASES])
def test_mock_answers_read_the_same_in_xml_and_json(
    server: ServerThread, client: AdminClient, name: str, changes: bool, ask: Ask
) -> None:
    """Each operation's XML answer decodes to its JSON answer: values, types and order."""
    api = Transport(server.base_url)
    # Both formats are asked at one moment of the mock's clock: a reset goes back to real
    # time, which may have passed a second since the first ask (dates would then differ).
    moment = math.floor(client.freeze()["now"]) + 10.5
    _send(api, phoneNumbers="0600000000,0600000002")  # a first send, for bulk-status
    replies = {}
    for fmt in ("json", "xml"):
        __import__("time").sleep(1.1)
        if changes:  # the same state for both formats
            client.reset()
            client.advance(moment - client.freeze()["now"])
        replies[fmt] = ask(api, fmt)
    as_json, as_xml = replies["json"].data(), replies["xml"].data()
    assert replies["xml"].media_type == spec.MEDIA_TYPES["xml"]
    assert replies["xml"].operation == BODY_SCHEMAS[name]
    assert body_schema(replies["xml"].operation, as_xml) == name
    assert spec.first_error(name, as_xml) is None
    assert json.dumps(as_xml) == json.dumps(as_json)
