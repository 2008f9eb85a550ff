"""POST /v1/send: each recipient becomes a message with its own lifecycle.

The body's fields are read as PHP would read them; field problems (the message, each
number, the sender, the schedule) make the code-9 body, whose texts are the 'validation'
section of the send catalogue. Sent messages go to the store's outbox; their statuses are
computed from the clock (lifecycle.status_at).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mock_server._domain import account, dates, decisions, phones, values
from mock_server._domain.lifecycle import SentMessage
from mock_server._http.operations import Call, body_call, operation
from mock_server.contract import spec

SEND = "send"


class Fields(dict[str, str]):
    """The request's fields for a validation text's '{name}' slots; unknown names are empty."""

    def __missing__(self, key: str) -> str:
        return ""


def _recipients(raw: str) -> list[str]:
    """The numbers of phoneNumbers, trimmed, in order: each E.164 form once, or every
    occurrence (assumption 'duplicate-recipients')."""
    numbers = [n for n in (n.strip() for n in raw.split(",")) if n]
    if spec.assumed("duplicate-recipients") == "each":
        return numbers
    seen: dict[str, str] = {}
    for number in numbers:
        seen.setdefault(phones.canonical(number), number)
    return list(seen.values())


@spec.cached
def _international() -> re.Pattern[str]:
    # read once: spec.schema() hands out a deep copy, too costly per recipient of a send
    return re.compile(spec.schema(spec.QUERY)["definitions"]["internationalNumber"]["pattern"])


def _valid_number(number: str) -> bool:
    return _international().search(phones.canonical(number)) is not None


def _schedule(params: Mapping[str, str], now: float) -> tuple[float | None, list[str]]:
    """(scheduled epoch time, ids of field errors) of a send; (None, []) when not scheduled."""
    day_text = params.get("scheduledDeliveryDate", "").strip()
    hour_text = params.get("time", "").strip()
    minute_text = params.get("minute", "").strip()
    if not (day_text or hour_text or minute_text):
        return None, []
    problems = []
    try:
        day = datetime.strptime(day_text, spec.rule("schedule-date-format"))
    except ValueError:
        problems.append("date-invalid")
    if not minute_text:
        problems.append("minute-required")
    elif not values.is_number(minute_text) or (
        int(minute_text) % spec.rule("minute-step") or int(minute_text) > spec.rule("minute-max")
    ):
        problems.append("minute-invalid")
    if not hour_text:
        problems.append("time-required")
    elif not values.is_number(hour_text) or int(hour_text) > spec.rule("hour-max"):
        problems.append("time-invalid")
    if problems:
        return None, problems
    try:
        local = day.replace(tzinfo=dates.zone()) + timedelta(
            hours=int(hour_text), minutes=int(minute_text)
        )
    except OverflowError:  # 31/12/9999 at 24:00 is past what datetime can hold
        return None, ["date-invalid"]
    at = local.timestamp()
    return (None, ["date-in-past"]) if at <= now else (at, [])


def _field_errors(params: Mapping[str, str], numbers: list[str], problems: list[str]) -> list[Any]:
    """The code-9 'errors' entries, in the order of the 2018 capture."""
    found: list[tuple[str, dict[str, str]]] = []
    if not params.get("message", "").strip(values.blank()):
        found.append(("message-required", {}))
    found += [("phone-invalid", {"value": n}) for n in numbers if not _valid_number(n)]
    if len(params.get("sender", "")) > spec.rule("sender-max-length"):
        found.append(("sender-too-long", {}))
    found += [(problem, {}) for problem in problems]
    return found


def _field_error_answer(call: Call, code: spec.ControlCode, invalid: list[Any]) -> web.Response:
    """The code-9 body: one entry per field problem, texts from the send catalogue."""
    settings = call.state.settings
    texts = spec.field_errors(SEND)
    entries = [
        {
            "elementId": texts[key].element_id,
            "message": texts[key].message[settings.lang].format_map(Fields(call.params, **extra)),
        }
        for key, extra in invalid
    ]
    status = decisions.http_status(code, settings.error_status)
    return call.answer("send.invalid", {spec.assumed("send-validation-list-name"): entries}, status)


@operation(
    SEND,
    kinds=("malformed-body", "too-many", "invalid", "too-long", "no-price", "insufficient-credit"),
)
async def send(request: web.Request) -> web.Response:
    """POST /v1/send: each recipient becomes a message with its own lifecycle."""
    call = await body_call(request, SEND)
    store, data, params = call.state.store, call.data or {}, call.params
    numbers = _recipients(params.get("phoneNumbers", ""))
    params["phoneNumbers"] = ",".join(numbers)
    now = store.clock.now()
    scheduled_at, problems = _schedule(params, now)
    invalid = _field_errors(params, numbers, problems)
    message = params.get("message", "")
    unicode = values.flag(data.get("isUnicode")) or account.needs_unicode(message)
    sandbox = values.flag(data.get("sandbox"))
    prices = {n: store.account.price(n) for n in numbers}
    parts = account.parts(message, unicode)

    def short_of_credit(_: Mapping[str, Any]) -> bool:
        charges = not sandbox or spec.assumed("sandbox-send")["charges"]
        sms, money = store.account.remaining(store.outbox.totals)
        cost = sum(p.price * parts for p in prices.values() if p)
        return charges and (parts * len(numbers) > sms or round(cost, 3) > money)

    code = call.decide(
        {
            "malformed-body": lambda _: call.data is None,
            "too-many": lambda trigger: len(numbers) > spec.rule(trigger["rule"]),
            "invalid": lambda _: bool(invalid),
            "too-long": lambda trigger: parts > spec.rule(trigger["rule"])["max_parts"],
            "no-price": lambda _: None in prices.values(),
            "insufficient-credit": short_of_credit,
        }
    )
    if code.shape == "errors":
        return _field_error_answer(call, code, invalid)
    if not code.success:
        return call.error(code)
    message_id = store.outbox.allocate()
    sent = []
    for number in numbers:
        price = prices[number]
        assert price is not None  # 'no-price' comes before success
        sent.append(
            SentMessage(
                message_id=message_id,
                number=number,
                sent_at=now,
                scheduled_at=scheduled_at,
                outcome=store.magic.outcome(number),
                parts=parts,
                cost=round(price.price * parts, 3),
                country_code=price.country_code,
                currency=store.account.currency,
                sandbox=sandbox,
            )
        )
    if not sandbox or spec.assumed("sandbox-send")["creates_messages"]:
        store.outbox.add(sent)
    answer: dict[str, Any] = {
        "message_id": message_id,
        "nb_sms": parts * len(sent),
        "cost": round(sum(m.cost for m in sent), 3),
        "currency": store.account.currency,
    }
    if scheduled_at is not None:
        local = datetime.fromtimestamp(scheduled_at, dates.zone())
        answer["scheduledDeliveryDate"] = local.strftime(spec.rule("scheduled-answer-format"))
    return call.ok(answer)
