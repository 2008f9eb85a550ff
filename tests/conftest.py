"""Fixtures shared by the mock's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_server import ServerThread
from mock_server.testing.admin_client import AdminClient

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    """A mock for the module's tests; a test module may override it with other settings."""
    with ServerThread() as running:
        yield running
        assert not running.violations()


@pytest.fixture
def client(server: ServerThread) -> AdminClient:
    """An admin client of the module's mock, reset to its fixtures."""
    client = AdminClient(server.base_url)
    client.reset()
    return client
