"""Calibration: a conformance report becomes values the mock takes, per app, at request time."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from contract_tests.transport import Transport
from mock_server import ServerThread, Settings, cli
from mock_server._http import query
from mock_server.contract import calibration, spec
from mock_server.errors import SpecError
from mock_server.testing.admin_client import AdminClient
from mock_server.testing.pytest_plugin import MockHandle

pytest_plugins = ["pytester"]


def _report(*findings: dict[str, Any]) -> dict[str, Any]:
    return {
        "target": "https://api.example/v1",
        "generated": "2026-01-01T00:00:00+00:00",
        "summary": {"confirmed": 0, "contradicted": len(findings), "not probed": 0},
        "assumptions": list(findings),
    }


def _finding(assumption_id: str, verdict: str = "contradicted", **extra: Any) -> dict[str, Any]:
    return {
        "id": assumption_id,
        "question": "q",
        "verdict": verdict,
        "expected": "e",
        "observed": "o",
        **extra,
    }


def test_calibrate_keeps_reproducible_values_and_lists_the_others() -> None:
    """A contradicted value in its domain is calibrated; any other observation is listed."""
    measured = calibration.calibrate(
        _report(
            _finding("format-case", observed_value="case-sensitive"),
            _finding("unknown-format", observed_value="yaml"),
            _finding("repeated-parameter"),
            _finding("error-http-status", "confirmed", observed_value="200"),
        )
    )
    assert measured.values == {"format-case": "case-sensitive"}
    assert [row["id"] for row in measured.not_reproducible] == [
        "unknown-format",
        "repeated-parameter",
    ]
    assert "outside its domain" in measured.not_reproducible[0]["reason"]
    assert "not a value" in measured.not_reproducible[1]["reason"]
    assert spec.first_error("calibration", measured.document()) is None


def test_value_problems_are_named() -> None:
    """An unknown id, a value outside the domain and an incomplete order are refused."""
    assert "no assumption" in (spec.value_problem("nope", 1) or "")
    assert "not an order" in (spec.value_problem("me-code-precedence", [1]) or "")
    assert spec.value_problem("me-code-precedence", [10, 1]) is None
    with pytest.raises(SpecError, match="Calibration of 'date-format'"):
        spec.check_value("date-format", "iso")


def test_settings_take_a_calibration() -> None:
    """The fields of calibrated assumptions follow the calibration; conflicts are refused."""
    settings = Settings(calibration={"error-http-status": "4xx", "json-encoding": _pretty()})
    assert settings.error_status == "4xx"
    assert settings.overlay.values == {"error-http-status": "4xx", "json-encoding": _pretty()}
    assert Settings(lang="en").overlay.values == {"message-language": "en"}
    assert Settings().overlay == spec.NO_OVERLAY
    with pytest.raises(ValueError, match=r"Invalid lang: .en.; the calibration measured .fr."):
        Settings(lang="en", calibration={"message-language": "fr"})
    with pytest.raises(ValueError, match=r"Invalid calibration: .*'unknown-format'"):
        Settings(calibration={"unknown-format": "yaml"})
    assert Settings(lang="en", calibration={"message-language": "en"}).lang == "en"


def _pretty() -> dict[str, bool]:
    return {"compact": False, "ascii": False}


def test_calibration_applies_per_app() -> None:
    """Two mocks in one process answer each by its own calibration."""
    with (
        ServerThread(Settings(access_log=False, calibration={"json-encoding": _pretty()})) as a,
        ServerThread(Settings(access_log=False)) as b,
    ):
        query = "/message-status?messageId=1&phoneNumber=2"
        pretty = urlopen(a.base_url + query).read()
        compact = urlopen(b.base_url + query).read()
    assert pretty == '{"success": false, "code": 1, "message": "La Clé API est requise"}'.encode()
    assert compact == b'{"success":false,"code":1,"message":"La Cl\\u00e9 API est requise"}'


def test_cancelling_an_unscheduled_message_follows_the_calibration() -> None:
    """'cancel-unscheduled' 7 (the ledger) or 6 (a calibration) for a message sent at once."""
    for value in (7, 6):
        settings = Settings(access_log=False, calibration={"cancel-unscheduled": value})
        with ServerThread(settings) as server:
            client = AdminClient(server.base_url, api_key=sorted(server.api_keys)[0])
            sent = client.send("0600000000", "x")
            url = f"{server.base_url}/message-cancel?apiKey={client.api_key}"
            answer = json.loads(urlopen(f"{url}&messageId={sent['message_id']}").read())
        assert answer["code"] == value


def test_cancelled_message_status_follows_the_calibration() -> None:
    """A cancelled message is 'Waiting' under that calibration of 'cancelled-status'."""
    settings = Settings(access_log=False, calibration={"cancelled-status": "Waiting"})
    with ServerThread(settings) as server:
        client = AdminClient(server.base_url, api_key=sorted(server.api_keys)[0])
        client.freeze()
        sent = client.send("0600000000", "x", scheduledDeliveryDate=_tomorrow(), time=10, minute=0)
        url = f"{server.base_url}/message-cancel?apiKey={client.api_key}"
        assert json.loads(urlopen(f"{url}&messageId={sent['message_id']}").read())["success"]
        assert client.status(sent["message_id"], "0600000000")["statut"] == "Waiting"


def _tomorrow() -> str:
    return time.strftime(spec.rule("schedule-date-format"), time.localtime(time.time() + 86400))


def test_load_refuses_bad_files(tmp_path: Path) -> None:
    """Unreadable, schema-breaking and out-of-domain calibration files are refused."""
    path = tmp_path / "calibration.json"
    with pytest.raises(SpecError, match="Cannot read"):
        calibration.load(path)
    path.write_text('{"nope": 1}')
    with pytest.raises(SpecError, match=r"breaks calibration\.schema\.json"):
        calibration.load(path)
    path.write_text('{"calibration": {"date-format": "iso"}}')
    with pytest.raises(SpecError, match="outside its domain"):
        calibration.load(path)
    path.write_text('{"calibration": {"date-format": "epoch"}}')
    assert calibration.load(path) == {"date-format": "epoch"}


def test_cli_calibrates_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`calibrate REPORT` prints the calibration and lists what it cannot reproduce."""
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(
            _report(
                _finding("date-format", observed_value="epoch"),
                _finding("repeated-parameter", observed="an error body"),
            )
        )
    )
    assert cli.main(["calibrate", str(report)]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["calibration"] == {"date-format": "epoch"}
    assert "calibrated 1: date-format" in err
    assert "not reproducible: repeated-parameter: observed an error body" in err
    report.write_text("{}")
    assert cli.main(["calibrate", str(report)]) == 2
    assert "breaks conformance-report.schema.json" in capsys.readouterr().err


def test_serve_refuses_a_bad_calibration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """serve --calibration with a value the mock cannot take exits 2 with the reason."""
    path = tmp_path / "calibration.json"
    path.write_text('{"calibration": {"format-case": "sometimes"}}')
    assert cli.main(["serve", "--port", "0", "--calibration", str(path)]) == 2
    assert "outside its domain" in capsys.readouterr().err


def test_serve_takes_a_calibration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """serve --calibration FILE starts the mock with its values."""
    seen: list[Settings] = []

    async def fake_serve(settings: Settings, announce: Any) -> None:
        seen.append(settings)

    monkeypatch.setattr(cli, "serve_forever", fake_serve)
    path = tmp_path / "calibration.json"
    path.write_text('{"calibration": {"error-http-status": "4xx"}}')
    assert cli.main(["serve", "--calibration", str(path)]) == 0
    assert seen[0].error_status == "4xx"


@pytest.mark.smspartner_mock(calibration={"message-language": "en"})
def test_plugin_marker_takes_a_calibration(smspartner_mock: MockHandle) -> None:
    """The marker's calibration dict reaches the mock."""
    assert smspartner_mock.settings.lang == "en"


def test_plugin_option_and_marker_path(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """--smspartner-mock-calibration FILE calibrates every mock; a marker path overrides it."""
    epoch = tmp_path / "epoch.json"
    epoch.write_text('{"calibration": {"date-format": "epoch"}}')
    english = tmp_path / "en.json"
    english.write_text('{"calibration": {"message-language": "en"}}')
    pytester.makepyfile(
        f"""
        import pytest

        def test_option(smspartner_mock):
            assert smspartner_mock.settings.date_format == "epoch"

        @pytest.mark.smspartner_mock(calibration={str(english)!r})
        def test_marker(smspartner_mock):
            assert smspartner_mock.settings.lang == "en"
            assert smspartner_mock.settings.date_format == "docs"
        """
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--smspartner-mock-calibration", str(epoch)
    )
    result.assert_outcomes(passed=2)


def test_cancelling_refunds_per_the_calibration() -> None:
    """A cancelled scheduled send gives its credits back, but not under 'cancel-refund'
    false."""
    for refund in (True, False):
        settings = Settings(access_log=False, calibration={"cancel-refund": refund})
        with ServerThread(settings) as server:
            client = AdminClient(server.base_url, api_key=sorted(server.api_keys)[0])
            me = f"{server.base_url}/me?apiKey={client.api_key}"
            before = json.loads(urlopen(me).read())["credits"]["creditSms"]
            sent = client.send(
                "0600000000", "x", scheduledDeliveryDate=_tomorrow(), time=10, minute=0
            )
            url = f"{server.base_url}/message-cancel?apiKey={client.api_key}"
            assert json.loads(urlopen(f"{url}&messageId={sent['message_id']}").read())["success"]
            after = json.loads(urlopen(me).read())["credits"]
        assert after["creditSms"] == (before if refund else before - 1)


def test_a_send_without_phone_numbers_misses_them_whatever_empty_means() -> None:
    """Under 'empty-parameter' calibrated to 'present' an empty phoneNumbers is given (and
    fails validation), but an absent one is still missing: code 2, as with the ledger."""
    present = {"empty-parameter": {"treat_as": "present", "whitespace": ""}}
    codes = {}
    for name, calibrated in (("ledger", {}), ("present", present)):
        with ServerThread(Settings(access_log=False, calibration=calibrated)) as server:
            key = sorted(server.api_keys)[0]
            for given in ({}, {"phoneNumbers": ""}):
                body = {"apiKey": key, "message": "x", "sandbox": 1, **given}
                answer = Transport(server.base_url).post("/send", body).data()
                codes[name, bool(given)] = answer["code"]
    assert codes == {
        ("ledger", False): 2,
        ("ledger", True): 2,
        ("present", False): 2,
        ("present", True): 9,
    }


def test_phone_formats_calibrated_to_exact_strings_find_a_message_only_as_stored() -> None:
    """Under 'phone-formats' calibrated to no rule (its alternative), a lookup finds the
    fixture message 1111 only by the form it is stored in; with the ledger, by any form."""
    exact = spec.assumptions()["phone-formats"].alternatives[0]
    codes = {}
    for name, calibrated in (("ledger", {}), ("exact", {"phone-formats": exact})):
        with ServerThread(Settings(access_log=False, calibration=calibrated)) as server:
            for number in ("0600000000", "%2B33600000000"):
                query = f"apiKey=YOUR_API_KEY&messageId=1111&phoneNumber={number}"
                answer = json.loads(urlopen(f"{server.base_url}/message-status?{query}").read())
                codes[name, number] = answer["code"]
    assert codes == {
        ("ledger", "0600000000"): 200,
        ("ledger", "%2B33600000000"): 200,
        ("exact", "0600000000"): 200,
        ("exact", "%2B33600000000"): 4,
    }


# Each alternative below is also run end to end by test_conformance_variants.py, in
# subprocesses that the mutation gate leaves out; these state the same behaviour in-process.


def _alternative(assumption_id: str) -> Any:
    (value,) = spec.assumptions()[assumption_id].alternatives
    return value


def _parsed(raw: str, calibrated: dict[str, Any]) -> dict[str, str]:
    with spec.use_overlay(spec.Overlay.of(calibrated)):
        return query.parse(raw)


def test_repeated_parameter_calibrated_to_first_keeps_each_names_first_value() -> None:
    """'repeated-parameter': the ledger keeps a repeated name's last value, its alternative
    the first; either way the names after a repeat are still read."""
    raw = "apiKey=a&messageId=1&apiKey=b&phoneNumber=0600000000&messageId=2"
    assert _parsed(raw, {}) == {"apiKey": "b", "messageId": "2", "phoneNumber": "0600000000"}
    first = {"repeated-parameter": _alternative("repeated-parameter")}
    assert _parsed(raw, first) == {"apiKey": "a", "messageId": "1", "phoneNumber": "0600000000"}


def test_format_case_calibrated_to_case_sensitive_honours_only_the_documented_spellings() -> None:
    """'format-case': the ledger reads any case of json/xml; its alternative only the
    documented spellings, so 'Xml' is an unknown format there."""
    sensitive = spec.Overlay.of({"format-case": _alternative("format-case")})
    chosen = {}
    for asked in ("xml", "XML", "Xml", "JSON"):
        chosen["ledger", asked] = query.response_format({"_format": asked})
        with spec.use_overlay(sensitive):
            chosen["sensitive", asked] = query.response_format({"_format": asked})
    unknown = spec.ledger_value("unknown-format")
    assert chosen == {
        ("ledger", "xml"): "xml",
        ("ledger", "XML"): "xml",
        ("ledger", "Xml"): "xml",
        ("ledger", "JSON"): "json",
        ("sensitive", "xml"): "xml",
        ("sensitive", "XML"): "xml",
        ("sensitive", "Xml"): unknown,
        ("sensitive", "JSON"): "json",
    }


def _status_after_delivery(calibrated: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """A send to 0600000000 on a frozen clock: its message-status while it waits, then its
    message-status and bulk-status entry an hour later (long after its outcome)."""
    with ServerThread(Settings(access_log=False, calibration=calibrated)) as server:
        client = AdminClient(server.base_url, api_key=sorted(server.api_keys)[0])
        client.freeze()
        message_id = client.send("0600000000", "x")["message_id"]
        waiting = client.status(message_id, "0600000000")
        client.advance(3600)
        final = client.status(message_id, "0600000000")
        url = f"{server.base_url}/bulk-status?apiKey={client.api_key}&messageId={message_id}"
        (entry,) = json.loads(urlopen(url).read())["StatutResponse_List"]
    return waiting, final, entry


def test_status_date_calibrated_to_start_keeps_the_send_time_once_final() -> None:
    """'status-date': once final, the ledger dates a status at its arrival (start + the
    outcome's delay), its alternative at the send time, as while it waited."""
    waiting, final, _ = _status_after_delivery({})
    assert final["statut"] != waiting["statut"]
    assert final["date"] > waiting["date"]
    waiting, final, _ = _status_after_delivery({"status-date": _alternative("status-date")})
    assert final["statut"] != waiting["statut"]
    assert final["date"] == waiting["date"]


def test_send_number_echo_calibrated_to_e164_echoes_the_canonical_number() -> None:
    """'send-number-echo': the status endpoints echo a sent number as it was sent (ledger)
    or in E.164 (its alternative)."""
    waiting, final, entry = _status_after_delivery({})
    assert (waiting["number"], final["number"], entry["phoneNumber"]) == ("0600000000",) * 3
    echo = {"send-number-echo": _alternative("send-number-echo")}
    waiting, final, entry = _status_after_delivery(echo)
    assert (waiting["number"], final["number"], entry["phoneNumber"]) == ("+33600000000",) * 3
