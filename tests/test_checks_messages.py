"""What each check of contract_tests/checks.py says when it fails, word for word: the title,
the request, the Received and Expected lines, and for a departure the assumptions it rests
on. These messages are the suite's whole report to the person reading a failure, so each
is stated here in full, with the edge of each condition that raises it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from contract_tests import checks, oracle
from contract_tests.checks import (
    ContractViolation,
    Departure,
    Departures,
    Exchange,
    Expectation,
)
from contract_tests.strategies import Query
from contract_tests.target import KnownMessage, Target
from contract_tests.transport import Reply, Transport
from mock_server.contract import spec

from . import documented

REQUEST = "GET http://mock/v1/message-status?apiKey=***"
JSON = {"content-type": "application/json; charset=utf-8"}
XML = {"content-type": "application/xml; charset=utf-8"}


def _reply(
    raw: bytes | str,
    headers: dict[str, str] = JSON,
    status: int = 200,
    operation: str | None = spec.STATUS,
) -> Reply:
    body = raw.encode() if isinstance(raw, str) else raw
    return Reply(REQUEST, status, headers, body, operation=operation)


def _message(title: str, received: str, expected: str) -> str:
    return f"{title}\n  Request: {REQUEST}\n  Received: {received}\n  Expected: {expected}"


def _fails(check: Any, *args: Any) -> ContractViolation:
    with pytest.raises(ContractViolation) as info:
        check(*args)
    return info.value


def _texts(code: int, operation: str = spec.STATUS) -> list[str]:
    return list(spec.control_codes(operation)[code].message.values())


def _precedence(operation: str = spec.STATUS) -> list[Any]:
    return list(spec.assumed(spec.precedence_id(operation)))


# --- the two kinds of failure --------------------------------------------------------------


def test_a_violation_lays_out_request_received_and_expected() -> None:
    """The message is the title, then the request, what was received and what was expected,
    one indented line each; the parts are kept as attributes."""
    reply = _reply("{}")
    violation = ContractViolation("Title", reply, ["got"], {"want": 1})
    assert str(violation) == _message("Title", "['got']", "{'want': 1}")
    assert (violation.title, violation.reply, violation.received, violation.expected) == (
        "Title",
        reply,
        ["got"],
        {"want": 1},
    )
    assert isinstance(violation, AssertionError)


def test_a_departure_adds_the_assumptions_it_rests_on_sorted_once_each() -> None:
    departure = Departure("Title", _reply("{}"), "got", "want", ["b-rule", "a-rule", "b-rule"])
    assert departure.assumptions == ("a-rule", "b-rule")
    assert (
        str(departure)
        == _message("Title", "got", "want") + "\n  Rests on: assumption a-rule, b-rule"
    )


def test_departure_of_keeps_the_violation_and_joins_the_assumptions() -> None:
    """Departure.of a violation keeps its parts; of a departure, also the assumptions it
    named already."""
    violation = ContractViolation("Title", _reply("{}"), "got", "want")
    departure = Departure.of(violation, ["z-rule"])
    assert (departure.title, departure.reply, departure.received, departure.expected) == (
        "Title",
        violation.reply,
        "got",
        "want",
    )
    again = Departure.of(departure, ["a-rule"])
    assert again.assumptions == ("a-rule", "z-rule")
    assert str(again).endswith("\n  Rests on: assumption a-rule, z-rule")


def _violate(title: str) -> Any:
    def check() -> None:
        raise ContractViolation(title, _reply("{}"), "got", "want")

    return check


def _depart(title: str, assumptions: list[str]) -> Any:
    def check() -> None:
        raise Departure(title, _reply("{}"), "got", "want", assumptions)

    return check


def test_departures_raise_a_documented_violation_at_once() -> None:
    departures = Departures()
    with pytest.raises(ContractViolation) as info:
        departures.run(_violate("Documented"))
    assert type(info.value) is ContractViolation and info.value.title == "Documented"
    assert departures.found == []


def test_departures_keep_violations_resting_on_assumptions_until_settled() -> None:
    """A violation of a part that rests on assumptions, or a departure, is kept; settle raises
    the first one found, naming every assumption departed from."""
    departures = Departures()
    departures.run(_violate("First"), ["b-rule"])
    departures.run(_depart("Second", ["c-rule"]), ["a-rule"])
    departures.run(lambda: None, ["d-rule"])
    assert [(d.title, d.assumptions) for d in departures.found] == [
        ("First", ("b-rule",)),
        ("Second", ("a-rule", "c-rule")),
    ]
    with pytest.raises(Departure) as info:
        departures.settle()
    assert info.value.title == "First"
    assert info.value.assumptions == ("a-rule", "b-rule", "c-rule")


def test_departures_settle_quietly_when_nothing_departed() -> None:
    departures = Departures()
    departures.run(lambda: None)
    departures.settle()


# --- checks over one reply -----------------------------------------------------------------


def test_parsed_body_reports_the_content_type_the_body_and_the_parse_error() -> None:
    violation = _fails(checks.parsed_body, _reply("{oops"))
    assert str(violation) == _message(
        "Body does not parse in its declared format",
        "'application/json; charset=utf-8' body '{oops' "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        "a well-formed application/json body",
    )


def test_parsed_body_of_bytes_that_are_not_utf8_names_the_decoding_error() -> None:
    violation = _fails(checks.parsed_body, _reply(b"\xff", {}))
    assert str(violation) == _message(
        "Body does not parse in its declared format",
        "'' body '\ufffd' ('utf-8' codec can't decode byte 0xff in position 0: invalid start byte)",
        "a well-formed JSON body",
    )


def test_a_long_body_is_cut_at_300_characters() -> None:
    """Received shows at most 300 characters of the body, then an ellipsis."""
    exactly = "x" * 300
    assert _fails(checks.parsed_body, _reply(exactly)).received.startswith(
        f"'application/json; charset=utf-8' body '{exactly}' ("
    )
    violation = _fails(checks.parsed_body, _reply(exactly + "y"))
    assert violation.received.startswith(f"'application/json; charset=utf-8' body '{exactly}…' (")


def test_conforms_shows_the_body_and_where_it_breaks_its_schema() -> None:
    violation = _fails(checks.conforms, _reply("{}"), {"success": True, "é": "x" * 300}, "me.ok")
    body = json.dumps({"success": True, "é": "x" * 300}, ensure_ascii=False)[:300]
    assert str(violation) == _message(
        "Body does not conform to me.ok.schema.json",
        f"{body} ('code' is a required property at $)",
        "a body valid against me.ok.schema.json",
    )
    assert "é" in violation.received


def test_media_type_and_status_name_what_came_and_what_was_asked() -> None:
    reply = _reply("{}", {"content-type": "text/html"}, status=404)
    assert str(_fails(checks.media_type_is, reply, "application/json")) == _message(
        "Content-Type does not match the format asked for",
        "'text/html'",
        "'application/json' with charset=utf-8",
    )
    assert str(_fails(checks.status_is, reply, 200)) == _message(
        "Unexpected HTTP status", "404 '{}'", "200"
    )
    checks.media_type_is(_reply("{}"), "application/json")
    checks.status_is(reply, 404)


def test_a_wrong_code_names_the_precedence_the_code_and_the_documented_texts() -> None:
    data = {"success": False, "code": 10, "message": "nope"}
    violation = _fails(checks.code_is, _reply("{}"), data, 4, "fr")
    assert str(violation) == _message(
        f"Wrong control code (codes are checked in the order {_precedence()})",
        "code 10, message 'nope'",
        f"code 4, message one of {[spec.control_codes(spec.STATUS)[4].message['fr']]!r}",
    )


def test_a_wrong_success_code_asks_for_the_code_alone() -> None:
    violation = _fails(checks.code_is, _reply("{}"), ["not", "an", "object"], 200, None)
    assert violation.received == "code None, message None"
    assert violation.expected == "code 200"


def test_code_is_accepts_the_text_in_the_language_asked_for_or_any_when_none() -> None:
    """lang pins the text's language; None accepts any documented language; a success code
    carries no text to check."""
    fr, en = (spec.control_codes(spec.STATUS)[4].message[lang] for lang in ("fr", "en"))
    checks.code_is(_reply("{}"), {"code": 4, "message": fr}, 4, "fr")
    checks.code_is(_reply("{}"), {"code": 4, "message": en}, 4, None)
    checks.code_is(_reply("{}"), {"code": 200, "message": "anything"}, 200, "fr")
    violation = _fails(checks.code_is, _reply("{}"), {"code": 4, "message": en}, 4, "fr")
    assert violation.expected == f"code 4, message one of {[fr]!r}"
    violation = _fails(checks.code_is, _reply("{}"), {"code": 4, "message": "x"}, 4, None)
    assert violation.expected == f"code 4, message one of {_texts(4)!r}"


def test_code_is_wants_the_code_as_an_integer() -> None:
    """The JSON true, 4.0 or "4" is not the code 4 (nor True the code 1)."""
    fr = spec.control_codes(spec.STATUS)[1].message["fr"]
    for code in (True, "1", 1.0):
        violation = _fails(checks.code_is, _reply("{}"), {"code": code, "message": fr}, 1, "fr")
        assert violation.received == f"code {code!r}, message {fr!r}"


def test_code_is_checks_the_text_only_of_a_code_whose_shape_is_a_message() -> None:
    """send's code 9 lists field errors instead of a message: no text is compared."""
    nine = spec.control_codes("send")[9]
    assert nine.shape != "message" and not nine.success
    checks.code_is(_reply("{}"), {"code": 9, "errors": []}, 9, "fr", "send")


