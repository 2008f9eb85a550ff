"""The server under test, as the suite sees it: a base URL, a key it accepts, what it knows.

A target is the bundled mock (started in-process) or a remote server given by --base-url.
The API key is kept out of every repr, so it cannot leak through pytest or Hypothesis output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .transport import Transport


@dataclass(frozen=True)
class KnownMessage:
    """A message the target is known to hold; record is its full body when known."""

    message_id: str
    phone_number: str
    record: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Target:
    """A server under test."""

    base_url: str
    api_key: str = field(repr=False)
    kind: str  # "mock" (bundled, in-process) or "remote"
    lang: str | None  # the language of its messages when known (the mock's setting)
    known: KnownMessage | None
    transport: Transport = field(repr=False, compare=False)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))
