"""The documented rate limits (lookup, HLR, statistics): fixed windows per rule and API key.

How requests are counted is the ledger's 'rate-limiter' entry: a window opens at a key's
first request and lasts the rule's seconds, on the mock's clock, so that a test can use up
a limit and advance the clock past it instead of sleeping. Each request costs O(1), and at
most max_keys (rule, key) windows are kept: past that the least recently seen is forgotten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class RateLimiter:
    """Counts requests per (rule, API key) in fixed windows; enabled=False counts nothing."""

    def __init__(self, enabled: bool = True, max_keys: int = 10_000) -> None:
        self.enabled = enabled
        self.max_keys = max_keys
        # (rule, key) -> [window start, requests in it]; dict order is least recently seen first
        self._windows: dict[tuple[str, str], list[float]] = {}

    def reset(self) -> None:
        """Forget every window."""
        self._windows.clear()

    def __len__(self) -> int:
        return len(self._windows)

    def over(self, rule: str, limit: Mapping[str, Any], key: str, now: float) -> bool:
        """Count one request of key against a rule's limit ({'requests', 'seconds'}) at time
        now; whether it is over the limit."""
        if not self.enabled:
            return False
        window = self._windows.pop((rule, key), None)
        # a window that has ended, or one from a time the clock has gone back before, restarts
        if window is None or not window[0] <= now < window[0] + limit["seconds"]:
            window = [now, 0]
        window[1] += 1
        self._windows[(rule, key)] = window
        if len(self._windows) > self.max_keys:
            del self._windows[next(iter(self._windows))]
        allowed: int = limit["requests"]
        return window[1] > allowed