def test_fields_equal_reports_each_wrong_field_and_its_expected_value() -> None:
    data = {"a": 1, "b": "ü", "c": 1, "d": "é"}
    expected = {"a": 1, "b": "ÿ", "c": True, "e": 2, "d": "é"}
    violation = _fails(checks.fields_equal, _reply("{}"), data, expected)
    assert str(violation) == _message(
        "Fields differ from the expected values",
        '{"b": "ü", "c": 1, "e": "<absent>"}',
        '{"b": "ÿ", "c": true, "e": 2}',
    )
    checks.fields_equal(_reply("{}"), data, {"a": 1, "d": "é"})


def test_fields_equal_of_a_body_that_is_no_object_shows_the_body_for_each_field() -> None:
    violation = _fails(checks.fields_equal, _reply("{}"), ["é"], {"a": 1})
    assert (violation.received, violation.expected) == ('{"a": ["é"]}', '{"a": 1}')


def test_a_list_of_another_length_is_shown_cut_at_200_characters() -> None:
    long = ["x" * 300]
    violation = _fails(checks.body_matches, _reply("{}"), {"a": long}, {"a": ["é", "y"]})
    shown = json.dumps(long)[:200]
    assert str(violation) == _message(
        "Body does not match the expected pattern",
        f"$.a: {shown} has not 2 items",
        '{"a": ["é", "y"]}',
    )
    violation = _fails(checks.body_matches, _reply("{}"), {"a": "é"}, {"a": ["é"]})
    assert violation.received == '$.a: "é" has not 1 items'


