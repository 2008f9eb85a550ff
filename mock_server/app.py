"""The application factory: routes, middlewares and state from one Settings value."""

from __future__ import annotations

from aiohttp import web

from . import handlers, spec
from .answers import AnswerCache
from .middlewares import contract_guard
from .settings import ANSWERS, SETTINGS, STORE, VIOLATIONS, Settings
from .state import Store


def create_app(settings: Settings | None = None) -> web.Application:
    """Build the mock. Loads and validates the fixtures; raises FixtureError if one is bad."""
    settings = settings or Settings()
    fixtures = spec.load_fixtures(settings.fixtures)
    app = web.Application(middlewares=[contract_guard])
    app[SETTINGS] = settings
    app[STORE] = Store(fixtures, settings.api_keys)
    app[VIOLATIONS] = []
    app[ANSWERS] = AnswerCache()
    app.router.add_get("/v1/message-status", handlers.message_status)
    return app
