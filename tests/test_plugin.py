"""The pytest plugin, used the way a user's suite uses it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from mock_server.errors import FixtureError
from mock_server.testing.admin_client import AdminClient, AdminClientError
from mock_server.testing.pytest_plugin import MockHandle


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url) as response:
        return json.load(response)  # type: ignore[no-any-return]


def test_fixture_serves_the_documented_example(smspartner_mock: MockHandle) -> None:
    """The fixture hands over a running mock that knows the documented example."""
    body = _get(smspartner_mock.url(messageId="1111", phoneNumber="0600000000"))
    assert body["messageId"] == "1111"
    assert smspartner_mock.api_key == "YOUR_API_KEY"
    assert repr(smspartner_mock).startswith("<smspartner mock at http://127.0.0.1:")


def test_added_message_is_served_and_validated(smspartner_mock: MockHandle) -> None:
    """add_message fills unspecified fields from the example and refuses invalid records."""
    smspartner_mock.add_message("42", "+33612345678", statut="Waiting")
    body = _get(smspartner_mock.url(messageId="42", phoneNumber="0612345678"))
    assert (body["statut"], body["number"], body["cost"]) == ("Waiting", "+33612345678", 0.045)
    with pytest.raises(FixtureError, match="statut"):
        smspartner_mock.add_message("43", "0600000001", statut="Sent")


def test_state_is_reset_between_tests(smspartner_mock: MockHandle) -> None:
    """The message added by the previous test is gone."""
    assert {m["messageId"] for m in smspartner_mock.messages()} == {
        "1111", "1112", "1113", "1114", "1115", "2270142",
    }  # fmt: skip


def test_set_status_changes_a_message(smspartner_mock: MockHandle) -> None:
    """set_status moves a known message to another status; an unknown one raises."""
    smspartner_mock.set_status("1113", "0622222222", "Not delivered")
    assert _get(smspartner_mock.url(messageId="1113", phoneNumber="0622222222"))["statut"] == (
        "Not delivered"
    )
    with pytest.raises(KeyError, match="No message '9' for '0600000000'"):
        smspartner_mock.set_status("9", "0600000000", "Waiting")


@pytest.mark.smspartner_mock(lang="en", api_keys=["k1"], date_format="epoch")
def test_marker_configures_the_mock(smspartner_mock: MockHandle) -> None:
    """The marker's keywords become the mock's settings."""
    assert smspartner_mock.api_key == "k1"
    assert _get(smspartner_mock.url(messageId="1"))["message"] == "The phone number is required"
    assert _get(smspartner_mock.url(messageId="1111", phoneNumber="0600000000"))["date"] == (
        "1423345186"
    )


def test_schema_violation_fails_the_test(pytester: pytest.Pytester) -> None:
    """A body the mock refuses to send fails the test that caused it."""
    pytester.makepyfile(
        """
        import urllib.error, urllib.request

        def test_bad(smspartner_mock):
            record = smspartner_mock._server.state.store.find("1111", "0600000000")
            record["cost"] = "free"
            try:
                url = smspartner_mock.url(messageId="1111", phoneNumber="0600000000")
                urllib.request.urlopen(url)
            except urllib.error.HTTPError as error:
                assert error.code == 500
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*The mock refused to send 1 invalid body(ies)*$.cost*"])


def test_lifecycle_helpers_drive_the_mock(smspartner_mock: MockHandle) -> None:
    """send, freeze, advance, status and clock move a message from Waiting to its final status."""
    smspartner_mock.freeze()
    sent = smspartner_mock.send("0600000002", "hello")
    first = smspartner_mock.status(sent["message_id"], "0600000002")["statut"]
    offset = smspartner_mock.advance(3600)["offset"]
    final = smspartner_mock.status(sent["message_id"], "0600000002")["statut"]
    assert (first, final) == ("Waiting", "Not delivered")
    assert offset == smspartner_mock.clock()["offset"] >= 3600


def test_fault_and_journal_helpers(smspartner_mock: MockHandle) -> None:
    """add_fault injects a fault seen by the next request; the journal hides the key."""
    smspartner_mock.add_fault("http-error", status=503, times=1)
    with pytest.raises(urllib.error.HTTPError) as failed:
        _get(smspartner_mock.url(messageId="1111", phoneNumber="0600000000"))
    assert failed.value.code == 503
    failed.value.close()
    smspartner_mock.add_fault("http-error", status=502)
    smspartner_mock.clear_faults()
    assert _get(smspartner_mock.url(messageId="1111", phoneNumber="0600000000"))["success"]
    journal = smspartner_mock.journal()
    assert len(journal) == 2
    assert smspartner_mock.api_key not in json.dumps(journal)


