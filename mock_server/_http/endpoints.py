"""Handlers of the endpoints a caller of message-status meets: send, bulk-status,
multi-status, message-cancel and me.

Each maps wire names to Python names, lets controls.decide pick the control code from the
operation's catalogue, and hands the body to rendering, which validates it against the
operation's schema. Sent messages go to the store's outbox; their statuses are computed
from the clock (lifecycle.status_at).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mock_server._domain import account, controls, dates, phones, values
from mock_server._domain.lifecycle import SentMessage
from mock_server._http import query, rendering
from mock_server._http.handlers import respond
from mock_server.contract import spec
from mock_server.settings import SETTINGS, STORE

SEND = "send"
BULK = "bulk-status"
MULTI = "multi-status"
ENTRY = "multi-status-entry"
CANCEL = "message-cancel"
ME = "me"

Checks = Mapping[str, Callable[[Mapping[str, Any]], bool]]


def _text(value: Any) -> str:
    """A JSON value as the text a PHP backend would read; lists, objects, null are empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _flag(value: Any) -> bool:
    return value is True or _text(value).strip().lower() in ("1", "true")


async def _json_object(request: web.Request) -> dict[str, Any] | None:
    """The JSON object of the body, or None when it is not one (code 90)."""
    raw = await request.read()
    try:
        data = values.load_json(raw)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None
    return data if isinstance(data, dict) else None


def _body_format(request: web.Request, data: Mapping[str, Any]) -> str:
    params = query.parse(request.rel_url.raw_query_string)
    if "_format" in data:
        params["_format"] = _text(data["_format"])
    return query.response_format(params)


def _blank() -> str:
    """What counts as blank around a value (assumption 'empty-parameter', PHP's trim())."""
    blank: str = spec.assumed("empty-parameter")["whitespace"]
    return blank


def _present(params: Mapping[str, str]) -> frozenset[str]:
    return frozenset(name for name, value in params.items() if value.strip(_blank()))


def _call(
    request: web.Request, operation: str, params: Mapping[str, str], checks: Checks
) -> spec.ControlCode:
    return controls.decide(
        controls.Call(
            operation=operation,
            present=_present(params),
            api_key=params.get("apiKey", ""),
            store=request.app[STORE],
            checks=checks,
        )
    )


def error(request: web.Request, operation: str, code: spec.ControlCode, fmt: str) -> web.Response:
    """The documented error body of an operation for one control code."""
    settings = request.app[SETTINGS]
    name = f"{operation}.error"
    payload = {**spec.constants(name), "code": code.code, "message": code.message[settings.lang]}
    status = 200 if settings.error_status == "200" else code.http_status
    return respond(rendering.render(name, payload, fmt), fmt, status)


def ok(operation: str, payload: Mapping[str, Any], fmt: str) -> web.Response:
    name = f"{operation}.ok"
    return respond(rendering.render(name, {**spec.constants(name), **payload}, fmt), fmt)


# POST /v1/send ---------------------------------------------------------------------------


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _recipients(raw: str) -> list[str]:
    """The numbers of phoneNumbers, trimmed, each E.164 form once, in order."""
    seen: dict[str, str] = {}
    for number in (n.strip() for n in raw.split(",")):
        if number:
            seen.setdefault(phones.canonical(number), number)
    return list(seen.values())


@functools.cache
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
    if not params.get("message", "").strip(_blank()):
        found.append(("message-required", {}))
    found += [("phone-invalid", {"value": n}) for n in numbers if not _valid_number(n)]
    if len(params.get("sender", "")) > spec.rule("sender-max-length"):
        found.append(("sender-too-long", {}))
    found += [(problem, {}) for problem in problems]
    return found


