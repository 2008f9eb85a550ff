"""pytest plugin: a running SMS Partner mock in one fixture.

    def test_delivered(smspartner_mock):
        url = f"{smspartner_mock.base_url}/message-status?apiKey={smspartner_mock.api_key}..."

The mock starts once per distinct configuration and session (background thread, port 0)
and is reset before each test. Configure it with a marker,
@pytest.mark.smspartner_mock(lang="en", date_format="epoch", error_status="4xx"), or by
overriding the `smspartner_mock_settings` fixture. The documented rate limits (lookup, HLR,
statistics) are off unless the marker asks for them: rate_limits=True. A calibration
(`smspartner-mock calibrate`) makes the mock answer as the measured API: the marker's
calibration="calibration.json" (or a {id: value} dict), or --smspartner-mock-calibration
FILE for every test. A mock bug fails the test that caused it: a body the mock refused to
send because it broke its schema, or an exception in one of its handlers (named by type and
message).

The state helpers (add_message, set_status, messages, reset) run on the mock's own event
loop (ServerThread.call), never on the test's thread; the lifecycle helpers (send,
bulk_send, vn_send, status, advance, …) and the STOP-list helpers (stop_list, add_stop,
remove_stop) go through the HTTP API, as they would against a mock in another process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from mock_server.contract import calibration
from mock_server.settings import Settings
from mock_server.testing.admin_client import AdminClient
from mock_server.testing.server import ServerThread


class MockHandle:
    """What a test gets: where the mock is, a key it accepts, and its state."""

    def __init__(self, server: ServerThread) -> None:
        self._server = server
        self.base_url = server.base_url
        self.api_key = sorted(server.api_keys)[0]
        self.settings = server.settings
        self.admin = AdminClient(
            server.base_url, token=server.settings.admin_token, api_key=self.api_key
        )

    def url(self, path: str = "/message-status", **params: str) -> str:
        """A full URL under /v1 with the API key and the given parameters, percent-encoded."""
        return f"{self.base_url}{path}?{urlencode({'apiKey': self.api_key, **params})}"

    def add_message(self, message_id: str, phone_number: str, **fields: Any) -> dict[str, Any]:
        """Add (or replace) a message; unspecified fields come from the documented example.

        Fields use the wire names (statut, stopSms, date, cost, countryCode, currency). The
        record is validated against the success schema: a bad one raises FixtureError.
        """
        store = self._server.state.store
        template = store.fixtures.messages[0]
        record = {**template, "messageId": message_id, "number": phone_number, **fields}
        return self._server.call(lambda: store.put(record))

    def set_status(self, message_id: str, phone_number: str, statut: str) -> dict[str, Any]:
        """Change the statut of a message the mock holds; KeyError if it holds none."""
        store = self._server.state.store

        def change() -> dict[str, Any]:
            record = store.find(message_id, phone_number)
            if record is None:
                raise KeyError(f"No message {message_id!r} for {phone_number!r}")
            return store.put({**record, "statut": statut})

        return self._server.call(change)

    def messages(self) -> list[dict[str, Any]]:
        """Every message the mock holds."""
        return self._server.call(self._server.state.store.messages)

    def reset(self) -> None:
        """Back to the fixtures, as at the start of each test."""
        self._server.reset()

    def subaccounts(self) -> list[dict[str, Any]]:
        """Every sub-account the mock holds: id, type, email, token, apiKey (an API key the
        mock accepts) and balance (euros, a float), oldest first."""
        store = self._server.state.store

        def listing() -> list[dict[str, Any]]:
            return [
                {
                    "id": sub.id,
                    "type": sub.type,
                    "email": sub.email,
                    "token": sub.token,
                    "apiKey": sub.api_key,
                    "balance": store.balance(sub.token) / 1000,
                }
                for sub in store.subaccounts
            ]

        return self._server.call(listing)

    def hlr_checks(self) -> list[dict[str, Any]]:
        """The HLR checks received, oldest first: campaign_id, tag, notifyUrl and the body
        of each number's callback (phone, messageId, mccMnc, ported, errorGrpId, errorName,
        errorDesc, date), which the mock keeps but does not send yet."""
        hlr = self._server.state.store.hlr
        return self._server.call(lambda: [check.view() for check in hlr.checks()])

    def create_subaccount(self, type: str = "simple", **parameters: Any) -> dict[str, Any]:
        """POST /v1/subaccount/create with this mock's key; returns the answer."""
        return self.admin.create_subaccount(type, **parameters)

    def lookup(self, phone_numbers: str | Sequence[str]) -> dict[str, Any]:
        """POST /v1/lookup with this mock's key; returns the answer."""
        return self.admin.lookup(phone_numbers)

    # The lifecycle helpers go through the admin API over HTTP, as they would against a
    # mock in another process (AdminClient(url) there does the same).

    def send(
        self, phone_numbers: str | Sequence[str], message: str, **options: Any
    ) -> dict[str, Any]:
        """POST /v1/send with this mock's key; each recipient starts 'Waiting'."""
        return self.admin.send(phone_numbers, message, **options)

    def bulk_send(
        self, sms_list: Mapping[str, str] | Iterable[Mapping[str, str]], **options: Any
    ) -> dict[str, Any]:
        """POST /v1/bulk-send: {number: text, …} or [{'phoneNumber', 'message'}, …]; one
        message_id for the batch, each recipient with its own lifecycle."""
        return self.admin.bulk_send(sms_list, **options)

    def vn_send(self, to: str, message: str, from_number: str, **options: Any) -> dict[str, Any]:
        """POST /v1/vn/send from a long number ('33600000000', no '+'): the decoded answer."""
        return self.admin.vn_send(to, message, from_number, **options)

    def status(self, message_id: int | str, phone_number: str) -> dict[str, Any]:
        """GET /v1/message-status for one recipient: the decoded answer."""
        return self.admin.status(message_id, phone_number)

    def stop_list(self) -> list[dict[str, Any]]:
        """The STOP list's entries ({id, phoneNumber, createdAt}), seeded by
        fixtures/stop-list.json and reset before each test."""
        return self.admin.stop_list()

    def add_stop(self, phone_number: str) -> dict[str, Any]:
        """Put a number on the STOP list (a send to it then answers code 14); the decoded
        answer, with stopId on success."""
        return self.admin.add_stop(phone_number)

    def remove_stop(self, stop_id: int | str) -> dict[str, Any]:
        """Take an entry off the STOP list by its id: the decoded answer."""
        return self.admin.remove_stop(stop_id)

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the mock's clock forward (no real time passes); returns the clock."""
        return self.admin.advance(seconds)

    def freeze(self, frozen: bool = True) -> dict[str, Any]:
        """Stop (or restart) real time in the mock's clock: then only advance() moves it."""
        return self.admin.freeze(frozen)

    def clock(self) -> dict[str, Any]:
        """The mock's clock: offset, whether frozen, and the current time."""
        return self.admin.clock()

    def add_fault(self, kind: str, **rule: Any) -> dict[str, Any]:
        """Inject a fault (latency, http-error, rate-limit, malformed-json, truncated, reset,
        no-answer), matched on path, phoneNumber, messageId or apiKey; see the README."""
        return self.admin.add_fault(kind, **rule)

    def clear_faults(self) -> None:
        """Remove every fault."""
        self.admin.clear_faults()

    def journal(self) -> list[dict[str, Any]]:
        """The requests the mock received, oldest first, API keys redacted."""
        return self.admin.journal()

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        """The callbacks the mock sent or refused, oldest first: target, body, fault,
        attempts (status, latency) and outcome."""
        return self.admin.callbacks()

    def wait_for_callback(
        self,
        callback: str | None = None,
        *,
        advance: float | None = None,
        timeout: float = 5.0,
        **body: Any,
    ) -> dict[str, Any]:
        """Advance the clock (by default to the next scheduled callback) and wait until a
        callback of that kind (dlr, response, stop) with those body fields has been sent;
        its journal entry. TimeoutError after timeout real seconds."""
        return self.admin.wait_for_callback(callback, advance=advance, timeout=timeout, **body)

    def reply(self, number: str, text: str) -> dict[str, Any]:
        """The recipient replies to the latest send to number: a 'response' callback ('stop'
        when the text is STOP)."""
        return self.admin.reply(number, text)

    def stop(self, number: str, text: str = "STOP") -> dict[str, Any]:
        """The recipient sends STOP: a 'stop' callback, and the number joins the stop list."""
        return self.admin.stop(number, text)

    def add_callback_fault(self, kind: str, **rule: Any) -> dict[str, Any]:
        """Make callbacks misbehave: drop, duplicate, delay, reorder or burst, matched on
        callback, phoneNumber, messageId or status, reproducible with seed."""
        return self.admin.add_callback_fault(kind, **rule)

    def clear_callback_faults(self) -> None:
        """Remove every callback fault rule."""
        self.admin.clear_callback_faults()

    def __repr__(self) -> str:
        return f"<smspartner mock at {self.base_url}>"


