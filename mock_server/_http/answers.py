"""Memoised answers: a message-status answer is a pure function of the raw query string,
the settings and the store, so each distinct query is decided, rendered and validated once.

Deciding an answer costs several times what aiohttp itself spends on a request; a client (or
a test suite) asks the same few questions over and over, so this cache is what lets the mock
run close to a bare aiohttp handler. It is bounded, so a flood of distinct queries costs a
fixed amount of memory, and it is dropped whenever the store changes. operations.memoised()
wraps an operation's answer function in it; MockState keeps one cache per such operation.
"""

from __future__ import annotations

from typing import NamedTuple


class Answer(NamedTuple):
    """What the handler sends: the body's bytes, its format ('json' or 'xml'), the status."""

    body: bytes
    fmt: str
    status: int


class AnswerCache:
    """Answers by raw query string, valid for one version of the store; oldest out first."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._version = -1
        self._answers: dict[str, Answer] = {}

    def get(self, query: str, version: int) -> Answer | None:
        if version != self._version:
            self._answers.clear()
            self._version = version
        return self._answers.get(query)

    def put(self, query: str, answer: Answer) -> Answer:
        if len(self._answers) >= self.maxsize:
            del self._answers[next(iter(self._answers))]
        self._answers[query] = answer
        return answer

    def __len__(self) -> int:
        return len(self._answers)