def test_body_matches_shows_the_pattern_cut_at_300_characters() -> None:
    pattern = {"a": "x" * 400}
    violation = _fails(checks.body_matches, _reply("{}"), {}, pattern)
    assert violation.expected == json.dumps(pattern)[:300]
    assert violation.received == "$.a: absent"


def test_body_matches_reports_the_first_difference_inside_a_list() -> None:
    data = {"a": [{"b": 1}, {"b": 2}, {"b": 3}]}
    violation = _fails(checks.body_matches, _reply("{}"), data, {"a": [{"b": 1}, {}, {"b": 4}]})
    assert violation.received == "$.a[2].b: 3"
    checks.body_matches(_reply("{}"), data, {"a": [{"b": 1}, {}, {"b": 3}]})


def test_headers_equal_is_case_blind_to_names_and_shows_the_wrong_ones() -> None:
    reply = _reply("{}", {"retry-after": "5", "x-a": "1"})
    violation = _fails(checks.headers_equal, reply, {"Retry-After": "30", "X-A": "1", "X-B": "2"})
    assert str(violation) == _message(
        "Headers differ from the expected values",
        "{'Retry-After': '5', 'X-B': None}",
        "{'Retry-After': '30', 'X-B': '2'}",
    )
    checks.headers_equal(reply, {"RETRY-AFTER": "5"})


def test_does_not_parse_shows_the_body_that_parsed() -> None:
    assert str(_fails(checks.does_not_parse, _reply('{"a": 1}'))) == _message(
        "Body parses although a malformed one was expected",
        "'{\"a\": 1}'",
        "a body that is not valid application/json",
    )
    checks.does_not_parse(_reply(b"\xff"))
    checks.does_not_parse(_reply("<result>", XML))


def test_raw_is_shows_up_to_2000_characters_of_the_body() -> None:
    body = "é" * 2001
    violation = _fails(checks.raw_is, _reply(body), "é")
    assert str(violation) == _message(
        "Body differs from the documented bytes", repr("é" * 2000 + "…"), "'é'"
    )
    checks.raw_is(_reply("é"), "é")


# --- checks over one exchange --------------------------------------------------------------

KNOWN = KnownMessage("1111", "+33600000000", {"messageId": 1111, "statut": "Delivered"})


def _target(lang: str | None = "fr", known: KnownMessage | None = None) -> Target:
    return Target("http://mock/v1", "key", "mock", lang, known, Transport("http://mock/v1"))


def _exchange(
    reply: Reply,
    params: dict[str, str] | None = None,
    expected: oracle.Expected | int | None = None,
    twin: Reply | None = None,
    target: Target | None = None,
) -> Exchange:
    query = Query(tuple((params or {}).items()))
    return Exchange(query, reply, target or _target(), expected, twin)


def test_no_server_error_draws_the_line_at_500() -> None:
    violation = _fails(checks.no_server_error, _exchange(_reply("oops", status=500)))
    assert str(violation) == _message("Server error", "500 'oops'", "a status < 500")
    checks.no_server_error(_exchange(_reply("{}", status=499)))


