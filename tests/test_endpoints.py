"""The endpoints around message-status: send, bulk-status, multi-status, message-cancel, me."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from contract_tests.transport import Reply, Transport
from mock_server import ServerThread, Settings
from mock_server._domain import dates
from mock_server.contract import spec

KEY = "YOUR_API_KEY"


@pytest.fixture
def api(server: ServerThread) -> Transport:
    server.reset()
    return Transport(server.base_url)


def _send(api: Transport, numbers: str, **fields: Any) -> Reply:
    return api.post("/send", {"apiKey": KEY, "phoneNumbers": numbers, "message": "Hello", **fields})


def _status(api: Transport, message_id: Any, number: str) -> dict[str, Any]:
    data: dict[str, Any] = api.get(
        f"apiKey={KEY}&messageId={message_id}&phoneNumber={number}"
    ).data()
    return data


def _advance(server: ServerThread, seconds: float) -> None:
    server.call(lambda: server.state.store.clock.advance(seconds))


def _future(days: int = 1) -> dict[str, Any]:
    moment = datetime.now(dates.zone()) + timedelta(days=days)
    return {"scheduledDeliveryDate": moment.strftime("%d/%m/%Y"), "time": 10, "minute": 30}


def _code(reply: Reply) -> Any:
    return reply.data()["code"]


class TestSend:
    def test_send_answers_an_integer_message_id_and_the_cost(self, api: Transport) -> None:
        """A send to two numbers answers one integer message_id, 2 SMS and their cost."""
        data = _send(api, "0600000000, +33611111111").data()
        assert spec.first_error("send.ok", data) is None
        assert (data["message_id"], data["nb_sms"], data["cost"]) == (300000, 2, 0.09)

    def test_not_delivered_number_waits_then_fails(
        self, api: Transport, server: ServerThread
    ) -> None:
        """The magic 'Not delivered' number is Waiting, then Not delivered an hour later."""
        message_id = _send(api, "0600000002").data()["message_id"]
        waiting = _status(api, message_id, "0600000002")
        _advance(server, 3600)
        final = _status(api, message_id, "%2B33600000002")
        magic = spec.load_fixtures().magic_numbers
        (outcome,) = [row for row in magic["numbers"] if row["number"] == "0600000002"]
        assert (waiting["statut"], final["statut"]) == (
            magic["pending_status"],
            outcome["final_status"],
        )
        assert final["number"] == "0600000002"

    def test_long_and_unicode_messages_cost_several_sms(self, api: Transport) -> None:
        """161 GSM characters are 2 SMS; 71 characters with an emoji are 2 SMS too."""
        assert _send(api, "0600000000", message="a" * 161).data()["nb_sms"] == 2
        assert _send(api, "0600000000", message="\U0001f600" * 71).data()["nb_sms"] == 2
        assert _send(api, "0600000000", message="a" * 71, isUnicode=1).data()["nb_sms"] == 2

    def test_duplicate_numbers_are_one_recipient(self, api: Transport) -> None:
        """The same number in two forms is sent once."""
        assert _send(api, "0600000000,+33600000000,,").data()["nb_sms"] == 1

    def test_scheduled_send_echoes_its_paris_time(self, api: Transport) -> None:
        """A scheduled send answers scheduledDeliveryDate in Paris local time."""
        schedule = _future()
        data = _send(api, "0600000000", **schedule).data()
        day = datetime.strptime(schedule["scheduledDeliveryDate"], "%d/%m/%Y")
        assert data["scheduledDeliveryDate"] == day.strftime("%Y-%m-%d 10:30:00")

    def test_xml_answer_is_positional(self, api: Transport) -> None:
        """_format in the body selects XML."""
        reply = _send(api, "0600000000", _format="XML")
        assert reply.media_type == "application/xml"
        assert b"<entry>300000</entry>" in reply.raw

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            (b"{not json", 90),
            (b"[1, 2]", 90),
            (b"\xff\xfe", 90),
            (b"[" * 100000 + b"]" * 100000, 90),
            ({"phoneNumbers": "0600000000", "message": "x"}, 1),
            ({"apiKey": KEY, "phoneNumbers": " , ", "message": "x"}, 2),
            ({"apiKey": KEY, "phoneNumbers": ["0600000000"], "message": "x"}, 2),
            ({"apiKey": "nope", "phoneNumbers": "0600000000", "message": "x"}, 10),
            ({"apiKey": 7, "phoneNumbers": "0600000000", "message": "x"}, 10),
            ({"apiKey": KEY, "phoneNumbers": ",".join(f"06{i:08}" for i in range(501))}, 50),
            ({"apiKey": KEY, "phoneNumbers": "+4915112345678", "message": "x"}, 13),
            ({"apiKey": KEY, "phoneNumbers": "0600000000", "message": "x" * 153 * 11}, 52),
            ({"apiKey": KEY, "phoneNumbers": "0600000000", "message": "x" * 153 * 7}, 11),
        ],
    )
    def test_errors_answer_their_control_code(self, api: Transport, body: Any, code: int) -> None:
        """Each documented error answers its code, in the error schema, with HTTP 200."""
        if code == 11:
            big = ",".join(f"06{i:08}" for i in range(150))
            body = {**body, "phoneNumbers": big}
        reply = api.post("/send", body)
        data = reply.data()
        assert (reply.status, data["code"]) == (200, code)
        assert spec.first_error("send.error", data) is None
        assert data["message"] == spec.control_codes("send")[code].message["fr"]

    def test_validation_errors_list_each_field(self, api: Transport) -> None:
        """Code 9 lists the message, number, sender and schedule problems, as captured."""
        reply = api.post(
            "/send",
            {"apiKey": KEY, "phoneNumbers": "0600000000,12", "sender": "x" * 12,
             "scheduledDeliveryDate": "21/11/2014"},
        )  # fmt: skip
        data = reply.data()
        assert spec.first_error("send.invalid", data) is None
        assert [e["elementId"] for e in data["errors"]] == [
            "children[message].data",
            "children[phoneNumbers].data",
            "children[sender].data",
            "children[minute].data",
            "children[time].data",
        ]
        assert data["errors"][1]["message"] == "Ce numero de telephone n'est pas valide (12)"

    @pytest.mark.parametrize(
        ("schedule", "problem"),
        [
            ({"scheduledDeliveryDate": "31/02/2099", "time": 9, "minute": 0}, "date-invalid"),
            ({"time": "9", "minute": 0}, "date-invalid"),
            ({"scheduledDeliveryDate": "31/12/9999", "time": 24, "minute": 0}, "date-invalid"),
            (
                {"scheduledDeliveryDate": "21/11/2099", "time": "\u00b2", "minute": 0},
                "time-invalid",
            ),
            ({"scheduledDeliveryDate": "21/11/2099", "time": 9, "minute": 7}, "minute-invalid"),
            ({"scheduledDeliveryDate": "21/11/2099", "time": 9, "minute": 60}, "minute-invalid"),
            ({"scheduledDeliveryDate": "21/11/2099", "time": 9, "minute": "x"}, "minute-invalid"),
            ({"scheduledDeliveryDate": "21/11/2099", "time": 25, "minute": 0}, "time-invalid"),
        ],
    )
    def test_schedule_problems_are_field_errors(
        self, api: Transport, schedule: dict[str, Any], problem: str
    ) -> None:
        """Each schedule problem is one code-9 entry with its catalogue text."""
        data = _send(api, "0600000000", **schedule).data()
        expected = spec.field_errors("send")[problem]
        assert data["errors"] == [
            {"elementId": expected.element_id, "message": expected.message["fr"]}
        ]

    def test_past_date_names_the_date_and_time(self, api: Transport) -> None:
        """A date in the past is reported with the date, hour and minute as sent."""
        schedule = {"scheduledDeliveryDate": "21/11/2014", "time": 9, "minute": 5}
        (entry,) = _send(api, "0600000000", **schedule).data()["errors"]
        assert entry["message"] == "La date (21/11/2014 à 9:5) est anterieure a la date actuelle."

    def test_4xx_mode_uses_the_catalogue_http_status(self) -> None:
        """With error_status 4xx, a validation error is HTTP 400 and a bad key 401."""
        with ServerThread(Settings(error_status="4xx", access_log=False)) as server:
            api = Transport(server.base_url)
            assert api.post("/send", {"apiKey": KEY, "phoneNumbers": "1"}).status == 400
            assert api.post("/send", {"apiKey": "x", "phoneNumbers": "1"}).status == 401

    def test_sandbox_send_is_not_charged(self, api: Transport) -> None:
        """A sandbox send answers its cost but leaves the credits as they were."""
        before = api.request("GET", "/me", f"apiKey={KEY}").data()["credits"]
        assert _send(api, "0600000000", sandbox=True).data()["cost"] == 0.045
        assert _send(api, "0600000000", sandbox="1").data()["nb_sms"] == 1
        assert api.request("GET", "/me", f"apiKey={KEY}").data()["credits"] == before


class TestStatuses:
    def test_bulk_and_multi_status_agree_with_message_status(
        self, api: Transport, server: ServerThread
    ) -> None:
        """bulk-status and multi-status report the same status as message-status."""
        message_id = _send(api, "0600000002,0600000005").data()["message_id"]
        _advance(server, 3600)
        single = {n: _status(api, message_id, n)["statut"] for n in ("0600000002", "0600000005")}
        bulk = api.request("GET", "/bulk-status", f"apiKey={KEY}&messageId={message_id}").data()
        assert spec.first_error("bulk-status.ok", bulk) is None
        assert {e["phoneNumber"]: e["status"] for e in bulk["StatutResponse_List"]} == single
        assert [e["stopSMS"] for e in bulk["StatutResponse_List"]] == [False, True]
        pairs = [{"phoneNumber": n, "messageId": message_id} for n in single]
        multi = api.post("/multi-status", {"apiKey": KEY, "SMSStatut_List": pairs}).data()
        assert spec.first_error("multi-status.ok", multi) is None
        assert {e["phoneNumber"]: e["status"] for e in multi["StatutResponse_List"]} == single
        assert [e["stopSms"] for e in multi["StatutResponse_List"]] == ["0", "1"]

    def test_bulk_status_of_a_fixture_message(self, api: Transport) -> None:
        """A fixture message is reported by bulk-status with an epoch date."""
        data = api.request("GET", "/bulk-status", f"apiKey={KEY}&messageId=1111").data()
        assert data["StatutResponse_List"] == [
            {"phoneNumber": "0600000000", "status": "Delivered", "stopSMS": False,
             "date": dates.to_epoch(dates.parse("2015-02-07 22:39:46"))}
        ]  # fmt: skip

    @pytest.mark.parametrize(
        ("query", "code"),
        [("messageId=1111", 1), (f"apiKey={KEY}", 3), ("apiKey=x&messageId=1", 10),
         (f"apiKey={KEY}&messageId=999", 4), (f"apiKey={KEY}&messageId=abc", 4)],
    )  # fmt: skip
    def test_bulk_status_errors(self, api: Transport, query: str, code: int) -> None:
        """bulk-status answers codes 1, 3, 10 and 4."""
        data = api.request("GET", "/bulk-status", query).data()
        assert data["code"] == code
        assert spec.first_error("bulk-status.error", data) is None

    def test_multi_status_unknown_pairs_are_code_4_entries(self, api: Transport) -> None:
        """Unknown or malformed pairs are entries with code 4 and 'Numéro introuvable'."""
        pairs = [
            {"phoneNumber": "+212621123456", "messageId": 2270110},
            {"phoneNumber": "0600000000", "messageId": "abc"},
            {"messageId": 1111},
            "garbage",
        ]
        data = api.post("/multi-status", {"apiKey": KEY, "SMSStatut_List": pairs}).data()
        assert spec.first_error("multi-status.ok", data) is None
        entries = data["StatutResponse_List"]
        assert [(e["code"], e["messageId"]) for e in entries] == [
            (4, 2270110), (4, "abc"), (4, 1111), (4, "")
        ]  # fmt: skip
        assert {e["status"] for e in entries} == {"Num\u00e9ro introuvable"}

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            (b"nope", 90),
            ({"SMSStatut_List": [{}]}, 1),
            ({"apiKey": "x", "SMSStatut_List": [{}]}, 10),
            ({"apiKey": KEY, "SMSStatut_List": []}, 5),
            ({"apiKey": KEY, "SMSStatut_List": "x"}, 5),
            ({"apiKey": KEY, "SMSStatut_List": [{}] * 501}, 50),
        ],
    )
    def test_multi_status_errors(self, api: Transport, body: Any, code: int) -> None:
        """multi-status answers codes 90, 1, 10, 5 and 50."""
        data = api.post("/multi-status", body).data()
        assert data["code"] == code
        assert spec.first_error("multi-status.error", data) is None


class TestCancel:
    def test_cancel_a_scheduled_send(self, api: Transport, server: ServerThread) -> None:
        """A scheduled send can be cancelled once; it then reports the cancelled status."""
        message_id = _send(api, "0600000000", **_future()).data()["message_id"]
        query = f"apiKey={KEY}&messageId={message_id}"
        first = api.request("GET", "/message-cancel", query).data()
        assert first == {"success": True, "code": 200, "message": "L'envoi du SMS a été annulé."}
        assert _code(api.request("GET", "/message-cancel", query)) == 5
        _advance(server, 3 * 86400)
        assert _status(api, message_id, "0600000000")["statut"] == spec.assumed("cancelled-status")

    def test_cancel_refunds_the_credits(self, api: Transport) -> None:
        """A cancelled send costs nothing; a scheduled one counts in toSend until then."""
        before = api.request("GET", "/me", f"apiKey={KEY}").data()["credits"]
        message_id = _send(api, "0600000000", **_future()).data()["message_id"]
        pending = api.request("GET", "/me", f"apiKey={KEY}").data()["credits"]
        assert (pending["creditSms"], pending["toSend"]) == (before["creditSms"] - 1, 1)
        api.request("GET", "/message-cancel", f"apiKey={KEY}&messageId={message_id}")
        assert api.request("GET", "/me", f"apiKey={KEY}").data()["credits"] == before

    def test_cancel_too_late_and_after_sending(self, api: Transport, server: ServerThread) -> None:
        """Less than 5 minutes ahead answers 6; once sent, 7; unscheduled, 7."""
        message_id = _send(api, "0600000000", **_future()).data()["message_id"]
        query = f"apiKey={KEY}&messageId={message_id}"
        start = server.state.store.outbox.recipients(str(message_id))[0].start
        _advance(server, start - server.state.store.clock.now() - 60)
        assert _code(api.request("GET", "/message-cancel", query)) == 6
        _advance(server, 120)
        assert _code(api.request("GET", "/message-cancel", query)) == 7
        now = _send(api, "0600000000").data()["message_id"]
        assert _code(api.request("GET", "/message-cancel", f"apiKey={KEY}&messageId={now}")) == 7
        assert _code(api.request("GET", "/message-cancel", f"apiKey={KEY}&messageId=1111")) == 7

    @pytest.mark.parametrize(
        ("query", "code"),
        [("messageId=1", 1), (f"apiKey={KEY}", 3), ("apiKey=x&messageId=1", 10),
         (f"apiKey={KEY}&messageId=424242", 4)],
    )  # fmt: skip
    def test_cancel_errors(self, api: Transport, query: str, code: int) -> None:
        """message-cancel answers codes 1, 3, 10 and 4."""
        data = api.request("GET", "/message-cancel", query).data()
        assert data["code"] == code
        assert spec.first_error("message-cancel.error", data) is None


class TestMe:
    def test_credits_decrease_as_messages_are_sent(self, api: Transport) -> None:
        """Each charged SMS takes one credit and its price from the balance."""
        before = api.request("GET", "/me", f"apiKey={KEY}").data()
        assert spec.first_error("me.ok", before) is None
        _send(api, "0600000000,+212620123456")
        after = api.request("GET", "/me", f"apiKey={KEY}").data()["credits"]
        assert after["creditSms"] == before["credits"]["creditSms"] - 2
        assert float(after["solde"]) == pytest.approx(float(before["credits"]["solde"]) - 0.085)
        assert after["balance"] == after["solde"]

    def test_me_in_xml_names_the_user_fields(self, api: Transport) -> None:
        """In XML, user has named children and credits anonymous entries."""
        raw = api.request("GET", "/me", f"apiKey={KEY}&_format=xml").raw.decode()
        assert "<username><![CDATA[developer@example.com]]></username>" in raw
        assert "    <entry>1000</entry>" in raw

    @pytest.mark.parametrize(("query", "code"), [("", 1), ("apiKey=nope", 10)])
    def test_me_errors(self, api: Transport, query: str, code: int) -> None:
        """me answers codes 1 and 10."""
        data = api.request("GET", "/me", query).data()
        assert data["code"] == code
        assert spec.first_error("me.error", data) is None
