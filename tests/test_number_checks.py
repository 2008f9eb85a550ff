"""Number checks, sub-accounts, status by tag and statistics: the domain pieces and the
helpers around them (the scenarios in fixtures/scenarios/ cover the wire answers)."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from contract_tests.transport import Transport
from mock_server import ServerThread, Settings, cli
from mock_server._domain import numbers
from mock_server._domain.clock import Clock
from mock_server._domain.lifecycle import Outbox, Outcome, SentMessage
from mock_server._domain.ratelimit import RateLimiter
from mock_server._domain.subaccounts import SubAccounts, amount_millis
from mock_server.contract import spec
from mock_server.errors import StoreFull
from mock_server.testing.admin_client import AdminClient

KEY = "YOUR_API_KEY"
LIMIT = {"requests": 2, "seconds": 60}


class TestRateLimiter:
    def test_a_window_holds_its_requests_then_refuses(self) -> None:
        """Past the limit in one window a request is over; a new window starts afresh."""
        limiter = RateLimiter()
        assert [limiter.over("r", LIMIT, "k", 10.0) for _ in range(3)] == [False, False, True]
        assert not limiter.over("r", LIMIT, "k", 70.0)

    def test_keys_and_rules_count_apart(self) -> None:
        """Each (rule, key) has its own window."""
        limiter = RateLimiter()
        for _ in range(2):
            limiter.over("r", LIMIT, "k", 0.0)
        assert not limiter.over("r", LIMIT, "other", 0.0)
        assert not limiter.over("s", LIMIT, "k", 0.0)

    def test_a_clock_gone_back_opens_a_new_window(self) -> None:
        """A time before the window's start (a clock reset) restarts the count."""
        limiter = RateLimiter()
        for _ in range(3):
            limiter.over("r", LIMIT, "k", 100.0)
        assert not limiter.over("r", LIMIT, "k", 50.0)

    def test_at_most_max_keys_windows_are_kept(self) -> None:
        """The least recently seen window goes first; a request refreshes its key."""
        limiter = RateLimiter(max_keys=2)
        limiter.over("r", LIMIT, "a", 0.0)
        limiter.over("r", LIMIT, "b", 0.0)
        limiter.over("r", LIMIT, "a", 0.0)
        limiter.over("r", LIMIT, "c", 0.0)
        assert len(limiter) == 2
        assert limiter.over("r", LIMIT, "a", 0.0)  # 'a' was kept: its third request
        assert not limiter.over("r", LIMIT, "b", 0.0)  # 'b' was forgotten

    def test_by_default_it_keeps_the_ledgers_max_keys(self) -> None:
        """Built without max_keys, a limiter keeps as many windows as the ledger's
        'rate-limiter' entry says (the bound the mock serves with), and no more."""
        bound = spec.assumed("rate-limiter")["max_keys"]
        one = {"requests": 1, "seconds": 60}
        limiter = RateLimiter()
        for n in range(bound + 1):
            limiter.over("r", one, str(n), 0.0)
        assert len(limiter) == bound
        assert not limiter.over("r", one, "0", 0.0)  # the first key was forgotten: a new window
        assert limiter.over("r", one, str(bound), 0.0)  # the last one was kept: its second

    def test_a_disabled_limiter_counts_nothing(self) -> None:
        """rate_limits off: nothing is ever over, nothing is kept."""
        limiter = RateLimiter(enabled=False)
        assert not any(limiter.over("r", LIMIT, "k", 0.0) for _ in range(5))
        assert len(limiter) == 0


