"""Targets and profiles for the contract suite.

By default the suite starts the bundled mock in-process (background thread, port 0).
Scenarios that need other mock settings get a mock of their own, started once per session.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings

from mock_server import ServerThread, Settings

from .transport import Transport

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@dataclass(frozen=True)
class Target:
    """A server under test: its base URL, an API key it accepts, and what it is."""

    base_url: str
    api_key: str
    kind: str  # "mock" (bundled, in-process) or "remote"
    lang: str | None  # the language its messages are known to be in, if known

    @property
    def transport(self) -> Transport:
        return Transport(self.base_url)


def _mock_target(server: ServerThread) -> Target:
    return Target(
        base_url=server.base_url,
        api_key=sorted(server.api_keys)[0],
        kind="mock",
        lang=server.settings.lang,
    )


@pytest.fixture(scope="session")
def make_mock() -> Iterator[Callable[..., Target]]:
    """Factory: a running bundled mock for given Settings fields, one per distinct set."""
    servers: dict[Settings, ServerThread] = {}

    def make(**fields: str) -> Target:
        wanted = Settings(access_log=False, **fields)  # type: ignore[arg-type]
        if wanted not in servers:
            servers[wanted] = ServerThread(wanted).start()
        return _mock_target(servers[wanted])

    yield make
    for server in servers.values():
        server.stop()
        assert not server.violations(), server.violations()


@pytest.fixture(scope="session")
def target(make_mock: Callable[..., Target]) -> Target:
    """The server under test."""
    return make_mock()


@pytest.fixture(autouse=True)
def _skip_mock_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("mock_only") and "target" in request.fixturenames:
        kind = request.getfixturevalue("target").kind
        if kind != "mock":
            pytest.skip(f"needs the bundled mock; the target is {kind}")