def test_content_type_follows_the_format_asked_for() -> None:
    """No _format: JSON; json/xml in the documented spellings: that media type."""
    for params, headers in (({}, JSON), ({"_format": "XML"}, XML), ({"_format": "json"}, JSON)):
        checks.content_type_matches_format(_exchange(_reply("{}", headers), params))
    violation = _fails(checks.content_type_matches_format, _exchange(_reply("{}", XML)))
    assert str(violation) == _message(
        "Content-Type does not match the format asked for",
        "'application/xml; charset=utf-8'",
        "'application/json' with charset=utf-8",
    )
    violation = _fails(
        checks.content_type_matches_format, _exchange(_reply("{}", JSON), {"_format": "xml"})
    )
    assert violation.expected == "'application/xml' with charset=utf-8"


def test_an_undocumented_format_may_get_either_documented_media_type() -> None:
    """'Xml' or 'yaml' rest on assumptions the probes measure: either answer passes here, but
    no other media type."""
    for fmt in ("Xml", "yaml", ""):
        for headers in (JSON, XML):
            checks.content_type_matches_format(_exchange(_reply("{}", headers), {"_format": fmt}))
    html = _reply("{}", {"content-type": "text/html"})
    violation = _fails(checks.content_type_matches_format, _exchange(html, {"_format": "yaml"}))
    assert violation.received == "'text/html'"


def test_content_type_wants_utf8_when_it_names_a_charset() -> None:
    for content_type in ("application/json", "application/json; charset=UTF-8 "):
        checks.content_type_matches_format(_exchange(_reply("{}", {"content-type": content_type})))
    latin = {"content-type": "application/json; charset=latin-1"}
    violation = _fails(checks.content_type_matches_format, _exchange(_reply("{}", latin)))
    assert str(violation) == _message(
        "Content-Type declares another charset",
        "'application/json; charset=latin-1'",
        "utf-8",
    )


def test_body_conforms_to_the_schema_of_its_operation_and_kind() -> None:
    fr = spec.control_codes("me")[10].message["fr"]
    ok = {"success": False, "code": 10, "message": fr}
    checks.body_conforms_to_schema(_exchange(_reply(json.dumps(ok), operation="me")))
    violation = _fails(
        checks.body_conforms_to_schema, _exchange(_reply('{"success": true}', operation="me"))
    )
    assert violation.title == "Body does not conform to me.ok.schema.json"


def test_an_undocumented_code_lists_the_documented_ones() -> None:
    violation = _fails(checks.error_code_documented, _exchange(_reply('{"code": 5}')))
    assert str(violation) == _message(
        "Undocumented control code", "5", f"one of {list(spec.control_codes(spec.STATUS))}"
    )
    for body in ('{"code": "4"}', "[4]"):
        violation = _fails(checks.error_code_documented, _exchange(_reply(body)))
        assert violation.received == ("'4'" if body.startswith("{") else "None")
    outside = _fails(checks.error_code_documented, _exchange(_reply('{"code": 4}', operation=None)))
    assert (outside.received, outside.expected) == ("4", "one of []")


def test_success_must_agree_with_the_code() -> None:
    successes = " or ".join(
        str(c.code) for c in spec.control_codes(spec.STATUS).values() if c.success
    )
    violation = _fails(
        checks.error_code_documented, _exchange(_reply('{"success": true, "code": 4}'))
    )
    assert str(violation) == _message(
        "'success' disagrees with the code",
        "success True with code 4",
        f"success False exactly when code is {successes}",
    )
    violation = _fails(checks.error_code_documented, _exchange(_reply('{"code": 200}')))
    assert violation.received == "success None with code 200"
    assert violation.expected == f"success True exactly when code is {successes}"
    checks.error_code_documented(_exchange(_reply('{"success": false, "code": 4}')))


def test_a_code_expected_outside_every_operation_lists_the_operations() -> None:
    reply = _reply('{"code": 4}', operation=None)
    violation = _fails(checks.control_code_matches_request, _exchange(reply, expected=4))
    where = [f"{op.method} {op.path}" for op in spec.operations()]
    assert str(violation) == _message(
        "A control code was expected of a request outside the documented operations",
        REQUEST,
        f"a request to one of {where}",
    )


def _coded(code: int, lang: str = "fr") -> Reply:
    text = spec.control_codes(spec.STATUS)[code].message[lang]
    return _reply(json.dumps({"success": code == 200, "code": code, "message": text}))


def test_the_expected_code_passes_and_nothing_expected_checks_nothing() -> None:
    checks.control_code_matches_request(_exchange(_coded(4), expected=4))
    checks.control_code_matches_request(_exchange(_reply("not even JSON"), expected=None))
    exact = oracle.Expected(4, frozenset({4, 2}), ("empty-parameter",))
    checks.control_code_matches_request(_exchange(_coded(4), expected=exact))


def test_a_code_no_reading_allows_is_a_violation() -> None:
    """A bare expected code allows that code only; an Expected, the codes it lists."""
    violation = _fails(checks.control_code_matches_request, _exchange(_coded(2), expected=4))
    assert type(violation) is ContractViolation
    assert violation.received == f"code 2, message {_texts(2)[0]!r}"
    assert violation.expected.startswith("code 4, message one of ")
    expected = oracle.Expected(4, frozenset({4, 3}), ("empty-parameter",))
    violation = _fails(checks.control_code_matches_request, _exchange(_coded(2), expected=expected))
    assert type(violation) is ContractViolation and violation.received.startswith("code 2,")


