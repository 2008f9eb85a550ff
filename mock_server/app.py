"""The application factory: routes, middlewares and state from one Settings value."""

from __future__ import annotations

from aiohttp import web

from . import endpoints, handlers, spec
from .middlewares import contract_guard
from .settings import SETTINGS, STORE, VIOLATIONS, Settings
from .state import Store


def create_app(settings: Settings | None = None) -> web.Application:
    """Build the mock. Loads and validates the fixtures; raises FixtureError if one is bad."""
    settings = settings or Settings()
    fixtures = spec.load_fixtures(settings.fixtures)
    app = web.Application(middlewares=[contract_guard])
    app[SETTINGS] = settings
    app[STORE] = Store(fixtures, settings.api_keys, delivery_delay=settings.delivery_delay)
    app[VIOLATIONS] = []
    app.router.add_get("/v1/message-status", handlers.message_status)
    endpoints.add_routes(app)
    return app
