"""A small synchronous client of the mock's admin API and of the API calls tests need most
(the sends, message-status, the STOP list), stdlib only.

    client = AdminClient("http://127.0.0.1:8080")        # or the '/v1' base URL
    sent = client.send("0600000002", "Hello")            # the magic 'Not delivered' number
    client.advance(3600)                                 # an hour passes, no real sleep
    client.status(sent["message_id"], "0600000002")      # message-status's answer
    client.add_stop("0611111111")                        # a send to it now answers code 14
    client.wait_for_callback("dlr")                      # a receipt reached a send's urlDlr

Admin calls raise AdminClientError when the mock refuses them; API calls (send, bulk_send,
vn_send, status, add_stop, remove_stop) return the decoded answer whatever its control code,
since those are what tests check; stop_list returns the list's entries.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from mock_server.redaction import redact_text

_ABSENT = object()


class AdminClientError(Exception):
    """The mock refused an admin request: its HTTP status and the error it gave."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"Admin API answered {status}: {error}")
        self.status = status
        self.error = error


class AdminClient:
    """Talks to one running mock.

    base_url is the server root ('http://127.0.0.1:8080') or its API base ('…/v1'); token is
    the admin token when the mock requires one; api_key is the key send() and status() use.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        api_key: str = "YOUR_API_KEY",
        timeout: float = 10.0,
    ) -> None:
        self.root = base_url.rstrip("/").removesuffix("/v1")
        self.token = token
        self.api_key = api_key
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        if method not in ("GET", "HEAD"):  # the admin API takes JSON only, bodies or not
            data = data or b""
        request = urllib.request.Request(self.root + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token is not None:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raw = exc.read().decode("utf-8", "replace")
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, raw

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self._call(method, "/_mock" + path, body)
        if status >= 400:
            error = answer.get("error", answer) if isinstance(answer, Mapping) else answer
            raise AdminClientError(status, redact_text(str(error), [self.api_key]))
        return answer

    def reset(self) -> None:
        """Back to the fixtures: no sent message, real time, empty journal, no fault."""
        self._admin("POST", "/reset")

    def messages(self) -> list[dict[str, Any]]:
        """Every message the mock holds (fixture records, then sent ones), page by page."""
        found: list[dict[str, Any]] = []
        while True:
            page = self._admin("GET", f"/messages?offset={len(found)}&limit=500")
            found += page["messages"]
            if not page["messages"] or len(found) >= page["total"]:
                return found

    def add_message(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Add or replace a message-status record (the form of fixtures/messages.json)."""
        answer: dict[str, Any] = self._admin("POST", "/messages", dict(record))["messages"][0]
        return answer

    def clock(self) -> dict[str, Any]:
        """The clock: {'offset': seconds ahead, 'frozen': bool, 'now': epoch, 'date': ISO UTC}."""
        answer: dict[str, Any] = self._admin("GET", "/clock")
        return answer

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the mock's time forward by seconds; returns the clock."""
        answer: dict[str, Any] = self._admin("POST", "/clock", {"advance": seconds})
        return answer

    def freeze(self, frozen: bool = True) -> dict[str, Any]:
        """Stop (or, with False, resume) following real time; only advance() then moves
        the clock, so answers do not depend on how long a test takes. Returns the clock."""
        answer: dict[str, Any] = self._admin("POST", "/clock", {"freeze": frozen})
        return answer

    def journal(self) -> list[dict[str, Any]]:
        """The requests the mock received (outside /_mock/), oldest first, keys redacted."""
        answer: list[dict[str, Any]] = self._admin("GET", "/requests")["requests"]
        return answer

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules in force, with how often each was applied."""
        answer: list[dict[str, Any]] = self._admin("GET", "/faults")["faults"]
        return answer

    def add_fault(self, kind: str, **rule: Any) -> dict[str, Any]:
        """Add a fault rule, e.g. add_fault('http-error', status=503, times=1,
        match={'path': '/send'}); see schemas/fault-rule.schema.json for every field."""
        answer: dict[str, Any] = self._admin("POST", "/faults", {"kind": kind, **rule})["faults"][0]
        return answer

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._admin("DELETE", "/faults")

    def callbacks(self) -> list[dict[str, Any]]:
        """Every callback the journal holds, oldest first: where it went (secrets in the URL
        redacted), its body, what a fault did to it, each attempt and the outcome."""
        found: list[dict[str, Any]] = []
        while True:
            page = self._admin("GET", f"/callbacks?offset={len(found)}&limit=500")
            found += page["callbacks"]
            if not page["callbacks"] or len(found) >= page["total"]:
                return found

    def callback_state(self) -> dict[str, Any]:
        """What still waits: pending, held, queued, in_flight, next_due, and the clock."""
        answer: dict[str, Any] = self._admin("GET", "/callbacks?limit=1")
        for listing in ("callbacks", "offset", "limit"):
            del answer[listing]
        return answer

    def wait_for_callback(
        self,
        callback: str | None = None,
        *,
        advance: float | None = None,
        timeout: float = 5.0,
        **body: Any,
    ) -> dict[str, Any]:
        """The journal entry of the first callback of kind callback (dlr, response, stop,
        hlr; any when None) whose body has the given fields, once an attempt settled it.

        First moves the clock by advance seconds, or, when advance is None, to the next
        scheduled callback if there is one; then waits up to timeout real seconds. Raises
        TimeoutError listing the callbacks the journal holds.
        """
        if advance is None:
            state = self.callback_state()
            due = state["next_due"]
            advance = 0.0 if due is None else max(0.0, due - state["now"])
        if advance:
            self.advance(advance)
        deadline = time.monotonic() + timeout
        while True:
            seen = self.callbacks()
            for entry in seen:
                if (
                    entry["outcome"] != "sending"
                    and callback in (None, entry["callback"])
                    and all(entry["body"].get(k, _ABSENT) == v for k, v in body.items())
                ):
                    return entry
            if time.monotonic() >= deadline:
                listed = [(e["callback"], e["outcome"], e["body"]) for e in seen] or "nothing"
                raise TimeoutError(
                    f"No callback settled within {timeout:g} s\n"
                    f"Expected: callback {callback!r} with body fields {body!r}\n"
                    f"Received: {listed}; still waiting: {self.callback_state()}"
                )
            time.sleep(0.02)

    def inbound(self, number: str, text: str, **options: Any) -> dict[str, Any]:
        """POST /_mock/inbound: the recipient replies (options: type, message_id)."""
        body = {"from": number, "text": text, **options}
        answer: dict[str, Any] = self._admin("POST", "/inbound", body)
        return answer

    def reply(self, number: str, text: str) -> dict[str, Any]:
        """The recipient of the latest send to number replies text ('STOP' is an opt-out,
        as the ledger's 'reply-callback' reads it); the documented body is POSTed to that
        send's urlResponse or the account's callback URL."""
        return self.inbound(number, text)

    def stop(self, number: str, text: str = "STOP") -> dict[str, Any]:
        """The recipient of the latest send to number sends STOP: the number joins the stop
        list and a 'stop' callback is POSTed."""
        return self.inbound(number, text, type="stop")

    def callback_faults(self) -> list[dict[str, Any]]:
        """The callback fault rules in force, with how often each was applied."""
        answer: list[dict[str, Any]] = self._admin("GET", "/callbacks/faults")["faults"]
        return answer

    def add_callback_fault(self, kind: str, **rule: Any) -> dict[str, Any]:
        """Make callbacks misbehave, e.g. add_callback_fault('duplicate', match={'callback':
        'dlr'}); kinds drop, duplicate, delay, reorder, burst (callback-fault-rule.schema.json)."""
        data = {"kind": kind, **rule}
        answer: dict[str, Any] = self._admin("POST", "/callbacks/faults", data)["faults"][0]
        return answer

    def clear_callback_faults(self) -> None:
        """Remove every callback fault rule."""
        self._admin("DELETE", "/callbacks/faults")

    def send(
        self, phone_numbers: str | Sequence[str], message: str, **options: Any
    ) -> dict[str, Any]:
        """POST /v1/send; options are the documented fields (sender, sandbox, urlDlr,
        urlResponse, scheduledDeliveryDate, time, minute, …). Returns the decoded answer."""
        numbers = phone_numbers if isinstance(phone_numbers, str) else ",".join(phone_numbers)
        body = {"apiKey": self.api_key, "phoneNumbers": numbers, "message": message, **options}
        answer: dict[str, Any] = self._call("POST", "/v1/send", body)[1]
        return answer

    def lookup(self, phone_numbers: str | Sequence[str]) -> dict[str, Any]:
        """POST /v1/lookup: country, type and forms of each number. Returns the answer."""
        numbers = phone_numbers if isinstance(phone_numbers, str) else ",".join(phone_numbers)
        body = {"apiKey": self.api_key, "phoneNumbers": numbers}
        answer: dict[str, Any] = self._call("POST", "/v1/lookup", body)[1]
        return answer

    def hlr(self, phone_numbers: str | Sequence[str], **options: Any) -> dict[str, Any]:
        """POST /v1/hlr/notify; options are tag and notifyUrl. Returns the answer."""
        numbers = phone_numbers if isinstance(phone_numbers, str) else ",".join(phone_numbers)
        body = {"apiKey": self.api_key, "phoneNumbers": numbers, **options}
        answer: dict[str, Any] = self._call("POST", "/v1/hlr/notify", body)[1]
        return answer

    def create_subaccount(self, type: str = "simple", **parameters: Any) -> dict[str, Any]:
        """POST /v1/subaccount/create with these parameters (email, isBuyer,
        creditToAttribute, firstname, …); returns the answer (subaccount.token)."""
        body = {"apiKey": self.api_key, "type": type, "parameters": parameters}
        answer: dict[str, Any] = self._call("POST", "/v1/subaccount/create", body)[1]
        return answer

    def subaccounts(self, page: int = 1) -> dict[str, Any]:
        """GET /v1/subaccount/list: one page of sub-accounts (each with its apiKey)."""
        query = urlencode({"apiKey": self.api_key, "page": page})
        answer: dict[str, Any] = self._call("GET", f"/v1/subaccount/list?{query}")[1]
        return answer

    def move_credit(self, token: str, credit: float | str) -> dict[str, Any]:
        """POST /v1/subaccount/credit/add (credit > 0) or /credit/remove (credit < 0)."""
        amount = float(credit)
        path = "add" if amount >= 0 else "remove"
        body = {"apiKey": self.api_key, "credit": f"{abs(amount):g}", "tokenSubaccount": token}
        answer: dict[str, Any] = self._call("POST", f"/v1/subaccount/credit/{path}", body)[1]
        return answer

    def status(self, message_id: int | str, phone_number: str) -> dict[str, Any]:
        """GET /v1/message-status for one recipient; returns the decoded answer."""
        query = urlencode(
            {"apiKey": self.api_key, "messageId": message_id, "phoneNumber": phone_number}
        )
        answer: dict[str, Any] = self._call("GET", f"/v1/message-status?{query}")[1]
        return answer

    def bulk_send(
        self, sms_list: Mapping[str, str] | Iterable[Mapping[str, str]], **options: Any
    ) -> dict[str, Any]:
        """POST /v1/bulk-send: sms_list maps each number to its text ({'0600000000': 'Hi'}) or
        lists {'phoneNumber', 'message'} items; options are the single send's. Returns the
        decoded answer (one message_id for the batch)."""
        if isinstance(sms_list, Mapping):
            items = [{"phoneNumber": number, "message": text} for number, text in sms_list.items()]
        else:
            items = [dict(item) for item in sms_list]
        body = {"apiKey": self.api_key, "SMSList": items, **options}
        answer: dict[str, Any] = self._call("POST", "/v1/bulk-send", body)[1]
        return answer

    def vn_send(self, to: str, message: str, from_number: str, **options: Any) -> dict[str, Any]:
        """POST /v1/vn/send from a long number (international form without '+', e.g.
        '33600000000'); options are tag, sandbox, isStopSms, … Returns the decoded answer."""
        body = {"apiKey": self.api_key, "to": to, "from": from_number, "message": message}
        answer: dict[str, Any] = self._call("POST", "/v1/vn/send", {**body, **options})[1]
        return answer

    def stop_list(self) -> list[dict[str, Any]]:
        """The entries of GET /v1/stop-sms/list ({id, phoneNumber, createdAt}), oldest first;
        AdminClientError if the API refuses the key."""
        query = urlencode({"apiKey": self.api_key})
        status, answer = self._call("GET", f"/v1/stop-sms/list?{query}")
        if not answer.get("success"):
            raise AdminClientError(status, redact_text(str(answer), [self.api_key]))
        entries: list[dict[str, Any]] = answer["data"]
        return entries

    def add_stop(self, phone_number: str) -> dict[str, Any]:
        """POST /v1/stop-sms/add: sends to the number then answer code 14. Returns the decoded
        answer, with the entry's stopId on success."""
        body = {"apiKey": self.api_key, "phoneNumber": phone_number}
        answer: dict[str, Any] = self._call("POST", "/v1/stop-sms/add", body)[1]
        return answer

    def remove_stop(self, stop_id: int | str) -> dict[str, Any]:
        """GET /v1/stop-sms/delete by the entry's id (stopId); returns the decoded answer."""
        query = urlencode({"apiKey": self.api_key, "id": stop_id})
        answer: dict[str, Any] = self._call("GET", f"/v1/stop-sms/delete?{query}")[1]
        return answer