def _field_error_answer(
    request: web.Request,
    code: spec.ControlCode,
    invalid: list[Any],
    params: Mapping[str, str],
    fmt: str,
) -> web.Response:
    """The code-9 body: one entry per field problem, texts from the send catalogue."""
    settings = request.app[SETTINGS]
    texts = spec.field_errors(SEND)
    entries = [
        {
            "elementId": texts[key].element_id,
            "message": texts[key].message[settings.lang].format_map(_Fields(params, **extra)),
        }
        for key, extra in invalid
    ]
    payload = {**spec.constants("send.invalid"), spec.assumed("send-validation-list-name"): entries}
    status = 200 if settings.error_status == "200" else code.http_status
    return respond(rendering.render("send.invalid", payload, fmt), fmt, status)


async def send(request: web.Request) -> web.Response:
    """POST /v1/send: each recipient becomes a message with its own lifecycle."""
    store = request.app[STORE]
    body = await _json_object(request)
    data = body or {}
    fmt = _body_format(request, data)
    params = {name: _text(value) for name, value in data.items()}
    numbers = _recipients(params.get("phoneNumbers", ""))
    params["phoneNumbers"] = ",".join(numbers)
    now = store.clock.now()
    scheduled_at, problems = _schedule(params, now)
    invalid = _field_errors(params, numbers, problems)
    message = params.get("message", "")
    unicode = _flag(data.get("isUnicode")) or account.needs_unicode(message)
    sandbox = _flag(data.get("sandbox"))
    prices = {n: store.account.price(n) for n in numbers}
    parts = account.parts(message, unicode)

    def short_of_credit(_: Mapping[str, Any]) -> bool:
        charges = not sandbox or spec.assumed("sandbox-send")["charges"]
        sms, money = store.account.remaining(store.outbox.totals)
        cost = sum(p.price * parts for p in prices.values() if p)
        return charges and (parts * len(numbers) > sms or round(cost, 3) > money)

    code = _call(
        request,
        SEND,
        params,
        {
            "malformed-body": lambda _: body is None,
            "too-many": lambda trigger: len(numbers) > spec.rule(trigger["rule"]),
            "invalid": lambda _: bool(invalid),
            "too-long": lambda trigger: parts > spec.rule(trigger["rule"])["max_parts"],
            "no-price": lambda _: None in prices.values(),
            "insufficient-credit": short_of_credit,
        },
    )
    if code.shape == "errors":
        return _field_error_answer(request, code, invalid, params, fmt)
    if not code.success:
        return error(request, SEND, code, fmt)
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
    return ok(SEND, answer, fmt)


# GET /v1/bulk-status ---------------------------------------------------------------------


async def bulk_status(request: web.Request) -> web.Response:
    """GET /v1/bulk-status: every recipient of one messageId."""
    store = request.app[STORE]
    params = query.parse(request.rel_url.raw_query_string)
    fmt = query.response_format(params)
    message_id = params.get("messageId", "").strip(_blank())
    records = store.recipients(message_id)
    code = _call(request, BULK, params, {"unknown-message": lambda _: not records})
    if not code.success:
        return error(request, BULK, code, fmt)
    entries = [
        {
            "phoneNumber": r["number"],
            "status": r["statut"],
            "stopSMS": r["stopSms"],
            "date": dates.render(r["date"], spec.assumed("bulk-multi-date-format")),
        }
        for r in records
    ]
    return ok(BULK, {"message_id": message_id, "StatutResponse_List": entries}, fmt)


# POST /v1/multi-status -------------------------------------------------------------------


def _multi_entry(request: web.Request, entry: Any) -> dict[str, Any]:
    store, settings = request.app[STORE], request.app[SETTINGS]
    fields = entry if isinstance(entry, Mapping) else {}
    phone = _text(fields.get("phoneNumber"))
    message_id = _text(fields.get("messageId")).strip(_blank())
    record = store.find(message_id, phone) if phone.strip(_blank()) and message_id else None
    code = controls.decide(
        controls.Call(ENTRY, frozenset(), "", store, {"unknown-message": lambda _: record is None})
    )
    if record is None:
        return {
            "success": False,
            "code": code.code,
            "phoneNumber": phone,
            "messageId": int(message_id) if values.is_number(message_id) else message_id,
            "status": code.message[settings.lang],
        }
    epoch = spec.assumed("bulk-multi-date-format")
    return {
        "success": True,
        "code": code.code,
        "phoneNumber": record["number"],
        "messageId": int(record["messageId"]),
        "status": record["statut"],
        "date": dates.render(record["date"], epoch),
        "stopSms": "1" if record["stopSms"] else "0",
        "isSpam": "0",
    }


