"""What a test suite imports: the mock in a thread, the admin client, the pytest plugin.

The pytest plugin (`smspartner_mock` fixture) is registered by the package's entry point;
ServerThread and AdminClient serve tests that manage the mock themselves; serve_app runs a
test's own webhook handler (an aiohttp app) to receive the mock's callbacks.
"""

from mock_server.testing.admin_client import AdminClient, AdminClientError
from mock_server.testing.server import ServerThread, serve_app

__all__ = ["AdminClient", "AdminClientError", "ServerThread", "serve_app"]
