"""Small pure pieces: phone canonicalisation, dates, query parsing, billing, redaction."""

from __future__ import annotations

import json

import pytest

from mock_server import redaction
from mock_server._domain import account, dates, phones, values
from mock_server._domain.lifecycle import Totals
from mock_server._http import query
from mock_server.contract import spec


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0600000000", "+33600000000"),
        ("+33600000000", "+33600000000"),
        (" 33600000000", "+33600000000"),
        ("0033600000000", "+33600000000"),
        ("00212620123456", "+212620123456"),
        ("+212620123456", "+212620123456"),
        (" 0600000000 ", "+33600000000"),
        ("06 00 00 00 00", "06 00 00 00 00"),
        ("33600000000", "33600000000"),
        ("abc", "abc"),
        ("", ""),
    ],
)
def test_canonical_phone_numbers(raw: str, expected: str) -> None:
    """Every documented form of a number maps to its E.164 form; others pass through, such
    as a country code without its '+' (the live API does not find it, so neither may we)."""
    assert phones.canonical(raw) == expected


@pytest.mark.parametrize(
    ("stored", "date_format", "expected"),
    [
        ("2015-02-07 22:39:46", "docs", "2015-02-07 22:39:46"),
        ("2015-02-07 22:39:46", "epoch", "1423345186"),
        ("1534615206", "epoch", "1534615206"),
        ("1534615206", "docs", "2018-08-18 20:00:06"),
        ("01534615206", "epoch", "01534615206"),
    ],
)
def test_date_forms(stored: str, date_format: str, expected: str) -> None:
    """Dates convert between the docs' Paris local time and epoch seconds; a date already in
    the form served is served as stored."""
    assert dates.render(stored, date_format) == expected


def test_stored_dates_read_as_paris_time() -> None:
    """Either form of a stored date reads as an aware datetime in the ledger's time zone."""
    for stored in ("1534615206", "2018-08-18 20:00:06"):
        moment = dates.parse(stored)
        assert moment.tzinfo == dates.zone()
        assert (moment.hour, moment.timestamp()) == (20, 1534615206)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a=1&b=2", {"a": "1", "b": "2"}),
        ("a=1&a=2", {"a": "2"}),
        ("a=%zz", {"a": "%zz"}),
        ("a=+33", {"a": " 33"}),
        ("a=%2B33", {"a": "+33"}),
        ("a=%FF", {"a": "\ufffd"}),
        ("%ff=1&%C3%A9%zz=2", {"\ufffd": "1", "é%zz": "2"}),
        ("a+b=c+d", {"a b": "c d"}),
        ("a&&b=", {"a": "", "b": ""}),
        ("", {}),
    ],
)
def test_query_parsing(raw: str, expected: dict[str, str]) -> None:
    """Queries decode like PHP, names as values: '+' is a space, bad escapes stay, invalid
    UTF-8 is U+FFFD (never an error), last value wins."""
    assert query.parse(raw) == expected


SEGMENTS = spec.rule("segment-lengths")


@pytest.mark.parametrize(
    ("length", "unicode", "sms"),
    [
        *[(SEGMENTS["part"] + n, False, 1) for n in (0, 1)],
        (SEGMENTS["single"], False, 1),
        (SEGMENTS["single"] + 1, False, 2),
        (2 * SEGMENTS["part"], False, 2),
        (2 * SEGMENTS["part"] + 1, False, 3),
        (SEGMENTS["unicode_part"], True, 1),
        (SEGMENTS["unicode_single"], True, 1),
        (SEGMENTS["unicode_single"] + 1, True, 2),
        (2 * SEGMENTS["unicode_part"], True, 2),
        (2 * SEGMENTS["unicode_part"] + 1, True, 3),
        (SEGMENTS["unicode_single"] + 1, False, 1),
    ],
)
def test_billing_at_the_segment_boundaries(length: int, unicode: bool, sms: int) -> None:
    """Up to 'single' characters (160 GSM, 70 unicode) is one SMS; past it, each 'part'
    (153, 67) or piece of one is an SMS (rule 'segment-lengths')."""
    assert account.parts("a" * length, unicode) == sms


def test_unicode_starts_above_the_ledger_limit() -> None:
    """A message counts as unicode from its first character above 'auto_above' (U+00FF is
    still GSM-priced, U+0100 is not), wherever that character is."""
    limit = spec.assumed("unicode-detection")["auto_above"]
    assert not account.needs_unicode("abc" + chr(limit) + "d")
    assert account.needs_unicode("abc" + chr(limit + 1) + "d")
    assert account.needs_unicode(chr(limit + 1))
    assert not account.needs_unicode("")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/v1/x?apiKey=secret&b=1", "/v1/x?apiKey=***&b=1"),
        ("apikey=secret", "apikey=***"),
        ("a=1&api_key=s3&API_KEY=s4", "a=1&api_key=***&API_KEY=***"),
        ("messageId=1", "messageId=1"),
    ],
)
def test_query_redaction(raw: str, expected: str) -> None:
    """Every API-key parameter value is replaced, whatever its spelling."""
    assert redaction.redact_query(raw) == expected


