"""Property tests: queries generated from the schemas, every check run on every answer."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mock_server.contract import spec

from . import oracle
from .checks import Exchange, phone_forms_agree, run_checks
from .strategies import (
    Query,
    adversarial_queries,
    broken_queries,
    invalid_queries,
    valid_queries,
)
from .target import KnownMessage, Target

ERROR_CODES = [c.code for c in spec.control_codes().values() if not c.success]


def exchange(target: Target, query: Query, expected: int | None, *, twin: bool = False) -> None:
    """Send query (and its twin in the other format) and run every check."""
    reply = target.transport.get(query.raw())
    other = None
    if twin:
        other_format = "json" if query.response_format == "xml" else "xml"
        other = target.transport.get(query.with_format(other_format).raw())
    run_checks(Exchange(query, reply, target, expected, other))


@given(data=st.data())
def test_known_message_is_found_in_every_form_and_format(
    target: Target, known: KnownMessage, data: st.DataObject
) -> None:
    """A valid query finds the known message; its JSON and XML answers agree."""
    query = data.draw(valid_queries(target.api_key, known), label="query")
    exchange(target, query, oracle.success_code(), twin=True)


@pytest.mark.parametrize("code", ERROR_CODES)
@given(data=st.data())
def test_each_fault_yields_its_documented_code(
    target: Target, code: int, data: st.DataObject
) -> None:
    """A query broken in the way a control code describes answers that code."""
    query = data.draw(invalid_queries(code, target.api_key), label="query")
    expected = oracle.expected_code(query.params(), target.api_key, target.known)
    assert expected == code, f"generator produced {query!r}, which the oracle reads as {expected}"
    exchange(target, query, code, twin=True)


@given(data=st.data())
def test_combined_faults_follow_the_documented_precedence(
    target: Target, data: st.DataObject
) -> None:
    """When several faults apply, the code is the first in the documented precedence."""
    query = data.draw(broken_queries(target.api_key, target.known), label="query")
    exchange(target, query, oracle.expected_code(query.params(), target.api_key, target.known))


@given(data=st.data())
@example(data=None)  # the explicit example runs first, and alone under the live profile
def test_hostile_queries_get_a_documented_answer(target: Target, data: st.DataObject) -> None:
    """Any unicode, long, repeated or unknown parameter gets a documented body, never a 5xx."""
    if data is None:
        query = Query((("apiKey", target.api_key), ("apiKey", "x"), ("messageId", "%zz")))
    else:
        query = data.draw(adversarial_queries(target.api_key), label="query")
    # a repeated parameter's value is not documented, so its code is not checked
    expected = (
        None
        if query.repeated
        else oracle.expected_code(query.params(), target.api_key, target.known)
    )
    exchange(target, query, expected)


def test_every_phone_form_finds_the_same_message(target: Target, known: KnownMessage) -> None:
    """National, international, unencoded '+' and 00 forms answer the same body."""
    replies = {}
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
        run_checks(Exchange(query, replies[form], target, oracle.success_code()))
    phone_forms_agree(replies)
