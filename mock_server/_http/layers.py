"""The mock's layers around every route: admin guard, journal, faults, and clear errors.

aiohttp middlewares would do this, but each one aiohttp runs costs a partial, a wrapper and a
layer of its own, which together took a third of the mock's throughput. So every route's
handler is wrapped once, when the route is registered (`layered`), and the router itself
answers every path and method (`finish_routes`): nothing is left for a middleware to catch.
Routing errors become clear bodies (`http_error`). A mock bug never passes silently: an
outbound body its schema rejects, or any exception a handler raises, is answered with a
500 that says so, logged with API keys redacted, and recorded in the MockState, where the
pytest plugin finds it and fails the test that caused it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import traceback
from functools import partial

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server._http import admin, faults, journal, query, rendering
from mock_server._http.journal import ADMIN_PREFIX
from mock_server._http.operations import respond
from mock_server._http.state import STATE, MockBug, MockState
from mock_server.contract import spec
from mock_server.errors import BodyViolation
from mock_server.redaction import redact_query, redact_text, secret_values

log = logging.getLogger("mock_server")


def http_error(request: web.Request, status: int, reason: str) -> web.Response:
    """A request outside the contract (unknown path, other method): the error shape, no 5xx."""
    if spec.assumed("undocumented-requests") == "html-error-page":
        page = spec.faults()["pages"].get(str(status), f"{status} {reason}")
        return web.Response(status=status, text=page, content_type="text/html")
    fmt = query.response_format(query.parse(request.rel_url.raw_query_string))
    payload = {**spec.constants(spec.HTTP_ERROR), "code": status, "message": reason}
    return respond(rendering.render(spec.HTTP_ERROR, payload, fmt), fmt, status)


def layered(handler: Handler, area: str = "any") -> Handler:
    """handler inside the mock's layers.

    area 'api' (a /v1 route): the journal around the faults, so it records which fault a
    request met; 'admin' (a /_mock/ route): the admin guard, never journalled nor faulted;
    'any' (the 404 and 405 routes): chosen by the path, and an /_mock/ path with the admin
    API switched off is neither guarded nor journalled.
    """

    async def run(request: web.Request) -> web.StreamResponse:
        # the app's calibration holds for this request alone: one process may serve several
        token = spec.set_overlay(request.app[STATE].settings.overlay)
        try:
            return await guarded(request)
        finally:
            spec.reset_overlay(token)

    async def guarded(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        try:
            if area == "api" or (area == "any" and not request.path.startswith(ADMIN_PREFIX)):
                # with no fault rule (the usual case) the fault layer is skipped altogether
                inner = (
                    partial(faults.inject, state.faults, handler=handler)
                    if state.faults.active
                    else handler
                )
                return await journal.record(state.journal, state.store.clock, request, inner)
            if state.settings.admin:
                return await admin.guard(request, handler)
            return await handler(request)
        except web.HTTPClientError as exc:  # 404 and 405 from finish_routes, 413 from a body
            response = http_error(request, exc.status, exc.reason)
            allow = exc.headers.get("Allow")
            if allow:
                response.headers["Allow"] = allow
            return response
        except BodyViolation as exc:
            state.violations.append(exc)
            log.error("mock bug: %s", exc)
            return web.Response(status=500, text=f"Mock bug: {exc}\n")
        except ConnectionError:  # the client went away: not the mock's fault
            raise
        except Exception as exc:  # anything else a handler raises is a bug of the mock
            bug = await _bug(request, state, exc)
            state.bugs.append(bug)
            log.error("mock bug: %s\n%s", bug, bug.traceback)
            return web.Response(status=500, text=f"Mock bug (please report it): {bug}\n")

    return run


async def _bug(request: web.Request, state: MockState, exc: Exception) -> MockBug:
    """The record of a handler's exception, with every API key and token it shows redacted."""
    secrets = {*state.store.api_keys, state.settings.admin_token or ""}
    secrets |= secret_values(query.parse(request.rel_url.raw_query_string))
    # the body was read already, if the handler got that far
    with contextlib.suppress(ValueError, RecursionError, web.HTTPException):
        secrets |= secret_values(json.loads(await request.read()))

    def clean(text: str) -> str:
        return redact_text(redact_query(text), secrets)

    return MockBug(
        method=request.method,
        path=clean(request.rel_url.raw_path_qs),
        type=type(exc).__name__,
        message=clean(str(exc)),
        traceback=clean("".join(traceback.format_exception(exc))),
    )


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