def test_mapping_and_text_redaction() -> None:
    """Nested API-key fields and known secrets in free text are replaced."""
    data = {"apiKey": "s", "list": [{"api_key": "t", "x": 1}], "n": 2}
    assert redaction.redact_mapping(data) == {
        "apiKey": "***",
        "list": [{"api_key": "***", "x": 1}],
        "n": 2,
    }
    assert redaction.redact_text("key sk and sk2", ["sk", "sk2", ""]) == "key *** and ***"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("192.0.2.1", False), ("example.org", False)],
)  # fmt: skip
def test_loopback_hosts(host: str, loopback: bool) -> None:
    """Only loopback addresses and 'localhost' count as loopback."""
    from mock_server.settings import is_loopback

    assert is_loopback(host) is loopback


def test_journal_bodies_are_bounded_and_redacted() -> None:
    """A large body is kept as cut text; a key in it is redacted even when cut."""
    big = json.dumps({"apiKey": "SeCrEt", "message": "x" * 20000}).encode()
    kept = redaction.redact_body(big)
    assert isinstance(kept, str) and kept.endswith("x…") and len(kept) < 2010
    assert "SeCrEt" not in kept
    assert redaction.redact_body(b"apiKey=SeCrEt&x=1") == "apiKey=***&x=1"
    assert redaction.redact_body(b'{"api_key": 12345, "a": 1') == '{"api_key": "***", "a": 1'


def test_the_longest_calling_code_prices_a_number() -> None:
    """Where calling codes share a prefix (+1 and +1268), the longer one decides."""
    data = {
        **spec.fixture_value("account.json", ""),
        "prices": [
            {"calling_code": "1", "countryCode": "US", "price": 0.01},
            {"calling_code": "1268", "countryCode": "AG", "price": 0.2},
        ],
    }
    prices = account.Account(data)
    assert prices.price("+12685550100") == account.Price("AG", 0.2)
    assert prices.price("+12125550100") == account.Price("US", 0.01)
    assert prices.price("+33600000000") is None


def test_account_file_optional_fields_and_their_defaults() -> None:
    """hlr_price and subaccounts_enabled are read from account.json; absent, they are 0 and
    true (account-file.schema.json)."""
    data = spec.fixture_value("account.json", "")
    given = account.Account({**data, "hlr_price": 0.25, "subaccounts_enabled": False})
    assert (given.hlr_price, given.subaccounts_enabled) == (0.25, False)
    bare = {k: v for k, v in data.items() if k not in ("hlr_price", "subaccounts_enabled")}
    absent = account.Account(bare)
    assert (absent.hlr_price, absent.subaccounts_enabled) == (0.0, True)
    assert absent.subaccounts_enabled is True


def test_nothing_moved_or_used_unless_said() -> None:
    """remaining() and credits() count no money moved and no HLR credit used by default."""
    acct = account.Account(spec.fixture_value("account.json", ""))
    initial = acct.initial
    spent = Totals(0, 0)
    assert acct.remaining(spent) == (initial["creditSms"], float(initial["solde"]))
    credits = acct.credits(spent, 0)
    assert (credits["creditHlr"], credits["solde"]) == (
        initial["creditHlr"],
        account.amount(float(initial["solde"])),
    )


@pytest.mark.parametrize("value", [-0.0, -0.0004, 0.0004])
def test_amounts_never_show_a_negative_zero(value: float) -> None:
    """A balance that rounds to zero reads '0.000', never '-0.000'."""
    assert account.amount(value) == "0.000"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("1", True), ("true", True), (" TRUE ", True), ("True", True), (1, True),
     (False, False), ("0", False), ("yes", False), ("", False), (None, False), ("truex", False)],
)  # fmt: skip
def test_flags_read_as_php_does(value: object, expected: bool) -> None:
    """true, 1, "1" and "true" in any case (blanks around allowed) are set; nothing else."""
    assert values.flag(value) is expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"1" * 40, f"the number {'1' * 30}… has more than 20 digits"),
        (b"-" + b"1" * 40, f"the number -{'1' * 29}… has more than 20 digits"),
        (b"1e999" + b"0" * 40, f"the number 1e999{'0' * 25} is out of range"),
    ],
)
def test_admin_numbers_out_of_range_are_named_in_30_characters(raw: bytes, reason: str) -> None:
    """A bounded body refuses numbers past the float range or 20 digits, quoting at most the
    first 30 characters of the literal."""
    with pytest.raises(ValueError, match=f"^{reason}$"):
        values.load_json(raw)


def test_text_of_json_values() -> None:
    """Strings and numbers are read as text; booleans, lists and null are empty."""
    assert [values.text(v) for v in ("a", 7, 1.5, True, None, [1])] == [
        "a", "7", "1.5", "", "", ""
    ]  # fmt: skip


def test_secret_values_are_found_at_any_depth() -> None:
    """API-key values are collected from nested objects and lists, as text; blanks are not."""
    data = {"apiKey": "a", "list": [{"api_key": 7}, {"APIKEY": ""}, "x"], "other": "b"}
    assert redaction.secret_values(data) == {"a", "7"}