class TestNumbers:
    @pytest.mark.parametrize(
        ("item", "digits"),
        [
            ("+33612345678", "33612345678"),
            ("0033612345678", "33612345678"),
            ("33612345678", "33612345678"),
            ("0612345678", None),
            (" +33612345678", None),
            ("+", None),
            ("+0612", None),
        ],
    )
    def test_international_forms(self, item: str, digits: str | None) -> None:
        """Only international forms are read, and nothing is trimmed."""
        assert numbers.international(item) == digits

    def test_unknown_calling_code_or_length_has_no_plan(self) -> None:
        """+49 has no plan; a French number of 8 digits has none either."""
        assert numbers.plan_of("4915112345678") is None
        assert numbers.plan_of("3361234567") is None
        assert (
            numbers.lookup("+4915112345678", "en")["message"]
            == (spec.assumed("lookup-invalid-number")["message"]["en"])
        )

    def test_hlr_checks_are_bounded_and_viewable(self) -> None:
        """Past max_checks the oldest check goes; a view carries the callback bodies."""
        checks = numbers.HlrChecks(numbers.HlrNumbers(spec.load_fixtures().hlr_numbers))
        checks.max_checks = 2
        for tag in ("a", "b", "c"):
            checks.add("", ["33600000011", "4915112345678"], tag, None, 0.0)
        assert len(checks) == 2 and [c.tag for c in checks.checks()] == ["b", "c"]
        view = checks.checks()[0].view()
        assert view["callbacks"][0]["errorName"] == "EC_UNKNOWN_SUBSCRIBER"
        assert view["callbacks"][1]["mccMnc"] == ""  # no plan for +49
        assert checks.used == 6

    def test_trimmed_forms_trim_what_php_trims(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With the ledger's alternative trim=true, an item loses the blanks PHP's trim()
        removes (NUL included) and only those (a no-break space stays, so the item fails)."""
        real = spec.assumed
        forms = {**real("checked-number-forms"), "trim": True}
        monkeypatch.setattr(
            spec, "assumed", lambda name: forms if name == "checked-number-forms" else real(name)
        )
        assert numbers.international("\x00 +33612345678\t") == "33612345678"
        assert numbers.international("\u00a0+33612345678") is None

    def test_hlr_check_view_and_callback_bodies(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The plugin's view of a check names its fields; each number's body has the
        documented fields only (a listed number's fixture row gives its result, not its
        description), a version-5 UUID of its own, and a date in UTC whatever the host's
        time zone."""
        monkeypatch.setenv("TZ", "Asia/Tokyo")
        time.tzset()
        try:
            checks = numbers.HlrChecks(numbers.HlrNumbers(spec.load_fixtures().hlr_numbers))
            check = checks.add("", ["33600000011", "33612345678"], "t", "http://a", 0.0)
        finally:
            monkeypatch.undo()
            time.tzset()
        view = check.view()
        assert list(view) == ["campaign_id", "owner", "tag", "notifyUrl", "at", "callbacks"]
        assert (view["campaign_id"], view["owner"], view["tag"], view["at"]) == (
            "HLR000001",
            "",
            "t",
            0.0,
        )
        bodies = view["callbacks"]
        for body in bodies:
            assert spec.first_error("callback-hlr", body) is None
            assert uuid.UUID(body["messageId"]).version == 5
            assert body["date"] == "1970-01-01T00:00:00.000+0000"
        assert len({body["messageId"] for body in bodies}) == 2

    def test_hlr_checks_fill_their_bytes_exactly(self) -> None:
        """Checks that together hold exactly max_bytes are all kept; one more drops the
        oldest, again and again, each eviction freeing what its check held."""
        checks = numbers.HlrChecks(numbers.HlrNumbers(spec.load_fixtures().hlr_numbers))
        size = checks.add("", ["33612345678"], "a", None, 0.0).size
        checks.reset()
        checks.max_bytes = 2 * size
        for tag in "abcd":
            checks.add("", ["33612345678"], tag, None, 0.0)
            assert checks.bytes == sum(c.size for c in checks.checks()) <= checks.max_bytes
        assert [c.tag for c in checks.checks()] == ["c", "d"]

    def test_hlr_checks_stay_within_their_bytes(self) -> None:
        """Past max_bytes the oldest checks go, the newest stays; a sub-account uses none."""
        checks = numbers.HlrChecks(numbers.HlrNumbers(spec.load_fixtures().hlr_numbers))
        checks.max_bytes = 10
        checks.add("sub", ["33612345678"], "", "http://a", 0.0)
        checks.add("sub", ["33612345678"], "", "http://b", 0.0)
        assert [c.notify_url for c in checks.checks()] == ["http://b"]
        assert checks.used == 0


class TestSubAccountStore:
    def test_entries_and_bytes_are_bounded(self) -> None:
        """A full store raises StoreFull, by count or by bytes; remove frees the room."""
        subs = SubAccounts(max_entries=1)
        first = subs.create("simple", "", 0.0)
        with pytest.raises(StoreFull, match="1 sub-accounts"):
            subs.create("simple", "", 0.0)
        subs.remove(first.token)
        subs.max_bytes = 10
        with pytest.raises(StoreFull, match="at most 1 and 10 bytes"):
            subs.create("simple", "x" * 20, 0.0)

    def test_bytes_fill_exactly_and_a_removal_frees_them(self) -> None:
        """Sub-accounts that hold exactly max_bytes together fit; one more does not; a
        removal frees what the removed one held."""
        probe = SubAccounts().create("simple", "", 0.0)
        subs = SubAccounts()
        subs.max_bytes = 3 * probe.size  # generated emails of ids 1..9 have the same length
        first = subs.create("simple", "", 0.0)
        for _ in range(2):
            subs.create("simple", "", 0.0)
        with pytest.raises(StoreFull):
            subs.create("simple", "", 0.0)
        subs.remove(first.token)
        assert subs.create("simple", "", 0.0).size == probe.size  # the room it freed
        with pytest.raises(StoreFull):
            subs.create("simple", "", 0.0)  # and no more

    def test_names_are_kept_and_empty_when_not_given(self) -> None:
        """firstname, lastname and title are stored as given, and empty by default."""
        subs = SubAccounts()
        bare = subs.create("simple", "a@example.org", 0.0)
        named = subs.create(
            "simple", "b@example.org", 0.0, firstname="Ada", lastname="L", title="Mme"
        )
        assert (bare.firstname, bare.lastname, bare.title) == ("", "", "")
        assert (named.firstname, named.lastname, named.title) == ("Ada", "L", "Mme")

    def test_the_token_works_as_a_key_when_the_ledger_says_so(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The ledger's 'subaccount-credentials' alternative: apiKey and token both work;
        removing the sub-account withdraws both."""
        real = spec.assumed
        both = {"api_key_fields": ["apiKey", "token"]}
        monkeypatch.setattr(
            spec, "assumed", lambda name: both if name == "subaccount-credentials" else real(name)
        )
        subs = SubAccounts()
        account = subs.create("simple", "", 0.0)
        assert subs.by_key(account.token) is subs.by_key(account.api_key) is account
        subs.remove(account.token)
        assert subs.by_key(account.token) is subs.by_key(account.api_key) is None

    def test_pages_and_emails(self) -> None:
        """Pages of a size, in creation order; emails compare without case."""
        subs = SubAccounts()
        for index in range(3):
            subs.create("simple", f"s{index}@example.org", 0.0)
        assert [s.id for s in subs.page(2, 2)] == [3]
        assert subs.email_taken("S1@EXAMPLE.ORG") and not subs.email_taken("s9@example.org")

    @pytest.mark.parametrize(
        ("text", "millis"),
        [("10", 10000), ("2.5", 2500), ("0.0004", 0), ("-1", None), ("1e3", None), ("", None)],
    )
    def test_amounts(self, text: str, millis: int | None) -> None:
        """Amounts are positive decimals, read to the thousandth."""
        assert amount_millis(text) == millis


def _sent(message_id: int, tag: str = "t", start: float = 0.0) -> SentMessage:
    return SentMessage(
        message_id, "0600000000", start, None, Outcome("Delivered", 1.0, False), 1, 0.045, "FR",
        "EUR", tag=tag,
    )  # fmt: skip


class TestOutboxIndexes:
    def test_a_forgotten_send_leaves_the_tag_index(self) -> None:
        """Retention forgets a tagged send from its tag too."""
        outbox = Outbox(1, max_messages=1)
        outbox.add([_sent(1)])
        outbox.add([_sent(2)])
        assert [m.message_id for m in outbox.tagged("", "t")] == [2]
        outbox.add([_sent(3, tag="u")])
        assert outbox.tagged("", "t") == []

    def test_an_empty_add_changes_no_total(self) -> None:
        """Adding no recipient leaves totals and months alone."""
        outbox = Outbox(1)
        outbox.add([])
        assert outbox.totals.millis == 0 and outbox.months("") == {}

    def test_cancelling_an_uncharged_schedule_moves_no_total(self) -> None:
        """A scheduled sandbox send is not charged: its cancel refunds nothing, per owner."""
        outbox = Outbox(1)
        sandbox = dataclasses.replace(_sent(1), scheduled_at=500.0, sandbox=True, owner="sub")
        outbox.add([sandbox])
        outbox.cancel("1", 10.0)
        assert outbox.spent("sub").millis == 0 and outbox.to_send(10.0, "sub") == 0
        assert outbox.months("sub") == {}

    def test_months_follow_the_paris_calendar(self) -> None:
        """A message that leaves on 1 Jan 00:30 Paris time counts in January."""
        outbox = Outbox(1)
        outbox.add([_sent(1, start=1704065400.0)])  # 2023-12-31T23:30Z
        assert list(outbox.months("")) == [(2024, 1)]


# --- the running mock ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock() -> Iterator[ServerThread]:
    with ServerThread(Settings(access_log=False, max_subaccounts=1)) as running:
        yield running
        assert not running.violations()


@pytest.fixture
def api(mock: ServerThread) -> Transport:
    AdminClient(mock.base_url).reset()
    return Transport(mock.base_url)


def test_a_full_subaccount_store_answers_409(api: Transport) -> None:
    """Past max_subaccounts a creation answers HTTP 409 in the http-error shape."""
    body = {"apiKey": KEY, "type": "simple", "parameters": {}}
    assert api.post("/subaccount/create", body).data()["success"] is True
    reply = api.post("/subaccount/create", body)
    assert reply.status == 409
    assert spec.first_error(spec.HTTP_ERROR, reply.data()) is None
    assert "1 sub-accounts" in reply.data()["message"]


def test_a_removed_key_is_refused_by_memoised_answers(api: Transport, mock: ServerThread) -> None:
    """message-status's memoised answer for a sub-account key does not outlive the key."""
    client = AdminClient(mock.base_url)
    token = client.create_subaccount()["subaccount"]["token"]
    sub_key = client.subaccounts()["data"][0]["apiKey"]
    query = f"apiKey={sub_key}&messageId=1111&phoneNumber=0600000000"
    assert api.get(query).data()["code"] == 200
    remove = json.dumps({"apiKey": KEY, "token": token}).encode()
    assert api.request("DELETE", "/subaccount/remove", "", remove).data()["code"] == 200
    assert api.get(query).data()["code"] == 10


def test_subaccounts_disabled_answers_code_2(tmp_path: Any) -> None:
    """An account without sub-accounts enabled answers create with code 2."""
    account = spec.fixture_value("account.json", "")
    for name in ("messages.json", "api-keys.json"):
        (tmp_path / name).write_text((spec.FIXTURE_DIR / name).read_text())
    (tmp_path / "account.json").write_text(json.dumps({**account, "subaccounts_enabled": False}))
    with ServerThread(Settings(access_log=False, fixtures=tmp_path)) as server:
        body = {"apiKey": KEY, "type": "simple", "parameters": {}}
        assert Transport(server.base_url).post("/subaccount/create", body).data()["code"] == 2


@pytest.mark.parametrize(
    ("query", "months"),
    [
        ("interval=custom&from=31-02-2024&to=01-01-2025", 0),
        ("interval=custom&from=01-01-2000", 0),
        ("interval=custom&from=01-01-2000&to=01-01-2999", 1),
        ("", 0),
    ],
)
def test_statistics_intervals(api: Transport, query: str, months: int) -> None:
    """A custom interval needs two valid dates; no interval is no month."""
    api.post("/send", {"apiKey": KEY, "phoneNumbers": "0600000000", "message": "x"})
    answer = api.get(f"apiKey={KEY}&{query}", "/statistics/cost-resume").data()
    assert len(answer["datas"]) == months


@pytest.mark.parametrize(("page", "shown"), [("abc", 1), ("0", 1), ("2", 2), ("9" * 30, 1)])
def test_page_numbers(api: Transport, page: str, shown: int) -> None:
    """A page that is not a positive whole number (or too long) is page 1."""
    api.post("/send", {"apiKey": KEY, "phoneNumbers": "0600000000", "message": "x", "tag": "t"})
    answer = api.get(f"apiKey={KEY}&tag=t&page={page}", "/bulk-status-by-tag").data()
    assert answer["currentPage"] == shown


def test_admin_client_number_and_subaccount_calls(api: Transport, mock: ServerThread) -> None:
    """AdminClient's lookup, hlr, create_subaccount, subaccounts and move_credit."""
    client = AdminClient(mock.base_url)
    assert client.lookup(["+33612345678", "x"])["lookup"][1]["success"] is False
    assert client.hlr("+33600000013", tag="t")["campaign_id"] == "HLR000001"
    token = client.create_subaccount("simple", creditToAttribute=3)["subaccount"]["token"]
    assert client.subaccounts()["data"][0]["token"] == token
    assert client.move_credit(token, 2)["subaccountCredit"] == 5.0
    assert client.move_credit(token, -1.5)["subaccountCredit"] == 3.5


def test_settings_and_cli_take_the_new_options() -> None:
    """max_subaccounts must be positive; the CLI passes --max-subaccounts, --no-rate-limits."""
    with pytest.raises(ValueError, match="max_subaccounts"):
        Settings(max_subaccounts=0)
    args = cli.build_parser().parse_args(["serve", "--max-subaccounts", "5", "--no-rate-limits"])
    settings = cli._settings(args, None)
    assert (settings.max_subaccounts, settings.rate_limits) == (5, False)
    assert cli._settings(cli.build_parser().parse_args(["serve"]), None).rate_limits


def test_the_clock_drives_the_limits() -> None:
    """A frozen mock clock keeps a window open until it is advanced (real time is ignored)."""
    clock = Clock(lambda: 1000.0)
    limiter = RateLimiter()
    for _ in range(2):
        limiter.over("r", LIMIT, "k", clock.now())
    assert limiter.over("r", LIMIT, "k", clock.now())
    clock.advance(60)
    assert not limiter.over("r", LIMIT, "k", clock.now())
