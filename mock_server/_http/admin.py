"""The admin API under /_mock/: reset, messages, clock, journal, faults, callbacks and
inbound replies, JSON in and out.

It never lives under /v1/, so it cannot collide with the API it fakes. When the server
listens on an address other than loopback, it refuses every request that does not carry
the admin token (`Authorization: Bearer TOKEN`); with a token set, it always requires it.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server._domain import callbacks, phones, values
from mock_server._domain.callbacks import Callback, CallbackRule, Subject
from mock_server._domain.lifecycle import SentMessage
from mock_server._domain.store import Store
from mock_server._http import rendering
from mock_server._http.faults import FaultRule
from mock_server._http.journal import redacted
from mock_server._http.state import STATE
from mock_server.contract import spec
from mock_server.errors import FixtureError, StoreFull
from mock_server.redaction import redact_mapping, redact_text, redact_url
from mock_server.settings import is_loopback


class AdminError(Exception):
    """A refused admin request: its HTTP status and what to fix."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def answer(schema_name: str, payload: Mapping[str, Any], status: int = 200) -> web.Response:
    body = rendering.render(schema_name, payload, "json")
    return _json_response(body, status)


def _json_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/json", charset="utf-8")


async def answer_off_loop(schema_name: str, build: Callable[[], Mapping[str, Any]]) -> web.Response:
    """answer() for a long listing: built, validated and serialised in a worker thread, so
    that the API's requests go on being served meanwhile. build must read only a snapshot
    that nothing else changes."""

    def render() -> bytes:
        return rendering.render(schema_name, build(), "json")

    return _json_response(await asyncio.to_thread(render))


def _token_given(request: web.Request, token: str | None) -> bool:
    """Whether the request carries the admin token: one Authorization header, 'Bearer TOKEN'."""
    headers = request.headers.getall("Authorization", [])
    if token is None or len(headers) != 1:
        return False
    scheme, _, given = headers[0].strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _host_of(authority: str) -> str:
    """The host of a Host header or an origin's authority ('[::1]:8080' -> '::1')."""
    if authority.startswith("["):
        return authority[1:].partition("]")[0]
    return authority.rpartition(":")[0] if authority.count(":") == 1 else authority


def _web_page_risk(request: web.Request) -> str | None:
    """Why a request may come from a web page rather than a local tool, or None.

    A page on another site can post to a loopback server (a cross-site request: its Origin
    names that site) or read from it after DNS rebinding (the Host header then names the
    attacker's domain); a local tool sends neither.
    """
    host = request.headers.get("Host")
    if host is not None and not is_loopback(_host_of(host)):
        return f"the Host header {host!r} is not a loopback address (DNS rebinding?)"
    origin = request.headers.get("Origin")
    if origin is not None:
        scheme, _, authority = origin.partition("://")
        if scheme not in ("http", "https") or not is_loopback(_host_of(authority)):
            return f"the Origin {origin!r} is another site (a web page?)"
    return None


# Only these media types may change state: a web page can send a cross-site form or a
# text/plain POST without asking, but an application/json one needs a CORS preflight,
# which the mock never grants.
_JSON = "application/json"
_SAFE_METHODS = frozenset({"GET", "HEAD"})


