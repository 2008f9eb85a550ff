"""Targets, options and profiles for the contract suite.

By default the suite starts the bundled mock in-process (background thread, port 0).
--base-url URL --api-key KEY (or SMSPARTNER_BASE_URL, SMSPARTNER_API_KEY) points it at any
running server instead; that target only ever receives read-only requests (message-status,
bulk-status, me, multi-status, stop-sms/list, subaccount/list, bulk-status-by-tag,
statistics/cost-resume; POST /lookup with --live-lookup; sandbox sends with
--allow-sandbox-sends), throttled and within a request budget, and its API key is scrubbed
from every report.

A documented fact fails the run; an assumption of the ledger only goes to the conformance
report and the summary line, unless --strict-assumptions holds it strict. Against the
bundled mock every assumption is strict: the mock embodies the ledger (or --calibration).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, Phase, settings

from mock_server import Settings
from mock_server.contract import calibration, spec
from mock_server.errors import SpecError
from mock_server.redaction import redact_text
from mock_server.testing import ServerThread

from .receivers import Receiver
from .target import KnownMessage, Target
from .transport import LOOKUP, READ_ONLY, BudgetExhausted, Transport
from .verdicts import Verdicts

VERDICTS = pytest.StashKey[Verdicts]()
TARGET = pytest.StashKey[Target]()
OVERLAY = pytest.StashKey[spec.Overlay]()

settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# The project's own runs of the whole suite against many variants of the mock: a few examples
# ('quick'), or enough to find each defect without shrinking what they find ('find').
settings.register_profile("quick", max_examples=4, deadline=None, database=None)
settings.register_profile(
    "find",
    max_examples=20,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
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


def _budget(value: str | None) -> int | None:
    return None if value is None else int(value)


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
        default=_budget(_env_default("SMSPARTNER_MAX_REQUESTS")),
        help="total request budget for a remote target (default 400; none for loopback, "
        "where shrinking a failure may take many requests)",
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
        help="write what the run found about each assumption of the ledger to PATH.json "
        "and PATH.md",
    )
    group.addoption(
        "--strict-assumptions",
        nargs="?",
        const="all",
        default=None,
        metavar="ID,ID",
        help="fail on a departure from these assumptions (all when no ids are given), as on "
        "a documented fact; for a target the ledger or --calibration describes",
    )
    group.addoption(
        "--calibration",
        default=None,
        metavar="FILE",
        help="expect the values of FILE (smspartner-mock calibrate) instead of the ledger's; "
        "the bundled mock is started with it too",
    )
    group.addoption(
        "--allow-sandbox-sends",
        action="store_true",
        default=False,
        help="probe POST /v1/send with sandbox=1, which the docs say sends nothing and costs "
        "nothing (any send that could succeed goes to --phone-number)",
    )
    group.addoption(
        "--callback-url",
        default=None,
        metavar="URL",
        help="a public URL that reaches the suite's receiver (a tunnel to 127.0.0.1:"
        "--callback-port): the sandbox probe's urlDlr, to measure delivery receipts",
    )
    group.addoption(
        "--callback-port",
        type=int,
        default=0,
        metavar="PORT",
        help="the loopback port of the suite's receipt receiver (default: a free one)",
    )
    group.addoption(
        "--sandbox-wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for a sandbox message's final status (default 30)",
    )


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _strict(config: pytest.Config) -> frozenset[str] | None:
    chosen = config.getoption("--strict-assumptions")
    if chosen in (None, ""):
        return frozenset()
    if chosen == "all":
        return None
    ids = frozenset(name.strip() for name in chosen.split(",") if name.strip())
    unknown = sorted(ids - set(spec.assumptions()))
    if unknown:
        raise pytest.UsageError(
            f"--strict-assumptions names no assumption {unknown}; the ledger has "
            f"{sorted(spec.assumptions())}"
        )
    return ids


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--calibration")
    try:
        overlay = spec.Overlay.of(calibration.load(path)) if path else spec.NO_OVERLAY
    except SpecError as exc:
        raise pytest.UsageError(f"--calibration: {exc}") from exc
    config.stash[OVERLAY] = overlay
    # the suite's expectations read the calibration's values wherever they read the ledger
    spec.set_overlay(overlay)
    config.stash[VERDICTS] = Verdicts(_strict(config))
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The probes run last: a departure the checks see first is reported by the check that
    names it, and the report then holds both."""
    probes = [item for item in items if item.name == "test_assumptions_are_probed"]
    items[:] = [item for item in items if item not in probes] + probes


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
def make_mock(pytestconfig: pytest.Config) -> Iterator[Callable[..., Target]]:
    """Factory: a running bundled mock for given Settings fields, one per distinct set
    (under the --calibration the suite expects)."""
    servers: dict[Settings, ServerThread] = {}
    calibrated = dict(pytestconfig.stash[OVERLAY].values)

    def make(**fields: Any) -> Target:
        # the documented rate limits only where a test asks (scenarios with settings)
        wanted = Settings(
            **{"access_log": False, "rate_limits": False, "calibration": calibrated, **fields}
        )
        if wanted not in servers:
            servers[wanted] = ServerThread(wanted).start()
        return _mock_target(servers[wanted])

    yield make
    for server in servers.values():
        server.stop()
        assert not server.violations(), server.violations()


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config, make_mock: Callable[..., Target]) -> Target:
    """The server under test: --base-url, or the bundled mock (every assumption strict)."""
    base_url = pytestconfig.getoption("--base-url")
    if not base_url:
        pytestconfig.stash[VERDICTS].strict = None
        pytestconfig.stash[TARGET] = make_mock()
        return pytestconfig.stash[TARGET]
    api_key = pytestconfig.getoption("--api-key")
    loopback = _is_loopback(base_url)
    rate = pytestconfig.getoption("--rate")
    message_id = pytestconfig.getoption("--message-id")
    phone = pytestconfig.getoption("--phone-number")
    pytestconfig.stash[TARGET] = Target(
        base_url=base_url,
        api_key=api_key,
        kind="remote",
        lang=None,
        known=KnownMessage(message_id, phone) if message_id and phone else None,
        transport=Transport(
            base_url,
            guarded=True,
            rate=(0.0 if loopback else 5.0) if rate is None else rate,
            budget=_chosen_budget(pytestconfig.getoption("--max-requests"), loopback),
            secrets=(api_key,),
            allowed=READ_ONLY | ({LOOKUP} if pytestconfig.getoption("--live-lookup") else set()),
            sandbox_sends=pytestconfig.getoption("--allow-sandbox-sends"),
        ),
    )
    return pytestconfig.stash[TARGET]


