"""Schemathesis hooks for this API: XML bodies, and control codes carried in the body.

Load with SCHEMATHESIS_HOOKS=contract_tests.schemathesis_hooks. SMS Partner answers errors
with HTTP 200 and {"success": false, "code": N}; Schemathesis judges by HTTP status, so after
each call the status is set to the code's http_status from the control-code catalogue
of its operation (schemas/control-codes*.json), the status the mock itself uses with
--error-status 4xx.

With SMSPARTNER_API_KEY (and SMSPARTNER_MESSAGE_ID, SMSPARTNER_PHONE_NUMBER) set, a valid
generated query is also tried with that key (and that message), so that the success path
and the unknown-message path are reached, not only the unknown-key answer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import schemathesis
from hypothesis import strategies as st

from mock_server.contract import spec

from .bodies import body_schema, decode_xml, operation_at


@schemathesis.deserializer("application/xml")
def positional_xml(ctx: schemathesis.DeserializationContext, response: Any) -> Any:
    """The documented positional XML, checked here and handed on as the string it is.

    openapi.json describes an XML answer as a string whose layout its description spells
    out; so the check is made here: decoded by the schemas of the case's operation into its
    JSON equivalent, the body must fit its body schema, or deserialization fails with the
    reason.
    """
    operation = operation_at(ctx.operation.method, ctx.operation.path)
    body = decode_xml(response.content, operation)
    name = body_schema(operation, body)
    problem = spec.first_error(name, body)
    if problem:
        path, reason = problem
        raise ValueError(f"XML answer does not fit {name} at {path}: {reason}")
    return response.content.decode("utf-8")


def _body(response: Any, operation: str | None) -> Any:
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    if media_type == spec.MEDIA_TYPES["xml"]:
        return decode_xml(response.content, operation)
    return json.loads(response.content)


@schemathesis.hook
def after_call(ctx: schemathesis.HookContext, case: schemathesis.Case[Any], response: Any) -> None:
    """Give a documented error body the HTTP status of its control code."""
    operation = operation_at(case.method, case.path)
    if response.status_code != 200 or operation is None:
        return
    try:
        body = _body(response, operation)
    except ValueError:
        return  # left for the response checks to report
    code = body.get("code") if isinstance(body, Mapping) else None
    documented = spec.control_codes(operation).get(code) if type(code) is int else None
    if documented is not None and body.get("success") is False:
        response.status_code = documented.http_status


# Whether a schema-valid send is accepted depends on the clock (a scheduled date must be
# ahead), the credit left, the STOP list and the recipient's country, which no schema can
# state; so sends keep their generated key and are answered 401 (code 10). So do the
# operations whose answer to a valid request depends on what earlier requests used up or
# created: HLR credits, balances, taken emails, and the 5-a-minute statistics limit. The
# scenarios cover them.
KEEP_GENERATED_KEY = frozenset(
    {
        "send",
        "bulk-send",
        "vn-send",
        "hlr-notify",
        "subaccount-create",
        "subaccount-credit-add",
        "subaccount-credit-remove",
        "statistics-cost-resume",
    }
)


def _known_variants(ctx: schemathesis.HookContext, value: Any, part: str) -> st.SearchStrategy[Any]:
    """A valid generated value as is, with the known key, and with the known message too."""
    key = os.environ.get("SMSPARTNER_API_KEY")
    if ctx.operation is None:  # a hook run outside an operation: nothing to fill in
        return st.just(value)
    operation_id = operation_at(ctx.operation.method, ctx.operation.path)
    operation = next((op for op in spec.operations() if op.id == operation_id), None)
    if operation is None or operation_id in KEEP_GENERATED_KEY:
        return st.just(value)
    schema_name = operation.query if part == "query" else operation.body
    if not key or not schema_name or not isinstance(value, dict):
        return st.just(value)
    if spec.first_error(schema_name, value):
        return st.just(value)  # negative cases stay as generated
    with_key = {**value, "apiKey": key}
    known = {
        "messageId": os.environ.get("SMSPARTNER_MESSAGE_ID"),
        "phoneNumber": os.environ.get("SMSPARTNER_PHONE_NUMBER"),
    }
    names = spec.schema(schema_name).get("properties", {})
    with_message = {**with_key, **{k: v for k, v in known.items() if v and k in names}}
    return st.sampled_from([value, with_key, with_message])


@schemathesis.hook
def flatmap_query(ctx: schemathesis.HookContext, query: Any) -> st.SearchStrategy[Any]:
    """Queries also carry the known key and message, so success paths are reached."""
    return _known_variants(ctx, query, "query")


@schemathesis.hook
def flatmap_body(ctx: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    """JSON bodies also carry the known key, so sends and multi-status lookups succeed."""
    return _known_variants(ctx, body, "body")
