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
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from mock_server._domain.clock import Clock
from mock_server.redaction import redact_body, redact_query, redact_text, redact_values

ADMIN_PREFIX = "/_mock/"


@dataclass
class Visit:
    """The journal entry of the request being handled, and whether a fault dropped it."""

    entry: dict[str, Any]
    dropped: bool = False


# The layers of one request run in one task, so a context variable passes the entry along.
current: ContextVar[Visit | None] = ContextVar("smspartner_mock_visit", default=None)


# What is kept of a body: enough for redact_body to show it (it parses JSON up to
# BODY_JSON_LIMIT bytes, else shows BODY_TEXT_LIMIT characters), and no more.
BODY_JSON_LIMIT = 16384
BODY_TEXT_LIMIT = 2000
BODY_KEPT = BODY_JSON_LIMIT + 1
# All entries together, queries and bodies: past this the oldest go, whatever their number.
BYTE_BUDGET = 8 * 1024 * 1024


class Journal:
    """The last `size` requests, oldest first, within BYTE_BUDGET bytes of queries and
    bodies; `dropped` counts those pushed out."""

    def __init__(self, size: int, byte_budget: int = BYTE_BUDGET) -> None:
        self.size = size
        self.byte_budget = byte_budget
        self._entries: deque[dict[str, Any]] = deque()
        self._seq = itertools.count(1)
        self.dropped = 0
        self.bytes = 0

    @staticmethod
    def _weight(entry: dict[str, Any]) -> int:
        return len(entry["query"]) + len(entry["body"])

    def open(self, at: float, method: str, path: str, query: str, body: bytes) -> dict[str, Any]:
        """Add an entry (it may still be updated: status, fault) and return it."""
        entry = {
            "seq": next(self._seq),
            "at": at,
            "method": method,
            "path": path,
            "query": query,
            "body": body[:BODY_KEPT],
            "status": None,
            "fault": None,
        }
        self._entries.append(entry)
        self.bytes += self._weight(entry)
        while len(self._entries) > self.size or (
            self.bytes > self.byte_budget and len(self._entries) > 1
        ):
            self.bytes -= self._weight(self._entries.popleft())
            self.dropped += 1
        return entry

    def snapshot(self) -> list[dict[str, Any]]:
        """Copies of the entries, oldest first, still unredacted: for redacted() to show."""
        return [dict(entry) for entry in self._entries]

    def clear(self) -> None:
        self._entries.clear()
        self.dropped = 0
        self.bytes = 0


def _shown_body(raw: bytes, keys: tuple[str, ...]) -> Any:
    if not raw:
        return None
    return redact_values(redact_body(raw, BODY_TEXT_LIMIT, BODY_JSON_LIMIT), keys)


def redacted(entries: list[dict[str, Any]], secrets: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Journal entries fit to show: API keys redacted by parameter name, and every occurrence
    of secrets (the keys the mock accepts) wherever it appears."""
    keys = tuple(secrets)
    return [
        {
            **entry,
            "query": redact_text(redact_query(entry["query"]), keys),
            "body": _shown_body(entry["body"], keys),
        }
        for entry in entries
    ]


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