def test_another_allowed_code_departs_from_the_assumptions_that_choose() -> None:
    expected = oracle.Expected(4, frozenset({4, 2, 1}), ("phone-formats", "empty-parameter"))
    violation = _fails(checks.control_code_matches_request, _exchange(_coded(2), expected=expected))
    assert isinstance(violation, Departure)
    assert str(violation) == (
        _message(
            "Control code departs from the assumed one",
            "code 2",
            "code 4 (the documented contract allows any of [1, 2, 4])",
        )
        + "\n  Rests on: assumption empty-parameter, phone-formats"
    )


def test_the_allowed_code_still_needs_its_documented_text() -> None:
    """A departing code with a wrong text is a violation of the text, not a departure."""
    expected = oracle.Expected(4, frozenset({4, 2}), ("empty-parameter",))
    reply = _reply('{"success": false, "code": 2, "message": "nope"}')
    violation = _fails(checks.control_code_matches_request, _exchange(reply, expected=expected))
    assert type(violation) is ContractViolation
    assert (violation.received, violation.expected) == (
        "code 2, message 'nope'",
        f"code 2, message one of {[spec.control_codes(spec.STATUS)[2].message['fr']]!r}",
    )


def test_json_keys_out_of_order_name_the_object_its_keys_and_the_order() -> None:
    fr = spec.control_codes(spec.STATUS)[4].message["fr"]
    body = json.dumps({"code": 4, "success": False, "message": fr})
    violation = _fails(checks.json_keys_in_documented_order, _exchange(_reply(body)))
    order = list(spec.schema("message-status.error")["properties"])
    assert str(violation) == _message(
        "JSON keys out of documented order", "['code', 'success', 'message']", str(order)
    )
    # XML has no keys to order; only a JSON reply is checked
    checks.json_keys_in_documented_order(_exchange(_reply(body, XML)))


def _status_xml(change: tuple[str, str] = ("", "")) -> Reply:
    return _reply(documented.status_xml(change), XML)


def test_xml_entries_name_the_entry_and_its_documented_form() -> None:
    """A string needs CDATA, a boolean or number none; the entry is shown as written."""
    checks.xml_entries_in_documented_form(_exchange(_status_xml()))
    bare = _status_xml(("<![CDATA[Delivered]]>", "Delivered"))
    violation = _fails(checks.xml_entries_in_documented_form, _exchange(bare))
    assert str(violation) == _message(
        "XML entry 'statut' is not in its documented form",
        "'Delivered'",
        "the string in a CDATA section",
    )
    wrapped = _status_xml(("0.045", "<![CDATA[0.045]]>"))
    violation = _fails(checks.xml_entries_in_documented_form, _exchange(wrapped))
    assert str(violation) == _message(
        "XML entry 'cost' wraps a non-string in CDATA",
        "'<![CDATA[0.045]]>'",
        "a bare true/false or number",
    )
    # only an XML reply is read as XML
    checks.xml_entries_in_documented_form(_exchange(_reply(bare.raw, JSON)))


def test_a_plain_text_string_in_cdata_is_named_as_such() -> None:
    """An error's message is plain text (x-xml {"cdata": false}): in CDATA it is not in its
    documented form, and bare it is."""
    fr = spec.control_codes(spec.STATUS)[4].message["fr"]
    raw = "<result><entry>false</entry><entry>4</entry><entry>{}</entry></result>"
    checks.xml_entries_in_documented_form(_exchange(_reply(raw.format(fr), XML)))
    wrapped = _reply(raw.format(f"<![CDATA[{fr}]]>"), XML)
    violation = _fails(checks.xml_entries_in_documented_form, _exchange(wrapped))
    assert str(violation) == _message(
        "XML entry 'message' is not in its documented form",
        repr(f"<![CDATA[{fr}]]>"),
        "the string in plain text",
    )


def test_a_body_that_does_not_parse_is_reported_before_its_entries() -> None:
    violation = _fails(checks.xml_entries_in_documented_form, _exchange(_reply("<result>", XML)))
    assert violation.title == "Body does not parse in its declared format"


def test_answers_in_two_formats_that_differ_show_both() -> None:
    fr = spec.control_codes(spec.STATUS)[4].message["fr"]
    mine = {"success": False, "code": 4, "message": fr}
    theirs = {"success": False, "code": 10, "message": fr}
    twin = _reply(json.dumps(theirs))
    xml = f"<result><entry>false</entry><entry>4</entry><entry><![CDATA[{fr}]]></entry></result>"
    violation = _fails(checks.formats_agree, _exchange(_reply(xml, XML), twin=twin))
    assert str(violation) == _message(
        "application/xml and application/json answers differ",
        f"application/xml: {json.dumps(mine, ensure_ascii=False)}",
        f"the same values, types and order as application/json: "
        f"{json.dumps(theirs, ensure_ascii=False)}",
    )
    checks.formats_agree(_exchange(_reply(xml, XML), twin=_reply(json.dumps(mine))))
    checks.formats_agree(_exchange(_reply("not parsed without a twin", XML)))


