"""The journal: the last requests the mock received, API keys redacted, bounded in size.

Requests to the admin API are not recorded, so the journal shows only API traffic. Each
entry is opened when the request arrives, so a request that never gets an answer (a reset
connection, a client that gave up) is still listed, with status null.
"""

from __future__ import annotations

import itertools
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from .redaction import redact_body, redact_query
from .settings import STORE

ADMIN_PREFIX = "/_mock/"


@dataclass
class Visit:
    """The journal entry of the request being handled, and whether a fault dropped it."""

    entry: dict[str, Any]
    dropped: bool = False


# Middlewares of one request run in one task, so a context variable passes the entry along.
current: ContextVar[Visit | None] = ContextVar("smspartner_mock_visit", default=None)


class Journal:
    """The last `size` requests, oldest first; `dropped` counts those pushed out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self.dropped = 0

    def open(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Add an entry (it may still be updated) and return it."""
        if len(self._entries) == self.size:
            self.dropped += 1
        entry = {"seq": next(self._seq), **entry, "status": None, "fault": None}
        self._entries.append(entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self._entries]

    def clear(self) -> None:
        self._entries.clear()
        self.dropped = 0


JOURNAL = web.AppKey("journal", Journal)


@web.middleware
async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Journal every request outside the admin API, with its status once answered."""
    if request.path.startswith(ADMIN_PREFIX):
        return await handler(request)
    try:
        raw = await request.read()
    except web.HTTPException as exc:  # a body over the size limit: 413
        raw = b""
        failure: web.HTTPException | None = exc
    else:
        failure = None
    entry = request.app[JOURNAL].open(
        {
            "at": request.app[STORE].clock.now(),
            "method": request.method,
            "path": request.path,
            "query": redact_query(request.rel_url.raw_query_string),
            "body": redact_body(raw) if raw else None,
        }
    )
    visit = Visit(entry)
    current.set(visit)
    try:
        if failure is not None:
            raise failure
        response = await handler(request)
    except web.HTTPException as exc:
        entry["status"] = exc.status
        raise
    entry["status"] = None if visit.dropped else response.status
    return response
