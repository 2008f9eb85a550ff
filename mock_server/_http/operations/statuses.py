"""GET /v1/bulk-status and POST /v1/multi-status: the statuses of many recipients at once.

bulk-status lists every recipient of one messageId; multi-status answers up to 500
(phoneNumber, messageId) pairs, each entry with a code of its own from the
multi-status-entry catalogue. Both give dates in epoch seconds ('bulk-multi-date-format').
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mock_server._domain import dates, decisions, values
from mock_server._http.operations import body_call, operation, query_call
from mock_server._http.state import MockState
from mock_server.contract import spec

BULK = "bulk-status"
MULTI = "multi-status"
ENTRY = "multi-status-entry"


@operation(BULK, kinds=("unknown-message",))
async def bulk_status(request: web.Request) -> web.Response:
    """GET /v1/bulk-status: every recipient of one messageId."""
    call = query_call(request, BULK)
    message_id = call.params.get("messageId", "").strip(values.blank())
    records = call.state.store.recipients(message_id)
    code = call.decide({"unknown-message": lambda _: not records})
    if not code.success:
        return call.error(code)
    entries = [
        {
            "phoneNumber": r["number"],
            "status": r["statut"],
            "stopSMS": r["stopSms"],
            "date": dates.render(r["date"], spec.assumed("bulk-multi-date-format")),
        }
        for r in records
    ]
    return call.ok({"message_id": message_id, "StatutResponse_List": entries})


def _entry(state: MockState, entry: Any) -> dict[str, Any]:
    """One entry of the answer, decided from the multi-status-entry catalogue."""
    fields = entry if isinstance(entry, Mapping) else {}
    phone = values.text(fields.get("phoneNumber"))
    message_id = values.text(fields.get("messageId")).strip(values.blank())
    found = phone.strip(values.blank()) and message_id
    record = state.store.find(message_id, phone) if found else None
    code = decisions.decide(
        decisions.Request(ENTRY, state.store, checks={"unknown-message": lambda _: record is None})
    )
    if record is None:
        return {
            "success": False,
            "code": code.code,
            "phoneNumber": phone,
            "messageId": int(message_id) if values.is_number(message_id) else message_id,
            "status": code.message[state.settings.lang],
        }
    return {
        "success": True,
        "code": code.code,
        "phoneNumber": record["number"],
        "messageId": int(record["messageId"]),
        "status": record["statut"],
        "date": dates.render(record["date"], spec.assumed("bulk-multi-date-format")),
        "stopSms": "1" if record["stopSms"] else "0",
        "isSpam": "0",
    }


@operation(
    MULTI,
    kinds=("malformed-body", "empty-list", "too-many"),
    catalogues={ENTRY: ("unknown-message",)},
)
async def multi_status(request: web.Request) -> web.Response:
    """POST /v1/multi-status: the status of up to 500 (phoneNumber, messageId) pairs."""
    call = await body_call(request, MULTI)
    listed = (call.data or {}).get("SMSStatut_List")
    entries = listed if isinstance(listed, list) else []
    code = call.decide(
        {
            "malformed-body": lambda _: call.data is None,
            "empty-list": lambda _: not entries,
            "too-many": lambda trigger: len(entries) > spec.rule(trigger["rule"]),
        }
    )
    if not code.success:
        return call.error(code)
    return call.ok({"StatutResponse_List": [_entry(call.state, entry) for entry in entries]})