def test_answers_that_differ_are_shown_up_to_1000_characters() -> None:
    long = {"success": False, "code": 4, "message": "é" * 2000}
    other = {"success": False, "code": 10, "message": "ü" * 2000}
    violation = _fails(
        checks.formats_agree, _exchange(_reply(json.dumps(long)), twin=_reply(json.dumps(other)))
    )
    assert violation.received == "application/json: " + json.dumps(long, ensure_ascii=False)[:1000]
    assert violation.expected.endswith(json.dumps(other, ensure_ascii=False)[:1000])


def _status_of(number: str, record: dict[str, Any] | None = None) -> Reply:
    body = {"success": True, "code": 200, "number": number, **(record or {})}
    return _reply(json.dumps(body))


def test_the_known_message_is_found_with_its_record() -> None:
    params = {"messageId": " 1111\t", "phoneNumber": "0600000000"}
    target = _target(known=KNOWN)
    good = _status_of("0600000000", {"messageId": 1111, "statut": "Delivered"})
    checks.known_record_matches(_exchange(good, params, target=target))
    wrong = _status_of("0600000000", {"messageId": 1111, "statut": "Waiting"})
    violation = _fails(checks.known_record_matches, _exchange(wrong, params, target=target))
    assert (violation.received, violation.expected) == (
        '{"statut": "Waiting"}',
        '{"statut": "Delivered"}',
    )


def test_another_number_means_another_message_was_answered() -> None:
    params = {"messageId": "1111"}
    reply = _status_of("0700000000", {"messageId": 1111, "statut": "Delivered"})
    violation = _fails(
        checks.known_record_matches, _exchange(reply, params, target=_target(known=KNOWN))
    )
    assert str(violation) == _message(
        "Another message was answered", "number '0700000000'", "a form of '+33600000000'"
    )
    absent = _fails(
        checks.known_record_matches,
        _exchange(_reply('{"success": true}'), params, target=_target(known=KNOWN)),
    )
    assert absent.received == "number ''"


def test_without_a_record_the_known_message_is_checked_by_its_id() -> None:
    bare = KnownMessage("1111", "+33600000000")
    target = _target(known=bare)
    checks.known_record_matches(
        _exchange(
            _status_of("0600000000", {"messageId": "1111"}), {"messageId": "1111"}, target=target
        )
    )
    violation = _fails(
        checks.known_record_matches,
        _exchange(
            _status_of("0600000000", {"messageId": 1111}), {"messageId": "1111"}, target=target
        ),
    )
    assert (violation.received, violation.expected) == (
        '{"messageId": 1111}',
        '{"messageId": "1111"}',
    )


def test_the_record_is_checked_only_for_a_found_known_message() -> None:
    """Another messageId, another operation, an error answer, a body that is no object or a
    target that knows no message: nothing to compare."""
    wrong = _status_of("0700000000")
    known = _target(known=KNOWN)
    checks.known_record_matches(_exchange(wrong, {"messageId": "2222"}, target=known))
    checks.known_record_matches(_exchange(wrong, {}, target=known))
    other = Reply(REQUEST, 200, JSON, wrong.raw, operation="me")
    checks.known_record_matches(_exchange(other, {"messageId": "1111"}, target=known))
    checks.known_record_matches(_exchange(wrong, {"messageId": "1111"}))
    for body in ('{"success": false, "number": "0700000000"}', "[1]", '{"success": 1}'):
        checks.known_record_matches(_exchange(_reply(body), {"messageId": "1111"}, target=known))


# --- every check, and the scenario expectations --------------------------------------------


def test_run_checks_raises_a_violation_before_a_departure() -> None:
    """A departure (another allowed code) waits for every check; a later documented violation
    (the record) is raised first."""
    expected = oracle.Expected(4, frozenset({4, 10}), ("message-status-code-precedence",))
    departing = _exchange(_coded(10), {"messageId": "1"}, expected)
    with pytest.raises(Departure) as departed:
        checks.run_checks(departing)
    assert departed.value.assumptions == ("message-status-code-precedence",)
    broken = _exchange(_reply("{}", status=503), {"messageId": "1"}, expected)
    with pytest.raises(ContractViolation) as info:
        checks.run_checks(broken)
    assert info.value.title == "Server error"


