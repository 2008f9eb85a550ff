"""A local fake of SMS Partner's GET /v1/message-status, driven by the JSON Schemas in schemas/."""

from .app import create_app
from .runner import ServerThread
from .settings import Settings

__all__ = ["ServerThread", "Settings", "create_app"]
