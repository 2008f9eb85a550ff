"""The application factory: state, routes and their layers from one Settings value."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from mock_server._http import admin, operations
from mock_server._http.layers import finish_routes, layered
from mock_server._http.state import STATE, MockState
from mock_server.contract import spec
from mock_server.settings import Settings


def create_app(settings: Settings | None = None) -> web.Application:
    """Build the mock from the contract (schemas/operations.json and the catalogues).

    Raises FixtureError if a fixture is bad, SpecError if an operation has no handler or a
    catalogue names a trigger kind no handler implements.
    """
    settings = settings or Settings()
    registered = operations.registry()
    with spec.use_overlay(settings.overlay):
        operations.check(registered)
        state = MockState(settings, spec.load_fixtures(settings.fixtures))
    app = web.Application()
    app[STATE] = state
    app.on_shutdown.append(partial(_wake, state))
    app.on_startup.append(state.webhooks.start)
    app.on_cleanup.append(state.webhooks.stop)
    # add_get also answers HEAD, as the live server's framework does
    add = {"GET": app.router.add_get, "POST": app.router.add_post, "DELETE": app.router.add_delete}
    for operation in spec.operations():
        handler = registered[operation.id].handler
        add[operation.method](f"/v1{operation.path}", layered(handler, "api"))
    if settings.admin:
        admin.add_routes(app, partial(layered, area="admin"))
    finish_routes(app)
    return app


async def _wake(state: MockState, app: web.Application) -> None:
    """Waiting faults (latency, no-answer) end at once when the server shuts down."""
    state.faults.stopping.set()