def test_phone_forms_that_answer_differently_are_named() -> None:
    a = _reply('{"number": "0600000000", "statut": "Delivered"}')
    b = _reply('{"number": "+33600000000", "statut": "Waiting"}')
    checks.phone_forms_agree({"national": a, "international": b}, ignore=["number", "statut"])
    checks.phone_forms_agree({})
    violation = _fails(checks.phone_forms_agree, {"national": a, "international": b}, ["number"])
    assert str(violation) == _message(
        "Phone form 'international' answers differently from 'national'",
        '{"statut": "Waiting"}',
        '{"statut": "Delivered"}',
    )
    lists = {"national": _reply('["é"]'), "international": _reply('["ü"]')}
    violation = _fails(checks.phone_forms_agree, lists)
    assert (violation.received, violation.expected) == ('["ü"]', '["é"]')


def test_an_error_status_the_code_allows_departs_from_error_http_status() -> None:
    """An error answered 200 instead of its code's status, or the reverse, departs from the
    'error-http-status' assumption."""
    four = spec.control_codes(spec.STATUS)[4]
    raw = _coded(4).raw
    for status, expected in ((200, four.http_status), (four.http_status, 200)):
        with pytest.raises(Departure) as info:
            checks.expectation_met(_reply(raw, status=status), Expectation(expected, code=4), "fr")
        assert info.value.assumptions == ("error-http-status",)
        assert str(info.value).startswith(
            _message("Unexpected HTTP status", f"{status} {raw.decode()!r}", str(expected))
        )


@pytest.mark.parametrize(
    ("status", "expect"),
    [
        (500, Expectation(200, code=4)),
        (404, Expectation(200, code=200)),
        (404, Expectation(200)),
        (404, Expectation(200, code=4, operation="me")),
    ],
    ids=["another-status", "success-code", "no-code", "code-of-another-operation"],
)
def test_any_other_status_is_a_violation(status: int, expect: Expectation) -> None:
    """Only an error code's own status or 200 is a departure: not another status, not for a
    success code or none, nor for a code the operation does not have (me has no code 4)."""
    reply = _reply(_coded(4).raw, status=status)
    with pytest.raises(ContractViolation) as info:
        checks.expectation_met(reply, expect, "fr")
    assert type(info.value) is ContractViolation
    assert info.value.title == "Unexpected HTTP status"


# one scenario expectation per part, each failing on the same reply (a message-status error)
FR_4 = spec.control_codes(spec.STATUS)[4].message["fr"]
ERROR_4 = json.dumps({"success": False, "code": 4, "message": FR_4})
PARTS = {
    "status": (Expectation(status=200), "Unexpected HTTP status"),
    "media_type": (
        Expectation(status=404, media_type="application/xml"),
        "Content-Type does not match the format asked for",
    ),
    "headers": (
        Expectation(status=404, headers={"Retry-After": "1"}),
        "Headers differ from the expected values",
    ),
    "parses": (
        Expectation(status=404, parses=False),
        "Body parses although a malformed one was expected",
    ),
    "raw": (Expectation(status=404, raw=""), "Body differs from the documented bytes"),
    "schema": (
        Expectation(status=404, schema="message-status.ok"),
        "Body does not conform to message-status.ok.schema.json",
    ),
    "code": (
        Expectation(status=404, code=10),
        f"Wrong control code (codes are checked in the order {_precedence()})",
    ),
    "body": (Expectation(status=404, body={"code": 10}), "Fields differ from the expected values"),
    "matches": (
        Expectation(status=404, matches={"code": 10}),
        "Body does not match the expected pattern",
    ),
}


@pytest.mark.parametrize("part", PARTS)
def test_each_part_of_an_expectation_is_checked(part: str) -> None:
    """A reply that fails one part of a scenario's expectation fails with that part's
    violation; resting on an assumption, the same failure is a departure naming it, and an
    assumption of another part does not excuse it."""
    expect, title = PARTS[part]
    reply = _reply(ERROR_4, status=404)
    checks.expectation_met(reply, Expectation(status=404, code=4, body={"code": 4}), "fr")
    with pytest.raises(ContractViolation) as info:
        checks.expectation_met(reply, expect, "fr")
    assert type(info.value) is ContractViolation and info.value.title == title
    other = next(name for name in PARTS if name != part)
    with pytest.raises(ContractViolation) as info:
        checks.expectation_met(reply, expect, "fr", {other: ["assumed-elsewhere"]})
    assert type(info.value) is ContractViolation
    with pytest.raises(Departure) as departed:
        checks.expectation_met(reply, expect, "fr", {part: ["some-assumption"]})
    assert departed.value.title == title
    assert departed.value.assumptions == ("some-assumption",)


def test_an_empty_raw_expectation_wants_an_empty_body() -> None:
    checks.expectation_met(_reply(b"", status=404), Expectation(status=404, raw=""), "fr")


