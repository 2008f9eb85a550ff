"""GET /v1/stop-sms/list: every number on the STOP list, oldest first."""

from __future__ import annotations

from aiohttp import web

from mock_server._http.operations import operation, query_call

LIST = "stop-sms-list"


@operation(LIST)
async def stop_sms_list(request: web.Request) -> web.Response:
    """GET /v1/stop-sms/list: every number on the STOP list, oldest first."""
    call = query_call(request, LIST)
    code = call.decide()
    if not code.success:
        return call.error(code)
    data = [stop.view() for stop in call.state.store.stops]
    return call.ok({"nbData": len(data), "data": data})
