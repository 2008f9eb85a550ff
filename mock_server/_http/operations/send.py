"""POST /v1/send: each recipient becomes a message with its own lifecycle.

The body's fields are read as PHP would read them; field problems (the message, each
number, the sender, the schedule) make the code-9 body, whose texts are the 'validation'
section of the send catalogue; a number on the STOP list refuses the whole send (code 14,
assumption 'stop-list-send'). What every send shares is in sending.py: sent messages go to
the store's outbox, their statuses are computed from the clock (lifecycle.status_at), and
those sent with urlDlr get their delivery receipts scheduled (webhooks.receipts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from mock_server._domain import dates, phones, values
from mock_server._http import sending
from mock_server._http.operations import body_call, operation
from mock_server.contract import spec

SEND = "send"


def _recipients(raw: str) -> list[str]:
    """The numbers of phoneNumbers, trimmed, in order: each E.164 form once, or every
    occurrence (assumption 'duplicate-recipients')."""
    numbers = [n for n in (n.strip() for n in raw.split(",")) if n]
    if spec.assumed("duplicate-recipients") == "each":
        return numbers
    seen: dict[str, str] = {}
    for number in numbers:
        seen.setdefault(phones.canonical(number), number)
    return list(seen.values())


@operation(
    SEND,
    kinds=(
        "malformed-body",
        "too-many",
        "invalid",
        *sending.BATCH_KINDS,
    ),
)
async def send(request: web.Request) -> web.Response:
    """POST /v1/send: each recipient becomes a message with its own lifecycle."""
    call = await body_call(request, SEND)
    store, data, params = call.state.store, call.data or {}, call.params
    numbers = _recipients(params.get("phoneNumbers", ""))
    if "phoneNumbers" in params:  # absent stays absent, whatever counts as missing
        params["phoneNumbers"] = ",".join(numbers)
    now = store.clock.now()
    scheduled_at, problems = sending.schedule(params, now)
    message = params.get("message", "")
    # given but holding no number (only when a calibration counts '' as given): not a send
    # to nobody, but one invalid number, as PHP's explode(',', '') gives ['']
    listed = (numbers or [params["phoneNumbers"]]) if "phoneNumbers" in params else numbers
    invalid = sending.field_problems(
        sending.blank(message), listed, params.get("sender", ""), problems
    )
    batch = sending.Batch(
        store,
        [sending.Item(number, message) for number in numbers],
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
            "too-many": lambda trigger: len(numbers) > spec.rule(trigger["rule"]),
            "invalid": lambda _: bool(invalid),
            **batch.checks(),
        }
    )
    if code.shape == "errors":
        return sending.field_error_answer(call, code, invalid)
    if not code.success:
        return call.error(code)
    message_id, sent = batch.commit(now, call.state.webhooks.receipts)
    answer: dict[str, Any] = {
        "message_id": message_id,
        **sending.totals(sent),
        "currency": store.account.currency,
    }
    if scheduled_at is not None:
        local = datetime.fromtimestamp(scheduled_at, dates.zone())
        answer["scheduledDeliveryDate"] = local.strftime(spec.rule("scheduled-answer-format"))
    return call.ok(answer)
