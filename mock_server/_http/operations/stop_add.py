"""POST /v1/stop-sms/add: put one number on the STOP list, and answer the id of its entry.

The number is read from 'phoneNumber' only (assumption 'stop-sms-add-field'); a number
listed already answers code 3 (assumption 'stop-sms-add-duplicate'). A full list is the
mock's limit, not the API's: it answers 409 in the shape of a request outside the contract.
"""

from __future__ import annotations

from aiohttp import web

from mock_server._domain import values
from mock_server._http import sending
from mock_server._http.operations import body_call, operation
from mock_server.errors import StoreFull

ADD = "stop-sms-add"


@operation(ADD, kinds=("invalid", "already-listed"))
async def stop_sms_add(request: web.Request) -> web.Response:
    """POST /v1/stop-sms/add: put one number on the STOP list."""
    call = await body_call(request, ADD)
    store = call.state.store
    number = call.params.get("phoneNumber", "").strip(values.blank())
    code = call.decide(
        {
            "invalid": lambda _: not sending.valid_number(number),
            "already-listed": lambda _: store.stops.find(number) is not None,
        }
    )
    if not code.success:
        return call.error(code)
    try:
        stop = store.stops.add(number, store.clock.now())
    except StoreFull as exc:
        raise web.HTTPConflict(reason=str(exc)) from exc
    return call.ok({"stopId": stop.id})
