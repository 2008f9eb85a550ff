"""The mock's time: real time plus an offset the user controls.

Nothing in the mock reads the system clock directly; it asks a Clock. Advancing the clock
moves every message along its lifecycle at once, without a real sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Dates are rendered with datetime, which stops at year 9999; a century is plenty.
MAX_OFFSET = 100 * 365 * 86400


class Clock:
    """Real time (or any time source) plus an offset in seconds that only moves forward."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.offset = 0.0

    def now(self) -> float:
        """The mock's current time, in epoch seconds."""
        return self._source() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward; returns the new offset. Raises ValueError if seconds < 0."""
        if not seconds >= 0:  # also refuses NaN
            raise ValueError(f"The clock only moves forward; received {seconds!r} seconds")
        if self.offset + seconds > MAX_OFFSET:
            raise ValueError(f"The clock offset cannot pass {MAX_OFFSET} seconds (a century)")
        self.offset += seconds
        return self.offset

    def reset(self) -> None:
        """Back to real time."""
        self.offset = 0.0
