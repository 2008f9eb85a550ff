"""GET /v1/me: the account and its credits, less what the sends so far cost.

A sub-account's key answers the sub-account's own: its email and balance (assumption
'subaccount-credentials').
"""

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
    user, credits = store.me(store.owner(call.params.get("apiKey", "")))
    return call.ok({"user": user, "credits": credits})
