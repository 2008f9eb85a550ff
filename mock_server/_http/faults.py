"""Fault injection: rules that make the mock misbehave as a slow or broken provider would.

A rule matches requests on path, phoneNumber, messageId or apiKey, applies to the next N of
them or with a probability, and is one of the kinds in APPLY. Everything a fault sends (HTML
pages, the PHP notice, defaults) is data: schemas/faults.json. Waiting faults (latency,
no-answer) never block the event loop and end at once when the server shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import socket
import struct
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server._domain import phones, values
from mock_server._http import journal, query
from mock_server.contract import spec


@dataclass
class FaultRule:
    """One rule of POST /_mock/faults, and how often it has been applied."""

    id: int
    kind: str
    match: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    probability: float | None = None
    seconds: float | None = None
    status: int | None = None
    retry_after: int | None = None
    applied: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else self.times - self.applied

    def view(self) -> dict[str, Any]:
        """The rule as the admin API shows it: the fields given, then the counters."""
        given = {
            "seconds": self.seconds,
            "status": self.status,
            "retry_after": self.retry_after,
            "times": self.times,
            "probability": self.probability,
        }
        shown = {key: value for key, value in given.items() if value is not None}
        return {"id": self.id, "kind": self.kind, "match": dict(self.match), **shown,
                "applied": self.applied, "remaining": self.remaining}  # fmt: skip


@dataclass(frozen=True)
class Facts:
    """What a request is about, for matching: its path and the values it names."""

    path: str
    phone_numbers: frozenset[str]
    message_ids: frozenset[str]
    api_keys: frozenset[str]

    def matches(self, match: Mapping[str, str]) -> bool:
        path = match.get("path")
        if path is not None and self.path not in (path, "/v1" + path):
            return False
        phone = match.get("phoneNumber")
        if phone is not None and phones.canonical(phone) not in self.phone_numbers:
            return False
        message_id = match.get("messageId")
        if message_id is not None and message_id.strip() not in self.message_ids:
            return False
        api_key = match.get("apiKey")
        return api_key is None or api_key in self.api_keys


def _texts(values: list[Any]) -> frozenset[str]:
    return frozenset(
        str(v).strip() for v in values if isinstance(v, str | int) and not isinstance(v, bool)
    )


async def facts(request: web.Request) -> Facts:
    """The values a request names, in its query and its JSON body."""
    params: dict[str, Any] = dict(query.parse(request.rel_url.raw_query_string))
    try:
        body = values.load_json(await request.read(), bounded=False)
    except (ValueError, RecursionError, web.HTTPException):
        body = None
    data: Mapping[str, Any] = body if isinstance(body, dict) else {}
    listed = data.get("SMSStatut_List")
    entries = [e for e in listed if isinstance(e, Mapping)] if isinstance(listed, list) else []
    numbers = [params.get("phoneNumber"), data.get("phoneNumber")]
    numbers += [e.get("phoneNumber") for e in entries]
    joined = data.get("phoneNumbers")
    numbers += joined.split(",") if isinstance(joined, str) else []
    ids = [params.get("messageId"), data.get("messageId")] + [e.get("messageId") for e in entries]
    return Facts(
        path=request.path,
        phone_numbers=frozenset(phones.canonical(n) for n in _texts(numbers)),
        message_ids=_texts(ids),
        api_keys=_texts([params.get("apiKey"), data.get("apiKey")]),
    )


class Faults:
    """The rules in force, tried in order; the first that matches and fires is applied."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self.stopping = asyncio.Event()  # set when the server shuts down: waits end at once
        self.clear()

    def clear(self) -> None:
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._random = random.Random(self._seed)

    def add(self, data: Mapping[str, Any]) -> FaultRule:
        """Add a rule already valid against fault-rule.schema.json."""
        rule = FaultRule(id=next(self._ids), **{**data, "match": dict(data.get("match", {}))})
        self._rules.append(rule)
        return rule

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    @property
    def active(self) -> bool:
        """Whether any rule is set (checked on every request, so it copies nothing)."""
        return bool(self._rules)

    def pick(self, about: Facts) -> FaultRule | None:
        """The rule to apply to a request, counted as applied; None when none fires."""
        for rule in self._rules:
            if rule.remaining == 0 or not about.matches(rule.match):
                continue
            if rule.probability is not None and self._random.random() >= rule.probability:
                continue
            rule.applied += 1
            return rule
        return None


