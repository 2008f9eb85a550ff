"""Everything one running mock holds, under one app key: MockState.

Its settings, the store (messages, outbox, clock), the journal, the fault rules, the
memoised answers, the callbacks (webhooks), and the mock bugs it met: bodies it refused to
send (violations) and handlers or callback senders that raised (bugs). reset() is the one
way back to the fixtures; the admin API, ServerThread and the pytest plugin all call it.
"""

from __future__ import annotations

import traceback
from collections import defaultdict
from dataclasses import dataclass

from aiohttp import web

from mock_server._domain.store import Store
from mock_server._http.answers import AnswerCache
from mock_server._http.faults import Faults
from mock_server._http.journal import Journal
from mock_server._http.webhooks import Webhooks
from mock_server.contract import spec
from mock_server.errors import BodyViolation
from mock_server.redaction import redact_text
from mock_server.settings import Settings


@dataclass(frozen=True)
class MockBug:
    """A handler that raised: the request and the exception, API keys redacted."""

    method: str
    path: str
    type: str
    message: str
    traceback: str

    def __str__(self) -> str:
        return f"{self.type}: {self.message} (in {self.method} {self.path})"


class MockState:
    """The state of one mock, built from its settings and fixtures."""

    def __init__(self, settings: Settings, fixtures: spec.Fixtures) -> None:
        self.settings = settings
        self.store = Store(
            fixtures,
            settings.api_keys,
            delivery_delay=settings.delivery_delay,
            max_messages=settings.max_messages,
            max_subaccounts=settings.max_subaccounts,
            rate_limits=settings.rate_limits,
        )
        self.journal = Journal(settings.journal_size)
        self.faults = Faults()
        # one cache per memoised operation, since each is keyed by the raw query alone
        self.answers: defaultdict[str, AnswerCache] = defaultdict(AnswerCache)
        self.violations: list[BodyViolation] = []
        self.bugs: list[MockBug] = []
        self.webhooks = Webhooks(settings, self.store, self.violations.append, self._engine_bug)

    def _engine_bug(self, exc: Exception) -> None:
        """An exception of the callback engine, recorded like a handler's."""
        keys = self.store.api_keys

        def clean(text: str) -> str:
            return redact_text(text, keys)

        trace = clean("".join(traceback.format_exception(exc)))
        self.bugs.append(MockBug("-", "(callbacks)", type(exc).__name__, clean(str(exc)), trace))

    def reset(self) -> None:
        """Back to the fixtures: no sent message, real time, an empty journal, no fault
        rule, no memoised answer, no callback (scheduled, held, queued or journalled).

        Recorded violations and bugs are kept: they are reported, and cleared, by whoever
        runs the mock (take_problems), so that a reset between a bug and its report cannot
        hide it.
        """
        self.store.reset()
        self.journal.clear()
        self.faults.clear()
        self.answers.clear()
        self.webhooks.reset()

    def take_problems(self) -> tuple[list[BodyViolation], list[MockBug]]:
        """The violations and bugs recorded so far, which are then forgotten."""
        taken = (self.violations.copy(), self.bugs.copy())
        self.violations.clear()
        self.bugs.clear()
        return taken


STATE = web.AppKey("state", MockState)
