"""A small synchronous client of the mock's admin API and of POST /v1/send, stdlib only.

    client = AdminClient("http://127.0.0.1:8080")        # or the '/v1' base URL
    sent = client.send("0600000002", "Hello")            # the magic 'Not delivered' number
    client.advance(3600)                                 # an hour passes, no real sleep
    client.status(sent["message_id"], "0600000002")      # message-status's answer

Admin calls raise AdminClientError when the mock refuses them; API calls (send, status)
return the decoded answer whatever its control code, since those are what tests check.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from mock_server.redaction import redact_text


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

    def send(
        self, phone_numbers: str | Sequence[str], message: str, **options: Any
    ) -> dict[str, Any]:
        """POST /v1/send; options are the documented fields (sender, sandbox,
        scheduledDeliveryDate, time, minute, …). Returns the decoded answer."""
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
