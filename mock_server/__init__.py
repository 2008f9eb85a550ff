"""A local fake of the SMS Partner API (api.smspartner.fr/v1), driven by the JSON Schemas
in schemas/: create_app(Settings(...)) builds it; mock_server.testing runs it in tests;
mock_server.contract reads the contract it serves.
"""

from mock_server._http.app import create_app
from mock_server.errors import BodyViolation, FixtureError, MockServerError, SpecError
from mock_server.settings import Settings
from mock_server.testing import AdminClient, ServerThread

__all__ = [
    "AdminClient",
    "BodyViolation",
    "FixtureError",
    "MockServerError",
    "ServerThread",
    "Settings",
    "SpecError",
    "create_app",
]
