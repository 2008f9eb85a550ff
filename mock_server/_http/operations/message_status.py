"""GET /v1/message-status: the status of one SMS, memoised.

Its answer is a pure function of the raw query string, the settings and the store, so each
distinct query is decided, rendered and validated once (answers.py); a sent message's
status moves with the clock, so its answers are never memoised.
"""

from __future__ import annotations

from mock_server._domain import dates, decisions, values
from mock_server._http import query, rendering
from mock_server._http.answers import Answer
from mock_server._http.operations import memoised, operation, present
from mock_server._http.state import MockState
from mock_server.contract import spec

STATUS = "message-status"


def answer(raw_query: str, state: MockState) -> tuple[Answer, bool]:
    """The answer to one query, and whether it holds until the store changes.

    Raises BodyViolation on a mock bug.
    """
    settings, store = state.settings, state.store
    params = query.parse(raw_query)
    fmt = query.response_format(params)
    message_id = params.get("messageId", "").strip(values.blank())
    phone_number = params.get("phoneNumber", "")
    record = store.find(message_id, phone_number)
    code = decisions.decide(
        decisions.Request(
            STATUS,
            store,
            present(params),
            params.get("apiKey", ""),
            {"unknown-message": lambda _: record is None},
        )
    )
    if code.success:
        assert record is not None  # the 'ok' code comes after 'unknown-message'
        payload = {
            **spec.constants(spec.OK),
            **record,
            "date": dates.render(record["date"], settings.date_format),
        }
        if spec.assumed("number-echo") == "request":
            payload["number"] = phone_number.strip(values.blank())
        timeless = store.holds(message_id, phone_number)
        return Answer(rendering.render(spec.OK, payload, fmt), fmt, 200), timeless
    payload = {
        **spec.constants(spec.ERROR),
        "code": code.code,
        "message": code.message[settings.lang],
    }
    status = decisions.http_status(code, settings.error_status)
    return Answer(rendering.render(spec.ERROR, payload, fmt), fmt, status), True


message_status = operation(STATUS, kinds=("unknown-message",))(memoised(STATUS, answer))
