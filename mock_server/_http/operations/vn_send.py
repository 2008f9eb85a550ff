"""POST /v1/vn/send: one SMS from the account's rented long number ('numéro virtuel').

Fields are to, from and message, matched case-sensitively (assumption 'vn-send-key-case'):
the Go client's APIKey/To/From/Message answer code 1, as they most plausibly do live. 'from'
must be the international form without '+' (assumption 'vn-send-from'), else code 44. The
recipient then has the lifecycle of any send (sending.py).
"""

from __future__ import annotations

import re

from aiohttp import web

from mock_server._domain import values
from mock_server._http import sending
from mock_server._http.operations import body_call, operation
from mock_server.contract import spec

VN = "vn-send"


@spec.cached
def _long_number() -> re.Pattern[str]:
    return re.compile(spec.schema(f"{VN}.body")["properties"]["from"]["pattern"])


@operation(
    VN,
    kinds=(
        "malformed-body",
        "invalid-sender",
        "invalid",
        *sending.BATCH_KINDS,
    ),
)
async def vn_send(request: web.Request) -> web.Response:
    """POST /v1/vn/send: one SMS from the account's rented long number."""
    call = await body_call(request, VN)
    store, data, params = call.state.store, call.data or {}, call.params
    to = params.get("to", "").strip()
    message = params.get("message", "")
    invalid = sending.field_problems(sending.blank(message), [to])
    batch = sending.Batch(
        store,
        [sending.Item(to, message)],
        sandbox=values.flag(data.get("sandbox")),
        urls=sending.callback_urls(params),
        owner=store.owner(params.get("apiKey", "")),
        tag=values.text(data.get("tag")),
    )
    code = call.decide(
        {
            "malformed-body": lambda _: call.data is None,
            "invalid-sender": lambda _: not _long_number().search(params.get("from", "")),
            "invalid": lambda _: bool(invalid),
            **batch.checks(),
        }
    )
    if code.shape == "errors":
        return sending.field_error_answer(call, code, invalid)
    if not code.success:
        return call.error(code)
    message_id, sent = batch.commit(store.clock.now(), call.state.webhooks.receipts)
    return call.ok(
        {"message_id": message_id, **sending.totals(sent), "currency": store.account.currency}
    )