async def multi_status(request: web.Request) -> web.Response:
    """POST /v1/multi-status: the status of up to 500 (phoneNumber, messageId) pairs."""
    body = await _json_object(request)
    data = body or {}
    fmt = _body_format(request, data)
    listed = data.get("SMSStatut_List")
    entries = listed if isinstance(listed, list) else []
    params = {"apiKey": _text(data.get("apiKey"))}
    code = _call(
        request,
        MULTI,
        params,
        {
            "malformed-body": lambda _: body is None,
            "empty-list": lambda _: not entries,
            "too-many": lambda trigger: len(entries) > spec.rule(trigger["rule"]),
        },
    )
    if not code.success:
        return error(request, MULTI, code, fmt)
    items = [_multi_entry(request, entry) for entry in entries]
    return ok(MULTI, {"StatutResponse_List": items}, fmt)


# GET /v1/message-cancel ------------------------------------------------------------------


async def message_cancel(request: web.Request) -> web.Response:
    """GET /v1/message-cancel: cancel a scheduled send, at least 5 minutes ahead."""
    settings, store = request.app[SETTINGS], request.app[STORE]
    params = query.parse(request.rel_url.raw_query_string)
    fmt = query.response_format(params)
    message_id = params.get("messageId", "").strip(_blank())
    sent = store.outbox.recipients(message_id)
    now = store.clock.now()
    code = _call(
        request,
        CANCEL,
        params,
        {
            "unknown-message": lambda _: not store.recipients(message_id),
            "already-cancelled": lambda _: bool(sent) and sent[0].cancelled_at is not None,
            # a fixture message, or one sent without a schedule, has left already
            "already-sent": lambda _: not sent or sent[0].start <= now,
            "too-late-to-cancel": lambda t: sent[0].start - now < spec.rule(t["rule"]),
        },
    )
    if not code.success:
        return error(request, CANCEL, code, fmt)
    store.outbox.cancel(message_id, now)
    return ok(CANCEL, {"message": code.message[settings.lang]}, fmt)


# GET /v1/me ------------------------------------------------------------------------------


async def me(request: web.Request) -> web.Response:
    """GET /v1/me: the account and its credits, less what the sends so far cost."""
    store = request.app[STORE]
    params = query.parse(request.rel_url.raw_query_string)
    fmt = query.response_format(params)
    code = _call(request, ME, params, {})
    if not code.success:
        return error(request, ME, code, fmt)
    credits = store.account.credits(store.outbox.totals, store.outbox.to_send(store.clock.now()))
    return ok(ME, {"user": dict(store.account.user), "credits": credits}, fmt)


# Handler of each operation id in schemas/operations.json, and the trigger kinds it
# implements beyond the generic ones (controls.GENERIC_KINDS).
HANDLERS = {SEND: send, BULK: bulk_status, MULTI: multi_status, CANCEL: message_cancel, ME: me}
TRIGGERS: dict[str, tuple[str, ...]] = {
    SEND: ("malformed-body", "too-many", "invalid", "too-long", "no-price", "insufficient-credit"),
    BULK: ("unknown-message",),
    MULTI: ("malformed-body", "empty-list", "too-many"),
    ENTRY: ("unknown-message",),
    CANCEL: ("unknown-message", "already-cancelled", "already-sent", "too-late-to-cancel"),
    ME: (),
}


def check_triggers() -> None:
    """Raise SpecError unless every trigger kind of every catalogue here is implemented."""
    for operation, kinds in TRIGGERS.items():
        controls.check_kinds(operation, kinds)