def test_a_documented_failure_is_raised_before_a_departure() -> None:
    """The status rests on an assumption and departs; the code is documented and wrong: the
    code's violation is what the scenario reports."""
    reply = _reply(ERROR_4, status=404)
    with pytest.raises(ContractViolation) as info:
        checks.expectation_met(reply, Expectation(status=200, code=10), "fr", {"status": ["x"]})
    assert type(info.value) is ContractViolation
    assert info.value.title.startswith("Wrong control code")


def test_the_expected_code_needs_its_text_in_the_language_asked_for() -> None:
    """lang pins the text's language; None accepts any documented one."""
    en = spec.control_codes(spec.STATUS)[4].message["en"]
    reply = _reply(json.dumps({"success": False, "code": 4, "message": en}), status=404)
    checks.expectation_met(reply, Expectation(status=404, code=4), None)
    checks.expectation_met(reply, Expectation(status=404, code=4), "en")
    with pytest.raises(ContractViolation) as info:
        checks.expectation_met(reply, Expectation(status=404, code=4), "fr")
    assert info.value.expected == f"code 4, message one of {[FR_4]!r}"


def test_the_expected_code_needs_a_body_valid_for_its_operation() -> None:
    """The code part also checks the body against the schema its code selects."""
    reply = _reply(json.dumps({"success": False, "code": 4}), status=404)
    with pytest.raises(ContractViolation) as info:
        checks.expectation_met(reply, Expectation(status=404, code=4), "fr")
    assert info.value.title == "Body does not conform to message-status.error.schema.json"


def test_success_must_agree_with_each_success_code_of_the_catalogue(tmp_path: Path) -> None:
    """With two success codes (a catalogue may have them), the message names both."""
    shutil.copytree(spec.SCHEMA_DIR, tmp_path / "schemas")
    catalogue = tmp_path / "schemas" / "control-codes.me.json"
    data = json.loads(catalogue.read_text(encoding="utf-8"))
    data["codes"].append({**data["codes"][-1], "code": 201})
    catalogue.write_text(json.dumps(data), encoding="utf-8")
    with spec.use_contract(schemas=tmp_path / "schemas"):
        reply = _reply('{"success": false, "code": 201}', operation="me")
        violation = _fails(checks.error_code_documented, _exchange(reply))
    assert violation.expected == "success True exactly when code is 200 or 201"


def test_a_body_that_is_no_object_has_no_code() -> None:
    violation = _fails(checks.control_code_matches_request, _exchange(_reply("[4]"), expected=4))
    assert violation.received == "code None, message None"


def test_the_code_of_the_request_is_checked_in_the_targets_language() -> None:
    en = _coded(4, "en")
    checks.control_code_matches_request(_exchange(en, expected=4, target=_target(lang=None)))
    violation = _fails(
        checks.control_code_matches_request, _exchange(en, expected=4, target=_target(lang="fr"))
    )
    assert violation.expected == f"code 4, message one of {[FR_4]!r}"


def test_the_code_is_read_in_the_catalogue_of_the_operation_that_answered() -> None:
    """send's code 11 and its text: documented for send, where message-status has no 11."""
    text = spec.control_codes("send")[11].message["fr"]
    reply = _reply(json.dumps({"success": False, "code": 11, "message": text}), operation="send")
    checks.control_code_matches_request(_exchange(reply, expected=11))
    expected = oracle.Expected(10, frozenset({10, 11}), ("send-code-precedence",))
    violation = _fails(checks.control_code_matches_request, _exchange(reply, expected=expected))
    assert isinstance(violation, Departure) and violation.received == "code 11"


def test_formats_agree_compares_views_by_the_schema_of_each_body() -> None:
    """me's user has named children: two answers naming them differently differ, though
    their values are the same (an error schema would not see the names)."""
    me = {
        "success": True,
        "code": 200,
        "user": {"username": "ada"},
        "credits": {"creditSms": 1},
    }
    renamed = {**me, "user": {"lastname": "ada"}}
    mine = _reply(json.dumps(me), operation="me")
    twin = _reply(json.dumps(renamed), operation="me")
    violation = _fails(checks.formats_agree, _exchange(mine, twin=twin))
    assert violation.title == "application/json and application/json answers differ"
    checks.formats_agree(_exchange(mine, twin=_reply(json.dumps(me), operation="me")))


def test_the_known_message_id_is_compared_without_the_blanks_around_it() -> None:
    """Every blank the ledger may strip (NUL included) is ignored around messageId."""
    wrong = _status_of("0600000000", {"messageId": 1111, "statut": "Waiting"})
    target = _target(known=KNOWN)
    violation = _fails(
        checks.known_record_matches, _exchange(wrong, {"messageId": "\x001111\x0b"}, target=target)
    )
    assert violation.received == '{"statut": "Waiting"}'


def test_a_query_without_a_message_id_is_not_about_the_known_message() -> None:
    """Whatever the known message's id, a query with no messageId asks for no message."""
    target = _target(known=KnownMessage("XXXX", "+33600000000"))
    checks.known_record_matches(_exchange(_status_of("0700000000"), {}, target=target))
