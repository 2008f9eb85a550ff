"""Request handlers: the boundary where wire names become Python names and back."""

from __future__ import annotations

from aiohttp import web

from mock_server._domain import dates, outcomes
from mock_server._domain.store import Store
from mock_server._http import query, rendering
from mock_server._http.answers import Answer
from mock_server.contract import spec
from mock_server.settings import ANSWERS, SETTINGS, STORE, Settings

_HEADERS = {
    fmt: {"Content-Type": f"{media_type}; charset=utf-8"}
    for fmt, media_type in spec.MEDIA_TYPES.items()
}


def respond(body: bytes, fmt: str, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, headers=_HEADERS[fmt])


async def message_status(request: web.Request) -> web.Response:
    """GET /v1/message-status: the documented body for the first control code that applies."""
    app = request.app
    raw = request.rel_url.raw_query_string
    store = app[STORE]
    cache = app[ANSWERS]
    hit = cache.get(raw, store.version)
    if hit is None:
        hit, timeless = answer(raw, app[SETTINGS], store)
        if timeless:
            cache.put(raw, hit)
    return respond(*hit)


def answer(raw_query: str, settings: Settings, store: Store) -> tuple[Answer, bool]:
    """The answer to one message-status query, and whether it holds until the store changes.

    A sent message's status moves with the clock, so its answers are never memoised.
    Raises BodyViolation on a mock bug.
    """
    params = query.parse(raw_query)
    fmt = query.response_format(params)
    blank = spec.assumed("empty-parameter")["whitespace"]
    lookup = outcomes.Lookup(
        present=frozenset(name for name, value in params.items() if value.strip(blank)),
        api_key=params.get("apiKey", ""),
        message_id=params.get("messageId", "").strip(blank),
        phone_number=params.get("phoneNumber", ""),
        store=store,
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
        timeless = store.holds(lookup.message_id, lookup.phone_number)
        return Answer(rendering.render(spec.OK, payload, fmt), fmt, 200), timeless
    payload = {
        **spec.constants(spec.ERROR),
        "code": code.code,
        "message": code.message[settings.lang],
    }
    status = 200 if settings.error_status == "200" else code.http_status
    return Answer(rendering.render(spec.ERROR, payload, fmt), fmt, status), True


def http_error(request: web.Request, status: int, reason: str) -> web.Response:
    """A request outside the contract (unknown path, other method): the error shape, no 5xx."""
    fmt = query.response_format(query.parse(request.rel_url.raw_query_string))
    payload = {**spec.constants(spec.HTTP_ERROR), "code": status, "message": reason}
    return respond(rendering.render(spec.HTTP_ERROR, payload, fmt), fmt, status)


# Handler of each operation id in schemas/operations.json.
HANDLERS = {"message-status": message_status}
