"""Request handlers: the boundary where wire names become Python names and back."""

from __future__ import annotations

from aiohttp import web

from . import dates, outcomes, query, rendering, spec
from .settings import SETTINGS, STORE


def respond(body: bytes, fmt: str, status: int = 200) -> web.Response:
    return web.Response(
        body=body, status=status, content_type=rendering.content_type(fmt), charset="utf-8"
    )


async def message_status(request: web.Request) -> web.Response:
    """GET /v1/message-status: the documented body for the first control code that applies."""
    settings = request.app[SETTINGS]
    params = query.parse(request.rel_url.raw_query_string)
    fmt = query.response_format(params)
    blank = spec.assumed("empty-parameter")["whitespace"]
    lookup = outcomes.Lookup(
        present=frozenset(name for name, value in params.items() if value.strip(blank)),
        api_key=params.get("apiKey", ""),
        message_id=params.get("messageId", "").strip(blank),
        phone_number=params.get("phoneNumber", ""),
        store=request.app[STORE],
    )
    code = outcomes.decide(lookup)
    if code.success:
        record = lookup.record
        assert record is not None  # the 'found' code comes after 'unknown-message'
        payload = {
            **spec.constants(spec.OK),
            **record,
            "date": dates.render(record["date"], settings.date_format),
        }
        return respond(rendering.render(spec.OK, payload, fmt), fmt)
    payload = {
        **spec.constants(spec.ERROR),
        "code": code.code,
        "message": code.message[settings.lang],
    }
    status = 200 if settings.error_status == "200" else code.http_status
    return respond(rendering.render(spec.ERROR, payload, fmt), fmt, status)


def http_error(request: web.Request, status: int, reason: str) -> web.Response:
    """A request outside the contract (unknown path, other method): the error shape, no 5xx."""
    fmt = query.response_format(query.parse(request.rel_url.raw_query_string))
    payload = {**spec.constants(spec.HTTP_ERROR), "code": status, "message": reason}
    return respond(rendering.render(spec.HTTP_ERROR, payload, fmt), fmt, status)


# Handler of each operation id in schemas/operations.json.
HANDLERS = {"message-status": message_status}
