"""Middlewares: turn routing errors into clear bodies, and outbound schema violations into
a recorded, visible mock bug instead of a silently wrong answer."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from .errors import BodyViolation
from .handlers import http_error
from .settings import VIOLATIONS

log = logging.getLogger("mock_server")


@web.middleware
async def contract_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPClientError as exc:  # the router's 404 and 405
        response = http_error(request, exc.status, exc.reason)
        allow = exc.headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
        return response
    except BodyViolation as exc:
        request.app[VIOLATIONS].append(exc)
        log.error("mock bug: %s", exc)
        return web.Response(status=500, text=f"Mock bug: {exc}\n")
