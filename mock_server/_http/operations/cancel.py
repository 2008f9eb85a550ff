"""GET /v1/message-cancel: cancel a scheduled send, at least 5 minutes ahead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mock_server._domain import values
from mock_server._http.operations import operation, query_call
from mock_server.contract import spec

CANCEL = "message-cancel"


@operation(
    CANCEL, kinds=("unknown-message", "already-cancelled", "already-sent", "too-late-to-cancel")
)
async def message_cancel(request: web.Request) -> web.Response:
    """GET /v1/message-cancel: cancel a scheduled send, at least 5 minutes ahead."""
    call = query_call(request, CANCEL)
    store = call.state.store
    message_id = call.params.get("messageId", "").strip(values.blank())
    sent = store.outbox.recipients(message_id)
    now = store.clock.now()
    # a message sent without a schedule answers the code the ledger says (7: already sent)
    unscheduled = spec.assumed("cancel-unscheduled")
    code = call.decide(
        {
            "unknown-message": lambda _: not store.recipients(message_id),
            "already-cancelled": lambda _: bool(sent) and sent[0].cancelled_at is not None,
            # a fixture message has left already
            "already-sent": lambda trigger: (
                not sent
                or (
                    sent[0].start <= now
                    and (sent[0].scheduled_at is not None or unscheduled == _code(trigger))
                )
            ),
            "too-late-to-cancel": lambda t: sent[0].start - now < spec.rule(t["rule"]),
        }
    )
    if not code.success:
        return call.error(code)
    store.outbox.cancel(message_id, now)
    return call.ok({"message": code.message[call.state.settings.lang]})


def _code(trigger: Mapping[str, Any]) -> int:
    """The code of a trigger of the cancel catalogue."""
    return next(c.code for c in spec.control_codes(CANCEL).values() if c.trigger == trigger)
