"""The application factory: routes, middlewares and state from one Settings value."""

from __future__ import annotations

from aiohttp import web

from . import admin, endpoints, faults, handlers, spec
from .journal import JOURNAL, Journal, record
from .middlewares import contract_guard
from .settings import SETTINGS, STORE, VIOLATIONS, Settings
from .state import Store


def create_app(settings: Settings | None = None) -> web.Application:
    """Build the mock. Loads and validates the fixtures; raises FixtureError if one is bad."""
    settings = settings or Settings()
    fixtures = spec.load_fixtures(settings.fixtures)
    # contract_guard outermost so that a 404/405 is still journalled; faults innermost so
    # that the journal records which fault a request met.
    middlewares = [contract_guard, record, faults.inject]
    if settings.admin:
        middlewares.insert(0, admin.guard)
    app = web.Application(middlewares=middlewares)
    app[SETTINGS] = settings
    app[STORE] = Store(fixtures, settings.api_keys, delivery_delay=settings.delivery_delay)
    app[VIOLATIONS] = []
    app[JOURNAL] = Journal(settings.journal_size)
    faults.setup(app)
    app.router.add_get("/v1/message-status", handlers.message_status)
    endpoints.add_routes(app)
    if settings.admin:
        admin.add_routes(app)
    return app
