"""The application factory: routes, middlewares and state from one Settings value."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from mock_server._domain.store import Store
from mock_server._http import admin, endpoints, faults, handlers
from mock_server._http.answers import AnswerCache
from mock_server._http.journal import JOURNAL, Journal
from mock_server._http.layers import finish_routes, layered
from mock_server.contract import spec
from mock_server.settings import ANSWERS, SETTINGS, STORE, VIOLATIONS, Settings


def create_app(settings: Settings | None = None) -> web.Application:
    """Build the mock. Loads and validates the fixtures; raises FixtureError if one is bad."""
    settings = settings or Settings()
    fixtures = spec.load_fixtures(settings.fixtures)
    app = web.Application()
    app[SETTINGS] = settings
    app[STORE] = Store(
        fixtures,
        settings.api_keys,
        delivery_delay=settings.delivery_delay,
        max_messages=settings.max_messages,
    )
    app[VIOLATIONS] = []
    app[ANSWERS] = AnswerCache()
    app[JOURNAL] = Journal(settings.journal_size)
    faults.setup(app)
    # add_get also answers HEAD, as the live server's framework does
    add = {"GET": app.router.add_get, "POST": app.router.add_post}
    handlers_of = {**handlers.HANDLERS, **endpoints.HANDLERS}
    for operation in spec.operations():
        add[operation.method](f"/v1{operation.path}", layered(handlers_of[operation.id], "api"))
    endpoints.check_triggers()
    if settings.admin:
        admin.add_routes(app, partial(layered, area="admin"))
    finish_routes(app)
    return app