class _Servers:
    """The session's mocks, one per distinct Settings value."""

    def __init__(self) -> None:
        self._servers: dict[Settings, ServerThread] = {}

    def get(self, settings: Settings) -> ServerThread:
        if settings not in self._servers:
            self._servers[settings] = ServerThread(settings).start()
        return self._servers[settings]

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("smspartner_mock").addoption(
        "--smspartner-mock-calibration",
        default=None,
        metavar="FILE",
        help="calibration file (smspartner-mock calibrate) for every smspartner_mock whose "
        "marker names none",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "smspartner_mock(**settings): configure the smspartner_mock fixture "
        "(lang, date_format, error_status, api_keys, fixtures, rate_limits, callback_url, "
        "dlr_shape, calibration, ...)",
    )


@pytest.fixture(scope="session")
def smspartner_mock_servers() -> Iterator[_Servers]:
    """The running mocks of this session (started on first use, stopped at the end)."""
    servers = _Servers()
    yield servers
    servers.stop()


@pytest.fixture
def smspartner_mock_settings(request: pytest.FixtureRequest) -> Settings:
    """Settings of the mock for this test: the marker's keywords over the defaults."""
    marker = request.node.get_closest_marker("smspartner_mock")
    options = dict(marker.kwargs) if marker else {}
    options.setdefault("access_log", False)
    options.setdefault("rate_limits", False)  # a test suite is faster than any live client
    if "api_keys" in options:
        options["api_keys"] = tuple(options["api_keys"])
    default = request.config.getoption("--smspartner-mock-calibration")
    if default is not None:
        options.setdefault("calibration", default)
    if isinstance(options.get("calibration"), str | Path):
        options["calibration"] = calibration.load(Path(options["calibration"]))
    return Settings(**options)


@pytest.fixture
def smspartner_mock(
    smspartner_mock_servers: _Servers, smspartner_mock_settings: Settings
) -> Iterator[MockHandle]:
    """A running SMS Partner mock, reset to its fixtures for this test."""
    server = smspartner_mock_servers.get(smspartner_mock_settings)
    handle = MockHandle(server)
    handle.reset()
    yield handle
    violations, bugs = server.take_problems()
    problems = []
    if violations:
        problems.append(
            f"The mock refused to send {len(violations)} invalid body(ies): {violations}"
        )
    if bugs:
        listed = "; ".join(str(bug) for bug in bugs)
        problems.append(f"The mock failed on {len(bugs)} request(s), a mock bug: {listed}")
    if problems:
        pytest.fail("\n".join(problems))
