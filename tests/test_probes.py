"""The conformance probes of the read-only lists (issues 12 and 13's operations), against the
bundled mock and against answers that depart from the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contract_tests import conformance
from contract_tests.target import KnownMessage, Target
from contract_tests.transport import Transport
from contract_tests.verdicts import MISSING
from mock_server import ServerThread, Settings
from mock_server.contract import spec

KEY = "YOUR_API_KEY"


@pytest.fixture
def target() -> Iterator[Target]:
    with ServerThread(Settings(access_log=False)) as server:
        transport = Transport(server.base_url, guarded=True, secrets=(KEY,))
        yield Target(server.base_url, KEY, "remote", None, None, transport)


def test_subaccount_paging_needs_a_subaccount(target: Target) -> None:
    with pytest.raises(conformance.NotProbed, match="no sub-account"):
        conformance._subaccount_page(conformance.Prober(target))


def test_subaccount_paging_is_confirmed_by_the_mock(target: Target) -> None:
    created = Transport(target.base_url).post(
        "/subaccount/create", {"apiKey": KEY, "type": "simple", "parameters": {}}
    )
    assert created.data()["success"] is True
    prober = conformance.Prober(target)
    observation = conformance._subaccount_page(prober)
    assert observation.value == {"default": 1, "past_end": "empty"}
    # three list requests and the page past the end, every one read-only and recorded
    assert [e.request.split("?")[0].rsplit("/", 1)[1] for e in prober.evidence] == ["list"] * 3
    assert all(KEY not in e.request and KEY not in e.excerpt for e in prober.evidence)


class Canned:
    """A prober whose answers are given: the probe's reading of each, without a server."""

    def __init__(self, pages: dict[str | None, Any]) -> None:
        self.pages = pages

    def get(self, path: str, *pairs: tuple[str, str]) -> tuple[None, Any]:
        page = dict(pairs).get("page")
        return None, self.pages.get(page, self.pages[None])


ONE = {"success": True, "code": 200, "page": 1, "data": [{"token": "t"}]}


@pytest.mark.parametrize(
    ("past", "absent", "value"),
    [
        ({**ONE, "page": 999999, "data": []}, ONE, {"default": 1, "past_end": "empty"}),
        (ONE, ONE, {"default": 1, "past_end": "last page"}),  # an other reading
        ({"code": 500}, ONE, MISSING),  # no value of the entry's form
        ({**ONE, "data": []}, {**ONE, "data": [{"token": "u"}]}, MISSING),
    ],
)
def test_subaccount_paging_reads_what_it_observes(past: Any, absent: Any, value: Any) -> None:
    canned = Canned({None: ONE, "1": absent, "999999": past})
    observation = conformance._subaccount_page(canned)  # type: ignore[arg-type]
    assert observation.value == value
    assert "page 999999 holds" in observation.observed


def test_key_only_precedence_reads_the_order(target: Target) -> None:
    """No apiKey is both missing and unknown: the code answered orders the two."""
    probe = conformance._key_only_precedence("stop-sms-list", "/stop-sms/list")
    observation = probe(conformance.Prober(target))
    assert observation.value == [1, 10]
    for codes, order in (({"code": 10}, [10, 1]), ({"code": 99}, MISSING)):
        canned = Canned({None: codes})
        assert probe(canned).value == order  # type: ignore[arg-type]


def test_lookup_precedence_is_confirmed_by_the_mock(target: Target) -> None:
    """bulk-status by messageId and bulk-status-by-tag by tag, each with its own order."""
    by_tag = conformance._lookup_precedence("bulk-status-by-tag", "/bulk-status-by-tag", "tag")
    assert by_tag(conformance.Prober(target)).value == [1, 3, 10, 4]
    by_id = conformance._lookup_precedence("bulk-status", "/bulk-status", "messageId")
    assert by_id(conformance.Prober(target)).value == spec.assumed("bulk-status-code-precedence")


