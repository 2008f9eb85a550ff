"""The operations the mock serves: a registry of their handlers, and what handlers share.

One module of this package per operation, each found on its own (no list to edit). A
handler registers with `@operation(id, kinds=...)`, naming the trigger kinds it implements
beyond the generic ones (decisions.GENERIC), and those of any catalogue for a part of its
answer (`catalogues=`: multi-status's entries). create_app routes every operation of
schemas/operations.json to its handler, after check() has refused, at start-up, an operation
without a handler and a catalogue that names a kind nobody implements.

A handler maps wire names to Python names through a Call (the parameters as text, the
answer's format, the mock's state), lets Call.decide pick the control code, and answers
with Call.ok or Call.error, which render and validate the body against its schema.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from mock_server._domain import decisions, values
from mock_server._http import query, rendering
from mock_server._http.answers import Answer
from mock_server._http.state import STATE, MockState
from mock_server.contract import spec
from mock_server.errors import SpecError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_H = TypeVar("_H", bound=Handler)


@dataclass(frozen=True)
class Registered:
    """An operation's handler, and the trigger kinds it implements per catalogue."""

    id: str
    handler: Handler
    kinds: Mapping[str, frozenset[str]]


REGISTRY: dict[str, Registered] = {}


def operation(
    operation_id: str,
    kinds: Iterable[str] = (),
    *,
    catalogues: Mapping[str, Iterable[str]] | None = None,
) -> Callable[[_H], _H]:
    """Register the decorated function as the handler of operation_id.

    kinds: the trigger kinds of its catalogue the handler supplies a check for;
    catalogues: the same, for the other catalogues it decides from (by name).
    """

    def register(handler: _H) -> _H:
        if operation_id in REGISTRY:
            raise SpecError(f"Operation {operation_id!r} has two handlers")
        declared = {operation_id: kinds, **(catalogues or {})}
        REGISTRY[operation_id] = Registered(
            operation_id, handler, {name: frozenset(own) for name, own in declared.items()}
        )
        return handler

    return register


def registry() -> Mapping[str, Registered]:
    """Every registered operation, once each module of this package has registered its own."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY


def check(registered: Mapping[str, Registered]) -> None:
    """Raise SpecError unless every operation of schemas/operations.json has a handler and
    every catalogue's trigger kinds are implemented."""
    missing = [op.id for op in spec.operations() if op.id not in registered]
    if missing:
        raise SpecError(
            f"No handler for the operations {missing} of operations.json; "
            f"handlers exist for {sorted(registered)}"
        )
    implemented = {name: own for r in registered.values() for name, own in r.kinds.items()}
    for catalogue in spec.catalogues():
        if catalogue not in implemented:
            raise SpecError(
                f"No handler decides from {spec.catalogue_file(catalogue)}.json; "
                f"handlers decide from {sorted(implemented)}"
            )
        decisions.check_kinds(catalogue, implemented[catalogue])


_HEADERS = {
    fmt: {"Content-Type": f"{media_type}; charset=utf-8"}
    for fmt, media_type in spec.MEDIA_TYPES.items()
}


def respond(body: bytes, fmt: str, status: int = 200) -> web.Response:
    """A response of rendered bytes in fmt ('json' or 'xml')."""
    return web.Response(body=body, status=status, headers=_HEADERS[fmt])


@spec.cached
def declared(operation_id: str) -> spec.Operation:
    """The operation of schemas/operations.json (its ok and error schemas: two operations may
    share them, as credit add and remove do)."""
    return next(op for op in spec.operations() if op.id == operation_id)


def present(params: Mapping[str, str]) -> frozenset[str]:
    """The parameters given with a value that does not count as missing (assumption
    'empty-parameter')."""
    return frozenset(name for name, value in params.items() if not values.missing(value))


@dataclass
class Call:
    """One request to an operation, as its handler sees it.

    params holds the request's parameters by wire name, as text; fmt is the answer's format.
    """

    operation: str
    state: MockState
    params: dict[str, str]
    fmt: str
    data: dict[str, Any] | None = field(default=None, repr=False)

    def decide(self, checks: Mapping[str, decisions.Check] | None = None) -> spec.ControlCode:
        """The control code of this call: checks supply the operation's own trigger kinds."""
        request = decisions.Request(
            self.operation,
            self.state.store,
            present(self.params),
            self.params.get("apiKey", ""),
            checks or {},
        )
        return decisions.decide(request)

    def answer(
        self, schema_name: str, payload: Mapping[str, Any], status: int = 200
    ) -> web.Response:
        """The body of schema_name: its constant fields, then payload, validated."""
        body = rendering.render(schema_name, {**spec.constants(schema_name), **payload}, self.fmt)
        return respond(body, self.fmt, status)

    def ok(self, payload: Mapping[str, Any]) -> web.Response:
        return self.answer(declared(self.operation).ok, payload)

    def error(self, code: spec.ControlCode) -> web.Response:
        """The operation's error body for a code, with its text in the configured language."""
        settings = self.state.settings
        payload = {"code": code.code, "message": code.message[settings.lang]}
        status = decisions.http_status(code, settings.error_status)
        return self.answer(declared(self.operation).error, payload, status)


def query_call(request: web.Request, operation_id: str) -> Call:
    """A call whose parameters are in the query string."""
    params = query.parse(request.rel_url.raw_query_string)
    return Call(operation_id, request.app[STATE], params, query.response_format(params))


async def body_call(request: web.Request, operation_id: str) -> Call:
    """A call whose parameters are the fields of a JSON body (data is None when the body
    is not a JSON object). _format may be given in the body or the query, the body first."""
    raw = await request.read()
    try:
        loaded = values.load_json(raw, bounded=False)
    except (ValueError, RecursionError):  # syntax, UTF-8, NaN or huge numbers: code 90
        loaded = None
    data = loaded if isinstance(loaded, dict) else None
    params = {name: values.text(value) for name, value in (data or {}).items()}
    asked = query.parse(request.rel_url.raw_query_string)
    if "_format" in params:
        asked["_format"] = params["_format"]
    return Call(operation_id, request.app[STATE], params, query.response_format(asked), data)


def memoised(
    operation_id: str, compute: Callable[[str, MockState], tuple[Answer, bool]]
) -> Handler:
    """A handler answering from the memoised answers (answers.py) of a GET operation.

    compute(raw query string, state) gives the answer and whether it holds until the store
    changes; only those that do are kept.
    """

    async def handler(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        raw = request.rel_url.raw_query_string
        cache = state.answers[operation_id]
        hit = cache.get(raw, state.store.version)
        if hit is None:
            hit, timeless = compute(raw, state)
            if timeless:
                cache.put(raw, hit)
        return respond(*hit)

    return handler
