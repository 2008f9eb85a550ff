"""Property tests: queries generated from the schemas, every check run on every answer.

The oracle says which code each query must answer and which assumptions of the ledger that
rests on; a departure from those alone is settled by the `settle` fixture (reported, and a
failure only when held strict).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mock_server.contract import spec

from . import oracle
from .checks import Departures, Exchange, phone_forms_agree, run_checks
from .strategies import (
    Query,
    adversarial_queries,
    broken_queries,
    invalid_queries,
    valid_queries,
)
from .target import KnownMessage, Target

ERROR_CODES = [c.code for c in spec.control_codes().values() if not c.success]
Settle = Callable[[Callable[[], None]], None]


def exchange(
    target: Target,
    settle: Settle,
    query: Query,
    expected: oracle.Expected | None,
    *,
    twin: bool = False,
) -> None:
    """Send query (and its twin in the other format) and run every check."""
    reply = target.transport.get(query.raw())
    other = None
    if twin:
        other_format = "json" if query.response_format == "xml" else "xml"
        other = target.transport.get(query.with_format(other_format).raw())
    settle(lambda: run_checks(Exchange(query, reply, target, expected, other)))


def _expected(target: Target, query: Query) -> oracle.Expected:
    return oracle.expected(query.params(), target.api_key, target.known)


@given(data=st.data())
def test_known_message_is_found_in_every_form_and_format(
    target: Target, known: KnownMessage, settle: Settle, data: st.DataObject
) -> None:
    """A valid query finds the known message; its JSON and XML answers agree."""
    query = data.draw(valid_queries(target.api_key, known), label="query")
    exchange(target, settle, query, _expected(target, query), twin=True)


@pytest.mark.parametrize("code", ERROR_CODES)
@given(data=st.data())
def test_each_fault_yields_its_documented_code(
    target: Target, settle: Settle, code: int, data: st.DataObject
) -> None:
    """A query broken in the way a control code describes answers that code."""
    query = data.draw(invalid_queries(code, target.api_key, target.known), label="query")
    expected = _expected(target, query)
    assert expected.code == code, f"generator produced {query!r}, read as {expected.code}"
    exchange(target, settle, query, expected, twin=True)


@given(data=st.data())
def test_combined_faults_follow_the_documented_precedence(
    target: Target, settle: Settle, data: st.DataObject
) -> None:
    """When several faults apply, the code is one of theirs: the first in the precedence in
    force, or another one as a departure from it."""
    query = data.draw(broken_queries(target.api_key, target.known), label="query")
    exchange(target, settle, query, _expected(target, query))


@given(data=st.data())
@example(data=None)  # the explicit example runs first, and alone under the live profile
def test_hostile_queries_get_a_documented_answer(
    target: Target, settle: Settle, data: st.DataObject
) -> None:
    """Any unicode, long, repeated or unknown parameter gets a documented body, never a 5xx."""
    if data is None:
        query = Query((("apiKey", target.api_key), ("apiKey", "x"), ("messageId", "%zz")))
    else:
        query = data.draw(adversarial_queries(target.api_key), label="query")
    # a repeated parameter's value is not documented, so its code is not checked
    expected = None if query.repeated else _expected(target, query)
    exchange(target, settle, query, expected)


def test_every_phone_form_finds_the_same_message(
    target: Target, known: KnownMessage, settle: Settle
) -> None:
    """National, international, unencoded '+' and 00 forms answer the same body (which
    rests on the assumptions 'phone-formats' and 'number-echo'), the same in JSON and XML."""
    replies = {}
    expected = {}
    success = oracle.success_code()
    # a target that echoes the number asked for answers each form with its own 'number'
    ignore = ("number",) if spec.assumed("number-echo") == "request" else ()
    departures = Departures()
    for form, number in sorted(oracle.phone_forms(known.phone_number).items()):
        raw_plus = form == "unencoded-plus"
        query = Query(
            (
                ("apiKey", target.api_key),
                ("messageId", known.message_id),
                ("phoneNumber", "+" + number.lstrip() if raw_plus else number),
            ),
            raw_plus,
        )
        replies[form] = target.transport.get(query.raw())
        expected[form] = _expected(target, query).code
        twin = target.transport.get(query.with_format("xml").raw())
        exchange_ = Exchange(query, replies[form], target, _expected(target, query), twin)
        departures.run(lambda exchange_=exchange_: run_checks(exchange_))  # type: ignore[misc]
    found = {form: reply for form, reply in replies.items() if expected[form] == success}
    departures.run(lambda: phone_forms_agree(found, ignore), ["phone-formats", "number-echo"])
    settle(departures.settle)