class CannedLookup:
    """A prober whose POST /v1/lookup answers are given."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.sent: list[Any] = []

    def post(self, path: str, body: Any) -> tuple[None, Any]:
        self.sent.append((path, body))
        return None, self.answer


def _found(number: str) -> dict[str, Any]:
    return {"request": number, "success": True, "phoneNumber": "+33600000000"}


def _refused(
    number: str, message: str = "Le numéro de téléphone est vide ou n'est pas valide."
) -> dict[str, Any]:
    return {"request": number, "success": False, "message": message}


def test_lookup_probes_are_confirmed_by_the_mock(target: Target) -> None:
    """Unguarded (the bundled mock, or a remote one with --live-lookup) the lookups run."""
    open_target = Target(target.base_url, KEY, "mock", None, None, Transport(target.base_url))
    separator = conformance._separator(conformance.Prober(open_target))
    assert separator.value == spec.assumed("number-check-separator")
    forms = conformance._checked_forms(conformance.Prober(open_target))
    assert forms.value == spec.assumed("checked-number-forms")
    assert conformance._invalid_number(conformance.Prober(open_target)).confirmed is True


def test_lookup_probes_read_departures() -> None:
    separator = conformance._separator(CannedLookup({"success": False, "code": 19}))  # type: ignore[arg-type]
    assert separator.value["code"] == 19
    assert conformance._separator(CannedLookup({"code": "3"})).value is MISSING  # type: ignore[arg-type]
    forms = conformance.LOOKUP_FORMS
    every = {"success": True, "code": 200, "lookup": [_found(f) for f in forms]}
    observed = conformance._checked_forms(CannedLookup(every))  # type: ignore[arg-type]
    assert observed.value == {
        "prefixes": ["+", "00", "", "0"],
        "trim": True,
        "national": "a national number read",
    }
    with pytest.raises(conformance.NotProbed, match="found the national form"):
        conformance._invalid_number(CannedLookup(every))  # type: ignore[arg-type]
    none = {"success": True, "code": 200, "lookup": [_refused(f) for f in forms]}
    assert conformance._checked_forms(CannedLookup(none)).value is MISSING  # type: ignore[arg-type]
    other = {
        "success": True,
        "code": 200,
        "lookup": [_refused(f, "Numéro invalide") for f in forms],
    }
    assert conformance._invalid_number(CannedLookup(other)).confirmed is False  # type: ignore[arg-type]
    english = [_refused(f, "The phone number is empty or not valid.") for f in forms]
    in_english = {"success": True, "code": 200, "lookup": english}
    assert conformance._invalid_number(CannedLookup(in_english)).confirmed is True  # type: ignore[arg-type]
    with pytest.raises(conformance.NotProbed, match="no entry per number"):
        conformance._checked_forms(CannedLookup({"success": True, "lookup": []}))  # type: ignore[arg-type]


class CannedTags:
    """A prober whose sandbox send succeeds and whose by-tag answers are given by tag."""

    def __init__(self, codes: dict[str, int], sent: bool = True) -> None:
        self.codes = codes
        self.sent = sent
        self.tag = ""

    def known(self) -> KnownMessage:
        return KnownMessage("1111", "0600000000")

    def post(self, path: str, body: Any) -> tuple[None, Any]:
        self.tag = body["tag"]
        return None, {"success": self.sent}

    def get(self, path: str, *pairs: tuple[str, str]) -> tuple[None, Any]:
        tag = dict(pairs)["tag"]
        key = "as sent" if tag == self.tag else "lower" if tag == self.tag.lower() else "other"
        return None, {"code": self.codes[key]}


@pytest.mark.parametrize(
    ("codes", "value"),
    [
        ({"as sent": 200, "lower": 4, "other": 4}, {"match": "exact"}),
        ({"as sent": 200, "lower": 200, "other": 4}, {"match": "case-insensitive"}),
        ({"as sent": 200, "lower": 10, "other": 4}, MISSING),
    ],
)
def test_tag_scope_reads_the_lower_case_answer(codes: dict[str, int], value: Any) -> None:
    assert conformance._tag_scope(CannedTags(codes)).value == value  # type: ignore[arg-type]


def test_tag_scope_needs_a_listed_sandbox_message() -> None:
    unlisted = CannedTags({"as sent": 4, "lower": 4, "other": 4})
    with pytest.raises(conformance.NotProbed, match="not listed by its tag"):
        conformance._tag_scope(unlisted)  # type: ignore[arg-type]
    refused = CannedTags({}, sent=False)
    with pytest.raises(conformance.NotProbed, match="sandbox send was refused"):
        conformance._tag_scope(refused)  # type: ignore[arg-type]


def test_receipt_schemas_are_the_mocks() -> None:
    """The probe reads each receipt shape by the schema the mock renders it with."""
    from mock_server._domain import callbacks

    shapes = {name: shape.schema for name, shape in callbacks.SHAPES.items()}
    assert shapes == conformance.DLR_SCHEMAS
    assert set(shapes) == set(spec.choices("dlr-payload"))


class Settled:
    """A prober whose sandbox message went from Waiting to Delivered, and whose receiver
    holds the given bodies."""

    def __init__(self, bodies: list[Any], url: str | None = "http://tunnel.example/r") -> None:
        self.receiver = self
        self.receiver_url = url
        self._bodies = bodies
        self._final = {"statut": "Delivered"}
        self._sent = {"status": {"code": 200, "statut": "Waiting"}}

    def sandbox_send(self) -> Any:
        return self._sent

    def bodies(self) -> list[Any]:
        return self._bodies


ITEM = {"message_id": 1, "phoneNumber": "+33600000000", "status": "Delivered", "stopSMS": False}


def test_receipt_probes_need_a_receiver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conformance, "RECEIPT_GRACE", 0.05)
    with pytest.raises(conformance.NotProbed, match="--callback-url"):
        conformance._sandbox_callbacks(Settled([], url=None))  # type: ignore[arg-type]
    silent = Settled([])
    assert conformance._sandbox_callbacks(silent).value is False  # type: ignore[arg-type]
    for probe in (conformance._dlr_payload, conformance._dlr_statuses):
        with pytest.raises(conformance.NotProbed, match="no delivery receipt came"):
            probe(silent)  # type: ignore[arg-type]


def test_receipt_probes_read_the_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conformance, "RECEIPT_GRACE", 0.05)
    waiting = {**ITEM, "status": "waiting"}  # a shape may lower the status
    assert conformance._dlr_statuses(Settled([ITEM])).value == "final"  # type: ignore[arg-type]
    both = Settled([waiting, ITEM])
    assert conformance._dlr_statuses(both).value == "all"  # type: ignore[arg-type]
    assert conformance._dlr_statuses(Settled([waiting])).value is MISSING  # type: ignore[arg-type]
    assert conformance._sandbox_callbacks(both).value is True  # type: ignore[arg-type]
    assert conformance._dlr_payload(Settled([{"nothing": "known"}])).value is MISSING  # type: ignore[arg-type]


def test_number_plans_probe_names_the_first_departure() -> None:
    plans = spec.assumed("lookup-number-plans")
    expected = [
        conformance._planned(code, row, first + "0" * (int(length) - 1))
        for code, row in plans.items()
        for length in row["templates"]
        for first in (row["mobile"][0], next(d for d in "123456789" if d not in row["mobile"]))
    ]
    assert expected[0]["format"]["international"] == "+33 6 00 00 00 00"
    assert expected[1]["type"] == "Fixed line"
    planned = {"success": True, "code": 200, "lookup": expected}
    assert conformance._number_plans(CannedLookup(planned)).confirmed is True  # type: ignore[arg-type]
    carrier = [{**expected[0], "network": "Orange"}, *expected[1:]]
    named = conformance._number_plans(CannedLookup({**planned, "lookup": carrier}))  # type: ignore[arg-type]
    assert named.confirmed is False
    assert named.observed.startswith("1 of ") and '"network": "Orange"' in named.observed
    with pytest.raises(conformance.NotProbed, match="no entry per number"):
        conformance._number_plans(CannedLookup({"success": True, "lookup": expected[1:]}))  # type: ignore[arg-type]
