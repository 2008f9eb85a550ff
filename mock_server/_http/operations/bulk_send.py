"""POST /v1/bulk-send: one message text per recipient, one message_id for the batch.

SMSList holds {phoneNumber, message} items; the options are the single send's. Each
recipient becomes a message with its own lifecycle, as with POST /v1/send (sending.py), so
bulk-status, multi-status and message-status report it under the batch's message_id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mock_server._domain import phones, values
from mock_server._http import sending
from mock_server._http.operations import body_call, operation
from mock_server.contract import spec

BULK = "bulk-send"


def _items(entries: list[Any]) -> list[sending.Item]:
    """The SMSList items, a number's first item only (assumption 'duplicate-recipients')."""
    seen: dict[str, sending.Item] = {}
    for entry in entries:
        fields = entry if isinstance(entry, Mapping) else {}
        number = values.text(fields.get("phoneNumber")).strip()
        item = sending.Item(number, values.text(fields.get("message")))
        seen.setdefault(phones.canonical(number), item)
    return list(seen.values())


@operation(
    BULK,
    kinds=(
        "malformed-body",
        "empty-list",
        "too-many",
        "invalid",
        *sending.BATCH_KINDS,
    ),
)
async def bulk_send(request: web.Request) -> web.Response:
    """POST /v1/bulk-send: one message text per recipient, one message_id for the batch."""
    call = await body_call(request, BULK)
    store, data, params = call.state.store, call.data or {}, call.params
    listed = data.get("SMSList")
    entries = listed if isinstance(listed, list) else []
    items = _items(entries)
    now = store.clock.now()
    scheduled_at, problems = sending.schedule(params, now)
    invalid = sending.field_problems(
        any(sending.blank(item.message) for item in items),
        [item.number for item in items],
        params.get("sender", ""),
        problems,
    )
    batch = sending.Batch(
        store,
        items,
        unicode=values.flag(data.get("isUnicode")),
        sandbox=values.flag(data.get("sandbox")),
        scheduled_at=scheduled_at,
        urls=sending.callback_urls(params),
        owner=store.owner(params.get("apiKey", "")),
        tag=values.text(data.get("tag")),
    )
    code = call.decide(
        {
            "malformed-body": lambda _: call.data is None,
            "empty-list": lambda _: not entries,
            "too-many": lambda trigger: len(entries) > spec.rule(trigger["rule"]),
            "invalid": lambda _: bool(invalid),
            **batch.checks(),
        }
    )
    if code.shape == "errors":
        return sending.field_error_answer(call, code, invalid)
    if not code.success:
        return call.error(code)
    message_id, sent = batch.commit(now, call.state.webhooks.receipts)
    totals = sending.totals(sent)
    return call.ok(
        {
            "message_id": message_id,
            "currency": store.account.currency,
            "cost": totals["cost"],
            "nbSMS": totals["nb_sms"],
            "SMSResponse_List": [
                {
                    "success": True,
                    "code": code.code,
                    "nbSms": m.parts,
                    "cost": m.cost,
                    "phoneNumber": phones.canonical(m.number),
                }
                for m in sent
            ],
        }
    )
