"""What a test suite imports: the mock in a thread, the admin client, the pytest plugin.

The pytest plugin (`smspartner_mock` fixture) is registered by the package's entry point;
ServerThread and AdminClient serve tests that manage the mock themselves.
"""

from mock_server.testing.admin_client import AdminClient, AdminClientError
from mock_server.testing.server import ServerThread

__all__ = ["AdminClient", "AdminClientError", "ServerThread"]
