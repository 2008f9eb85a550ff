"""The mock's layers around every route: admin guard, journal, faults, and clear errors.

aiohttp middlewares would do this, but each one aiohttp runs costs a partial, a wrapper and a
layer of its own, which together took a third of the mock's throughput. So every route's
handler is wrapped once, when the route is registered (`layered`), and the router itself
answers every path and method (`finish_routes`): nothing is left for a middleware to catch.
Routing errors become clear bodies, and outbound schema violations become a recorded,
visible mock bug instead of a silently wrong answer.
"""

from __future__ import annotations

import logging
from functools import partial

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server._http import admin, faults, journal
from mock_server._http.handlers import http_error
from mock_server._http.journal import ADMIN_PREFIX
from mock_server.errors import BodyViolation
from mock_server.settings import SETTINGS, VIOLATIONS

log = logging.getLogger("mock_server")


def layered(handler: Handler, area: str = "any") -> Handler:
    """handler inside the mock's layers.

    area 'api' (a /v1 route): the journal around the faults, so it records which fault a
    request met; 'admin' (a /_mock/ route): the admin guard, never journalled nor faulted;
    'any' (the 404 and 405 routes): chosen by the path, and an /_mock/ path with the admin
    API switched off is neither guarded nor journalled.
    """
    faulted = partial(faults.inject, handler=handler)

    async def run(request: web.Request) -> web.StreamResponse:
        try:
            if area == "api" or (area == "any" and not request.path.startswith(ADMIN_PREFIX)):
                # with no fault rule (the usual case) the fault layer is skipped altogether
                active = request.app[faults.FAULTS].active
                return await journal.record(request, faulted if active else handler)
            if request.app[SETTINGS].admin:
                return await admin.guard(request, handler)
            return await handler(request)
        except web.HTTPClientError as exc:  # 404 and 405 from finish_routes, 413 from a body
            response = http_error(request, exc.status, exc.reason)
            allow = exc.headers.get("Allow")
            if allow:
                response.headers["Allow"] = allow
            return response
        except BodyViolation as exc:
            request.app[VIOLATIONS].append(exc)
            log.error("mock bug: %s", exc)
            return web.Response(status=500, text=f"Mock bug: {exc}\n")

    return run


async def _not_found(request: web.Request) -> web.StreamResponse:
    raise web.HTTPNotFound()


def _method_not_allowed(allowed: list[str]) -> Handler:
    async def refuse(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMethodNotAllowed(request.method, allowed)

    return refuse


def finish_routes(app: web.Application) -> None:
    """Answer every other method of a known path with 405, and any other path with 404."""
    for resource in list(app.router.resources()):
        assert isinstance(resource, web.Resource)  # every route here has a plain path
        allowed = sorted({route.method for route in resource})
        resource.add_route("*", layered(_method_not_allowed(allowed)))
    app.router.add_route("*", "/{tail:.*}", layered(_not_found))
