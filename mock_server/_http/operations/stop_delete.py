"""GET /v1/stop-sms/delete: take an entry off the STOP list by its id.

Sends to its number go through again from then on.
"""

from __future__ import annotations

from aiohttp import web

from mock_server._domain import values
from mock_server._http.operations import operation, query_call

DELETE = "stop-sms-delete"


@operation(DELETE, kinds=("unknown-stop",))
async def stop_sms_delete(request: web.Request) -> web.Response:
    """GET /v1/stop-sms/delete: take an entry off the STOP list by its id."""
    call = query_call(request, DELETE)
    stops = call.state.store.stops
    text = call.params.get("id", "").strip(values.blank())
    number = values.is_number(text) and len(text) <= values.MAX_INT_DIGITS
    found = stops.get(int(text)) if number else None
    code = call.decide({"unknown-stop": lambda _: found is None})
    if not code.success:
        return call.error(code)
    assert found is not None  # 'unknown-stop' comes before success
    stops.remove(found.id)
    return call.ok({})