def _chosen_budget(chosen: int | None, loopback: bool) -> int:
    if chosen is not None:
        return chosen
    return 0 if loopback else 400


@pytest.fixture(scope="session")
def receipts(pytestconfig: pytest.Config, target: Target) -> Iterator[tuple[Receiver, str] | None]:
    """The receiver of the target's delivery receipts and the URL the target reaches it at:
    its own for a loopback target, else --callback-url (None without one)."""
    public = pytestconfig.getoption("--callback-url")
    if not public and not _is_loopback(target.base_url):
        yield None
        return
    receiver = Receiver(port=pytestconfig.getoption("--callback-port"))
    try:
        yield receiver, public or receiver.url("/receipts")
    finally:
        receiver.close()


@pytest.fixture(scope="session")
def verdicts(pytestconfig: pytest.Config) -> Verdicts:
    """The session's verdicts on the ledger: where departures are settled."""
    return pytestconfig.stash[VERDICTS]


@pytest.fixture(scope="session")
def settle(verdicts: Verdicts) -> Callable[[Callable[[], object]], None]:
    """Run a check: a departure from assumptions goes to the report (and fails the test
    only when one of them is strict); a documented violation fails it."""

    from .checks import Departure  # not at start-up: it builds Hypothesis strategies

    def run(check: Callable[[], object]) -> None:
        try:
            check()
        except Departure as departure:
            verdicts.settle(departure)

    return run


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the conformance report, whatever happened before."""
    config = session.config
    path = config.getoption("--conformance-report")
    if not path or TARGET not in config.stash:
        return
    from .conformance import report_document, write_report

    verdicts = config.stash[VERDICTS]
    strict = verdicts.strict
    meta = {
        "sandbox_sends": bool(config.getoption("--allow-sandbox-sends")),
        "strict": sorted(spec.assumptions()) if strict is None else sorted(strict),
        "calibration": dict(config.stash[OVERLAY].values),
    }
    document = report_document(config.stash[TARGET], verdicts, meta)
    write_report(Path(path), document, _secrets(config))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line: how many assumptions the run confirmed, contradicted, did not probe."""
    verdicts = config.stash.get(VERDICTS, None)
    if verdicts is not None and (verdicts.probed or verdicts.departures):
        terminalreporter.write_line(verdicts.line())
        for error in verdicts.errors:
            terminalreporter.write_line(
                f"conformance error: {redact_text(error, _secrets(config))}"
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
