"""The mock's time: real time plus an offset the user controls.

Nothing in the mock reads the system clock directly; it asks a Clock. Advancing the clock
moves every message along its lifecycle at once, without a real sleep. A frozen clock stops
following real time, so that only advances move it: a test then gets the same answers
however slowly it runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Dates are rendered with datetime, which stops at year 9999; a century is plenty.
MAX_OFFSET = 100 * 365 * 86400


class Clock:
    """Real time (or any time source) plus an offset in seconds; it never goes back."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.offset = 0.0
        self._frozen_at: float | None = None

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def _base(self) -> float:
        return self._source() if self._frozen_at is None else self._frozen_at

    def now(self) -> float:
        """The mock's current time, in epoch seconds."""
        return self._base() + self.offset

    def freeze(self, frozen: bool) -> None:
        """Stop (or resume) following real time, without a jump: now() is unchanged.

        Resuming after real time has passed leaves the offset smaller (even negative): the
        mock's time goes on from where it stood.
        """
        if frozen and self._frozen_at is None:
            self._frozen_at = self._source()
        elif not frozen and self._frozen_at is not None:
            self.offset -= self._source() - self._frozen_at
            self._frozen_at = None

    def advance(self, seconds: float) -> float:
        """Move the clock forward; returns the new offset. Raises ValueError if seconds < 0."""
        if not seconds >= 0:  # also refuses NaN
            raise ValueError(f"The clock only moves forward; received {seconds!r} seconds")
        if self.offset + seconds > MAX_OFFSET:
            raise ValueError(f"The clock offset cannot pass {MAX_OFFSET} seconds (a century)")
        self.offset += seconds
        return self.offset

    def reset(self) -> None:
        """Back to real time, not frozen."""
        self.offset = 0.0
        self._frozen_at = None