async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Around every admin request: the token, web-page and media-type checks, and AdminError
    as a JSON error body."""
    settings = request.app[STATE].settings
    token = settings.admin_token
    authorised = _token_given(request, token)
    if not authorised and (token is not None or not is_loopback(settings.host)):
        return answer(
            "admin-error",
            {"error": "The admin API needs its token: send 'Authorization: Bearer TOKEN' "
             "(the token is printed at start, or set with --admin-token)"},
            401,
        )  # fmt: skip
    risk = None if authorised else _web_page_risk(request)
    if risk is not None:
        return answer(
            "admin-error",
            {"error": f"Refused: {risk}. The admin API answers local tools only; "
             "send the admin token to use it from elsewhere"},
            403,
        )  # fmt: skip
    if request.method not in _SAFE_METHODS and request.content_type != _JSON:
        return answer(
            "admin-error",
            {"error": f"The admin API takes {_JSON} only; received Content-Type "
             f"{request.headers.get('Content-Type', '(none)')!r}"},
            415,
        )  # fmt: skip
    try:
        return await handler(request)
    except AdminError as exc:
        # a key can only reach an error message as a value the request sent
        shown = redact_text(str(exc), request.app[STATE].store.api_keys)
        return answer("admin-error", {"error": shown}, exc.status)


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        data = values.load_json(await request.read())
    except (ValueError, RecursionError) as exc:
        raise AdminError(400, f"The body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise AdminError(400, f"The body must be a JSON object; received {type(data).__name__}")
    return data


def _sent_view(store: Store, message: SentMessage) -> dict[str, Any]:
    return {
        "source": "sent",
        **store.record(message),
        "sent_at": message.sent_at,
        "scheduled_at": message.scheduled_at,
        "final_status": message.outcome.final_status,
        "delay_seconds": message.outcome.delay,
        "cancelled_at": message.cancelled_at,
        "sandbox": message.sandbox,
        "parts": message.parts,
    }


async def reset(request: web.Request) -> web.Response:
    """POST /_mock/reset: fixtures only, no sent message, real time, empty journal, no fault."""
    request.app[STATE].reset()
    return answer("admin-reset", {"reset": True})


# A listing costs what it shows: pages keep every admin answer to a few milliseconds.
PAGE_DEFAULT = 100
PAGE_MAX = 500


def _page(request: web.Request) -> tuple[int, int]:
    """(offset, limit) from ?offset=&limit=; AdminError for anything but small integers."""
    page = {}
    for name, default, top in (("offset", 0, None), ("limit", PAGE_DEFAULT, PAGE_MAX)):
        text = request.query.get(name, str(default))
        if not values.is_number(text) or len(text) > values.MAX_INT_DIGITS:
            raise AdminError(400, f"{name} must be a whole number; received {text[:30]!r}")
        number = int(text)
        if top is not None and not 1 <= number <= top:
            raise AdminError(400, f"{name} must be 1 to {top}; received {number}")
        page[name] = number
    return page["offset"], page["limit"]


async def list_messages(request: web.Request) -> web.Response:
    """GET /_mock/messages?offset=&limit=: fixture records, then every recipient of every
    send, one page at a time; 'total' says how many there are."""
    store = request.app[STATE].store
    offset, limit = _page(request)
    fixed = [{"source": "fixture", **m} for m in store.messages(offset, limit)]
    rest = limit - len(fixed)
    # the sends as they stand now (a copy of references: the outbox may change meanwhile);
    # finding the page among them and viewing it is done off the loop
    sends = store.outbox.snapshot() if rest else []
    skip = max(0, offset - len(store))
    page = {"offset": offset, "limit": limit, "total": len(store) + len(store.outbox)}

    def build() -> dict[str, Any]:
        sent = itertools.islice(itertools.chain.from_iterable(sends), skip, skip + rest)
        return {"messages": fixed + [_sent_view(store, m) for m in sent], **page}

    return await answer_off_loop("admin-messages", build)


async def add_message(request: web.Request) -> web.Response:
    """POST /_mock/messages: add (or replace) a record, in the form of messages.json."""
    record = await _json_object(request)
    try:
        stored = request.app[STATE].store.put(record)
    except FixtureError as exc:
        problem = f"{exc.path}: {exc.reason}"
        raise AdminError(400, f"The record is not a servable message: {problem}") from exc
    except StoreFull as exc:
        raise AdminError(409, str(exc)) from exc
    return answer("admin-messages", {"messages": [{"source": "fixture", **stored}]}, 201)


def _clock_view(request: web.Request) -> dict[str, Any]:
    clock = request.app[STATE].store.clock
    now = clock.now()
    date = datetime.fromtimestamp(now, timezone.utc).isoformat()
    return {"offset": clock.offset, "frozen": clock.frozen, "now": now, "date": date}


async def get_clock(request: web.Request) -> web.Response:
    """GET /_mock/clock: the offset and the mock's current time."""
    return answer("admin-clock", _clock_view(request))


async def change_clock(request: web.Request) -> web.Response:
    """POST /_mock/clock {"advance": SECONDS} and/or {"freeze": true|false}."""
    data = await _json_object(request)
    problem = spec.first_error("admin-clock-change", data)
    if problem:
        raise AdminError(
            400,
            'Expected {"advance": SECONDS} and/or {"freeze": true|false}; '
            f"received {json.dumps(redact_mapping(data))[:200]} ({problem[1]} at {problem[0]})",
        )
    clock = request.app[STATE].store.clock
    try:
        clock.advance(data.get("advance", 0))
    except ValueError as exc:  # NaN, or past the clock's range: nothing changed
        raise AdminError(400, str(exc)) from exc
    if "freeze" in data:
        clock.freeze(data["freeze"])
    request.app[STATE].webhooks.pump()  # what the new time made due goes out now
    return answer("admin-clock", _clock_view(request))


async def journal(request: web.Request) -> web.Response:
    """GET /_mock/requests: the journal, oldest first, API keys redacted."""
    kept = request.app[STATE].journal
    rows, secrets = kept.snapshot(), request.app[STATE].store.api_keys
    view = {"size": kept.size, "dropped": kept.dropped}
    return await answer_off_loop(
        "admin-journal", lambda: {"requests": redacted(rows, secrets), **view}
    )


def _faults_view(rules: list[FaultRule]) -> dict[str, Any]:
    return {"faults": [redact_mapping(rule.view()) for rule in rules]}


async def list_faults(request: web.Request) -> web.Response:
    """GET /_mock/faults: the rules in force."""
    return answer("admin-faults", _faults_view(request.app[STATE].faults.rules()))


async def add_fault(request: web.Request) -> web.Response:
    """POST /_mock/faults: add a rule (fault-rule.schema.json)."""
    data = await _json_object(request)
    problem = spec.first_error("fault-rule", data)
    if problem:
        raise AdminError(400, f"Invalid fault rule at {problem[0]}: {problem[1]}")
    rule = request.app[STATE].faults.add(data)
    return answer("admin-faults", _faults_view([rule]), 201)