async def _pause(faults: Faults, seconds: float) -> None:
    """Wait without blocking other requests; wake up at once when the server shuts down."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(faults.stopping.wait(), seconds)


def _hang_up(request: web.Request, *, reset: bool) -> None:
    """Close the connection: with a TCP reset (SO_LINGER 0), or in order (FIN)."""
    transport = request.transport
    if transport is None:  # the client went away already
        return
    if reset:
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()


def _page(status: int, **headers: str) -> web.Response:
    page = spec.faults()["pages"][str(status)]
    return web.Response(
        status=status, text=page, content_type="text/html", charset="utf-8", headers=headers
    )


async def _answer(request: web.Request, handler: Handler) -> web.Response:
    response = await handler(request)
    assert isinstance(response, web.Response)  # every handler of the mock answers in full
    return response


async def latency(
    faults: Faults, request: web.Request, handler: Handler, rule: FaultRule
) -> web.StreamResponse:
    await _pause(faults, _or_default(rule.seconds, "latency_seconds"))
    return await handler(request)


async def http_error(
    faults: Faults, request: web.Request, handler: Handler, rule: FaultRule
) -> web.StreamResponse:
    return _page(rule.status or spec.faults()["defaults"]["status"])


async def rate_limit(
    faults: Faults, request: web.Request, handler: Handler, rule: FaultRule
) -> web.StreamResponse:
    retry_after = _or_default(rule.retry_after, "retry_after")
    return _page(429, **{"Retry-After": str(int(retry_after))})


async def malformed_json(
    faults: Faults, request: web.Request, handler: Handler, rule: FaultRule
) -> web.StreamResponse:
    response = await _answer(request, handler)
    body = spec.faults()["php_notice"].encode("utf-8") + bytes(response.body)  # type: ignore[arg-type]
    return web.Response(
        status=response.status, body=body, content_type=response.content_type, charset="utf-8"
    )


async def truncated(
    faults: Faults, request: web.Request, handler: Handler, rule: FaultRule
) -> web.StreamResponse:
    response = await _answer(request, handler)
    body = bytes(response.body)  # type: ignore[arg-type]
    stream = web.StreamResponse(status=response.status)
    stream.content_type = response.content_type
    stream.charset = response.charset
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2])
    # an orderly close, so the client reads the headers and half the body, then EOF
    _hang_up(request, reset=False)
    return stream


def _dropped(request: web.Request, *, reset: bool) -> web.StreamResponse:
    _hang_up(request, reset=reset)
    visit = journal.current.get()
    assert visit is not None  # the journal layer runs first
    visit.dropped = True
    return web.Response(status=499)  # never sent: the connection is gone


async def reset(
    faults: Faults, request: web.Request, handler: Handler, rule: FaultRule
) -> web.StreamResponse:
    return _dropped(request, reset=True)


async def no_answer(
    faults: Faults, request: web.Request, handler: Handler, rule: FaultRule
) -> web.StreamResponse:
    await _pause(faults, _or_default(rule.seconds, "no_answer_seconds"))
    # closed in order (FIN), as a server that gave up on the request would: no reset
    return _dropped(request, reset=False)


def _or_default(value: float | None, name: str) -> float:
    return float(spec.faults()["defaults"][name] if value is None else value)


Apply = Callable[[Faults, web.Request, Handler, FaultRule], Awaitable[web.StreamResponse]]

APPLY: dict[str, Apply] = {
    "latency": latency,
    "http-error": http_error,
    "rate-limit": rate_limit,
    "malformed-json": malformed_json,
    "truncated": truncated,
    "reset": reset,
    "no-answer": no_answer,
}


async def inject(faults: Faults, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Around an API request while fault rules exist: apply the first that fires, if any."""
    rule = faults.pick(await facts(request))
    if rule is None:
        return await handler(request)
    visit = journal.current.get()
    assert visit is not None  # the journal layer runs first
    visit.entry["fault"] = rule.kind
    return await APPLY[rule.kind](faults, request, handler, rule)
