"""The journal: the last requests the mock received, API keys redacted, bounded in size.

Requests to the admin API are not recorded, so the journal shows only API traffic. Each
entry is opened when the request arrives, so a request that never gets an answer (a reset
connection, a client that gave up) is still listed, with status null. Entries keep the raw
query and body and are redacted when read: nothing leaves the Journal unredacted, and the
hot path does no regex work.
"""

from __future__ import annotations

import itertools
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server._domain.clock import Clock
from mock_server.redaction import redact_body, redact_query

ADMIN_PREFIX = "/_mock/"


@dataclass
class Visit:
    """The journal entry of the request being handled, and whether a fault dropped it."""

    entry: dict[str, Any]
    dropped: bool = False


# The layers of one request run in one task, so a context variable passes the entry along.
current: ContextVar[Visit | None] = ContextVar("smspartner_mock_visit", default=None)


class Journal:
    """The last `size` requests, oldest first; `dropped` counts those pushed out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self.dropped = 0

    def open(self, at: float, method: str, path: str, query: str, body: bytes) -> dict[str, Any]:
        """Add an entry (it may still be updated: status, fault) and return it."""
        if len(self._entries) == self.size:
            self.dropped += 1
        entry = {
            "seq": next(self._seq),
            "at": at,
            "method": method,
            "path": path,
            "query": query,
            "body": body,
            "status": None,
            "fault": None,
        }
        self._entries.append(entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """The entries, oldest first, with API keys redacted."""
        return [
            {
                **entry,
                "query": redact_query(entry["query"]),
                "body": redact_body(entry["body"]) if entry["body"] else None,
            }
            for entry in self._entries
        ]

    def clear(self) -> None:
        self._entries.clear()
        self.dropped = 0


async def record(
    journal: Journal, clock: Clock, request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Journal a request outside the admin API, with its status once answered."""
    raw, failure = b"", None
    if request.body_exists:  # reading an absent body still costs a few awaits
        try:
            raw = await request.read()
        except web.HTTPException as exc:  # a body over the size limit: 413
            failure = exc
    entry = journal.open(
        clock.now(),
        request.method,
        request.path,
        request.rel_url.raw_query_string,
        raw,
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
