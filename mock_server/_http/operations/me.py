"""GET /v1/me: the account and its credits, less what the sends so far cost."""

from __future__ import annotations

from aiohttp import web

from mock_server._http.operations import operation, query_call

ME = "me"


@operation(ME)
async def me(request: web.Request) -> web.Response:
    """GET /v1/me: the account and its credits, less what the sends so far cost."""
    call = query_call(request, ME)
    code = call.decide()
    if not code.success:
        return call.error(code)
    store = call.state.store
    credits = store.account.credits(store.outbox.totals, store.outbox.to_send(store.clock.now()))
    return call.ok({"user": dict(store.account.user), "credits": credits})