def test_handler_exception_fails_the_test(pytester: pytest.Pytester) -> None:
    """A handler that raises fails the test that caused it, naming the exception."""
    pytester.makepyfile(
        """
        import urllib.error, urllib.request
        from mock_server._http.operations import me

        def boom(request, operation_id):
            raise RuntimeError("boom")

        def test_broken(smspartner_mock, monkeypatch):
            monkeypatch.setattr(me, "query_call", boom)
            try:
                urllib.request.urlopen(smspartner_mock.url("/me"))
            except urllib.error.HTTPError as error:
                assert error.code == 500

        def test_next(smspartner_mock):
            assert smspartner_mock.url("/me")
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_broken*",
            "*mock bug: RuntimeError: boom (in GET /v1/me?apiKey=*",
        ]
    )
    assert "YOUR_API_KEY" not in result.stdout.str()


def test_stop_list_helpers_drive_the_stop_list(smspartner_mock: MockHandle) -> None:
    """add_stop refuses later sends (code 14); remove_stop lets the next one through."""
    assert [s["id"] for s in smspartner_mock.stop_list()] == [19]
    added = smspartner_mock.add_stop("0611111111")
    assert added == {"success": True, "code": 200, "stopId": 300}
    assert smspartner_mock.stop_list()[-1]["phoneNumber"] == "+33611111111"
    assert smspartner_mock.send("0611111111", "Promo")["code"] == 14
    assert smspartner_mock.vn_send("0611111111", "Promo", "33600000000")["code"] == 14
    assert smspartner_mock.bulk_send({"0611111111": "Promo"})["code"] == 14
    assert smspartner_mock.remove_stop(added["stopId"]) == {"success": True, "code": 200}
    assert smspartner_mock.send("0611111111", "Promo")["code"] == 200


def test_the_stop_list_is_reset_between_tests(smspartner_mock: MockHandle) -> None:
    """The number the previous test added is gone; the seeded entry is back."""
    assert [s["phoneNumber"] for s in smspartner_mock.stop_list()] == ["+33600001414"]


def test_bulk_and_long_number_sends_follow_the_lifecycle(smspartner_mock: MockHandle) -> None:
    """bulk_send (a mapping or a list of items) and vn_send recipients reach their final status."""
    smspartner_mock.freeze()
    batch = smspartner_mock.bulk_send([{"phoneNumber": "0600000002", "message": "a"}])
    by_map = smspartner_mock.bulk_send({"0699999999": "b"}, sandbox=1)
    long = smspartner_mock.vn_send("0600000001", "c", "33600000000", tag="x")
    assert [a["code"] for a in (batch, by_map, long)] == [200, 200, 200]
    smspartner_mock.advance(3600)
    assert smspartner_mock.status(batch["message_id"], "0600000002")["statut"] == "Not delivered"
    assert smspartner_mock.status(by_map["message_id"], "0699999999")["statut"] == "Delivered"
    assert smspartner_mock.status(long["message_id"], "0600000001")["statut"] == "Delivered"


@pytest.mark.smspartner_mock(api_keys=["k1"])
def test_stop_list_with_a_refused_key_raises(smspartner_mock: MockHandle) -> None:
    """stop_list raises AdminClientError, key redacted, when the API refuses the key."""
    client = AdminClient(smspartner_mock.base_url, api_key="WRONG_KEY")
    with pytest.raises(AdminClientError, match="'code': 10") as refused:
        client.stop_list()
    assert "WRONG_KEY" not in str(refused.value)


def test_subaccount_and_hlr_helpers(smspartner_mock: MockHandle) -> None:
    """subaccounts() lists keys and balances; hlr_checks() the callbacks an HLR check keeps."""
    token = smspartner_mock.create_subaccount("simple", creditToAttribute="1.5")
    (sub,) = smspartner_mock.subaccounts()
    assert (sub["token"], sub["balance"]) == (token["subaccount"]["token"], 1.5)
    assert _get(smspartner_mock.url("/me", apiKey=sub["apiKey"]))["credits"]["solde"] == "1.500"
    assert smspartner_mock.lookup("+33612345678")["lookup"][0]["type"] == "Mobile"
    smspartner_mock.admin.hlr("+33600000012", notifyUrl="http://127.0.0.1:9/hlr")
    (check,) = smspartner_mock.hlr_checks()
    assert check["notifyUrl"] == "http://127.0.0.1:9/hlr"
    assert check["callbacks"][0]["errorName"] == "EC_ABSENT_SUBSCRIBER_SM"


def test_rate_limits_are_off_unless_asked(smspartner_mock: MockHandle) -> None:
    """The plugin's mock answers a sixth statistics request of a minute."""
    for _ in range(6):
        body = _get(smspartner_mock.url("/statistics/cost-resume", interval="last_month"))
    assert body["success"] is True


@pytest.mark.smspartner_mock(rate_limits=True)
def test_rate_limits_on_through_the_marker(smspartner_mock: MockHandle) -> None:
    """With the marker, the sixth statistics request of a minute answers HTTP 429."""
    url = smspartner_mock.url("/statistics/cost-resume", interval="last_month")
    for _ in range(5):
        _get(url)
    with pytest.raises(urllib.error.HTTPError) as info:
        _get(url)
    info.value.close()
    assert info.value.code == 429