async def clear_faults(request: web.Request) -> web.Response:
    """DELETE /_mock/faults: remove every rule."""
    request.app[STATE].faults.clear()
    return answer("admin-faults", _faults_view([]))


async def list_callbacks(request: web.Request) -> web.Response:
    """GET /_mock/callbacks?offset=&limit=: the journal of callbacks, one page at a time,
    and what still waits."""
    webhooks = request.app[STATE].webhooks
    offset, limit = _page(request)
    page = {"offset": offset, "limit": limit, "total": len(webhooks.journal), **webhooks.view()}
    shown = webhooks.journal.page(offset, limit)
    return await answer_off_loop("admin-callbacks", lambda: {"callbacks": shown, **page})


def _callback_faults_view(rules: list[CallbackRule]) -> dict[str, Any]:
    return {"faults": [rule.view() for rule in rules]}


async def list_callback_faults(request: web.Request) -> web.Response:
    """GET /_mock/callbacks/faults: the callback fault rules in force."""
    rules = request.app[STATE].webhooks.rules.rules()
    return answer("admin-callback-faults", _callback_faults_view(rules))


async def add_callback_fault(request: web.Request) -> web.Response:
    """POST /_mock/callbacks/faults: add a rule (callback-fault-rule.schema.json)."""
    data = await _json_object(request)
    problem = spec.first_error("callback-fault-rule", data)
    if problem:
        raise AdminError(400, f"Invalid callback fault rule at {problem[0]}: {problem[1]}")
    rule = request.app[STATE].webhooks.rules.add(data)
    return answer("admin-callback-faults", _callback_faults_view([rule]), 201)


async def clear_callback_faults(request: web.Request) -> web.Response:
    """DELETE /_mock/callbacks/faults: remove every rule."""
    request.app[STATE].webhooks.rules.clear()
    return answer("admin-callback-faults", _callback_faults_view([]))


async def inbound(request: web.Request) -> web.Response:
    """POST /_mock/inbound {"from": NUMBER, "text": TEXT}: the recipient replies (or sends
    STOP) to the latest send to it; the documented body goes to that send's urlResponse, or
    the account's callback URL, and a STOP adds the number to the stop list."""
    data = await _json_object(request)
    problem = spec.first_error("admin-inbound-message", data)
    if problem:
        raise AdminError(400, f"Invalid inbound message at {problem[0]}: {problem[1]}")
    state = request.app[STATE]
    store, number = state.store, data["from"]
    kind = data.get("type") or callbacks.reply_type(data["text"])
    if "message_id" in data:
        answered = store.outbox.find(str(data["message_id"]), number)
        message_id = data["message_id"]
    else:
        answered = store.outbox.last_to(number)
        if answered is None:
            raise AdminError(
                409, f"No message was sent to {number!r}: send one first, or give message_id"
            )
        message_id = answered.message_id
    body = {"type": kind, "phone_number": phones.canonical(number), "text": data["text"],
            "message_id": message_id}  # fmt: skip
    problem = spec.first_error("callback-reply", body)
    if problem:
        raise AdminError(400, f"Cannot reply from {number!r}: {problem[1]} at {problem[0]}")
    if kind == "stop":
        try:
            store.stop_number(number)
        except StoreFull as exc:
            raise AdminError(409, str(exc)) from exc
    target = (answered.url_response if answered else "") or state.settings.callback_url or ""
    subject = Subject(str(message_id), body["phone_number"])
    if not target:
        reason = "no callback URL: the send had no urlResponse and the mock no --callback-url"
    elif state.webhooks.push(Callback(kind, target, "callback-reply", body, subject)):
        state.webhooks.pump()
        reason = None
    else:
        reason = f"{state.settings.max_callbacks} callbacks are waiting already"
    shown = {"target": redact_url(target), "body": body} if target and reason is None else None
    return answer("admin-inbound", {"callback": shown, "stopped": kind == "stop", "reason": reason})


def add_routes(app: web.Application, wrap: Callable[[Handler], Handler]) -> None:
    """Register the admin API, each handler wrapped in the mock's layers."""
    app.router.add_post("/_mock/reset", wrap(reset))
    app.router.add_get("/_mock/messages", wrap(list_messages))
    app.router.add_post("/_mock/messages", wrap(add_message))
    app.router.add_get("/_mock/clock", wrap(get_clock))
    app.router.add_post("/_mock/clock", wrap(change_clock))
    app.router.add_get("/_mock/requests", wrap(journal))
    app.router.add_get("/_mock/faults", wrap(list_faults))
    app.router.add_post("/_mock/faults", wrap(add_fault))
    app.router.add_delete("/_mock/faults", wrap(clear_faults))
    app.router.add_get("/_mock/callbacks", wrap(list_callbacks))
    app.router.add_get("/_mock/callbacks/faults", wrap(list_callback_faults))
    app.router.add_post("/_mock/callbacks/faults", wrap(add_callback_fault))
    app.router.add_delete("/_mock/callbacks/faults", wrap(clear_callback_faults))
    app.router.add_post("/_mock/inbound", wrap(inbound))
