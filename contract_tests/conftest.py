"""Targets, options and profiles for the contract suite.

By default the suite starts the bundled mock in-process (background thread, port 0).
--base-url URL --api-key KEY (or SMSPARTNER_BASE_URL, SMSPARTNER_API_KEY) points it at any
running server instead; that target only ever receives read-only GETs (message-status,
stop-sms/list, subaccount/list, bulk-status-by-tag, statistics/cost-resume; POST /lookup
with --live-lookup), throttled and within a request budget, and its API key is scrubbed from
every report.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Generator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, Phase, settings

from mock_server import Settings
from mock_server.contract import spec
from mock_server.redaction import redact_text
from mock_server.testing import ServerThread

from .target import KnownMessage, Target
from .transport import LOOKUP, READ_ONLY, BudgetExhausted, Transport

settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Remote targets: few examples, explicit ones first, no deadline, nothing replayed from disk.
settings.register_profile(
    "live",
    max_examples=5,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


def _env_default(name: str, fallback: str | None = None) -> str | None:
    return os.environ.get(name) or fallback


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smspartner", "SMS Partner contract suite")
    group.addoption(
        "--base-url",
        default=_env_default("SMSPARTNER_BASE_URL"),
        help="test this server, e.g. https://api.smspartner.fr/v1 (env SMSPARTNER_BASE_URL); "
        "default: the bundled mock, started in-process",
    )
    group.addoption(
        "--api-key",
        default=_env_default("SMSPARTNER_API_KEY"),
        help="an API key the target accepts (env SMSPARTNER_API_KEY); never printed",
    )
    group.addoption(
        "--message-id",
        default=_env_default("SMSPARTNER_MESSAGE_ID"),
        help="a messageId the target holds, for success-path checks (env SMSPARTNER_MESSAGE_ID)",
    )
    group.addoption(
        "--phone-number",
        default=_env_default("SMSPARTNER_PHONE_NUMBER"),
        help="the phone number of that message (env SMSPARTNER_PHONE_NUMBER)",
    )
    group.addoption(
        "--rate",
        type=float,
        default=None,
        help="max requests per second to a remote target (default 5; 0 = unthrottled, the "
        "default for loopback)",
    )
    group.addoption(
        "--max-requests",
        type=int,
        default=int(_env_default("SMSPARTNER_MAX_REQUESTS", "400") or 400),
        help="total request budget for a remote target (default 400)",
    )
    group.addoption(
        "--live-lookup",
        action="store_true",
        default=False,
        help="also send POST /v1/lookup to a remote target (free, but 360 requests a minute); "
        "other writes are never sent",
    )
    group.addoption(
        "--conformance-report",
        default=None,
        metavar="PATH",
        help="probe the assumption ledger against the target and write PATH.json and PATH.md",
    )


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    remote = config.getoption("--base-url")
    profile = os.environ.get("HYPOTHESIS_PROFILE") or ("live" if remote else "dev")
    if remote and not _is_loopback(remote):
        profile = "live"  # never more than a few examples against a real provider
    settings.load_profile(profile)
    if remote and not config.getoption("--api-key"):
        raise pytest.UsageError(
            "--base-url needs an API key the target accepts: pass --api-key KEY or set "
            "SMSPARTNER_API_KEY"
        )


def _mock_target(server: ServerThread) -> Target:
    record = spec.load_fixtures(server.settings.fixtures).messages[0]
    api_key = sorted(server.api_keys)[0]
    return Target(
        base_url=server.base_url,
        api_key=api_key,
        kind="mock",
        lang=server.settings.lang,
        known=KnownMessage(record["messageId"], record["number"], record),
        transport=Transport(server.base_url, secrets=(api_key,)),
    )


@pytest.fixture(scope="session")
def make_mock() -> Iterator[Callable[..., Target]]:
    """Factory: a running bundled mock for given Settings fields, one per distinct set."""
    servers: dict[Settings, ServerThread] = {}

    def make(**fields: Any) -> Target:
        # the documented rate limits only where a test asks (scenarios with settings)
        wanted = Settings(**{"access_log": False, "rate_limits": False, **fields})
        if wanted not in servers:
            servers[wanted] = ServerThread(wanted).start()
        return _mock_target(servers[wanted])

    yield make
    for server in servers.values():
        server.stop()
        assert not server.violations(), server.violations()


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config, make_mock: Callable[..., Target]) -> Target:
    """The server under test: --base-url, or the bundled mock."""
    base_url = pytestconfig.getoption("--base-url")
    if not base_url:
        return make_mock()
    api_key = pytestconfig.getoption("--api-key")
    loopback = _is_loopback(base_url)
    rate = pytestconfig.getoption("--rate")
    message_id = pytestconfig.getoption("--message-id")
    phone = pytestconfig.getoption("--phone-number")
    return Target(
        base_url=base_url,
        api_key=api_key,
        kind="remote",
        lang=None,
        known=KnownMessage(message_id, phone) if message_id and phone else None,
        transport=Transport(
            base_url,
            guarded=True,
            rate=(0.0 if loopback else 5.0) if rate is None else rate,
            budget=pytestconfig.getoption("--max-requests"),
            secrets=(api_key,),
            allowed=READ_ONLY | ({LOOKUP} if pytestconfig.getoption("--live-lookup") else set()),
        ),
    )


@pytest.fixture(scope="session")
def known(target: Target) -> KnownMessage:
    """The message the target is known to hold; skips the test when none is configured."""
    if target.known is None:
        pytest.skip(
            "needs a message the target holds: set SMSPARTNER_MESSAGE_ID and "
            "SMSPARTNER_PHONE_NUMBER (or --message-id and --phone-number)"
        )
    return target.known


@pytest.fixture(autouse=True)
def _skip_mock_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("mock_only") and "target" in request.fixturenames:
        kind = request.getfixturevalue("target").kind
        if kind != "mock":
            pytest.skip(f"needs the bundled mock; the target is {kind}")


def _secrets(config: pytest.Config) -> list[str]:
    key = config.getoption("--api-key")
    return [key] if key else []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Scrub the target's API key from failure reports and captured output."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(BudgetExhausted):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {call.excinfo.value}")
        return
    secrets = _secrets(item.config)
    if not secrets:
        return
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        path, line, reason = report.longrepr
        report.longrepr = (path, line, redact_text(reason, secrets))
    elif report.longrepr is not None:
        report.longrepr = redact_text(str(report.longrepr), secrets)
    report.sections = [(title, redact_text(text, secrets)) for title, text in report.sections]
