"""The mock's configuration: one frozen Settings value, and the typed keys of app state."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from . import spec
from .answers import AnswerCache
from .dates import DATE_FORMATS
from .errors import BodyViolation
from .state import Store

ERROR_STATUSES = ("200", "4xx")


def languages() -> tuple[str, ...]:
    """The languages every control code has a text in."""
    return tuple(next(iter(spec.control_codes().values())).message)


@dataclass(frozen=True)
class Settings:
    """Everything that makes one mock differ from another.

    lang, date_format and error_status default to the assumption ledger's decisions;
    api_keys, when given, replace the fixture directory's api-keys.json.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    fixtures: Path = spec.FIXTURE_DIR
    api_keys: tuple[str, ...] = ()
    lang: str = field(default_factory=lambda: spec.assumed("message-language"))
    date_format: str = field(default_factory=lambda: spec.assumed("date-format"))
    error_status: str = field(default_factory=lambda: spec.assumed("error-http-status"))
    access_log: bool = True

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("lang", self.lang, languages()),
            ("date_format", self.date_format, DATE_FORMATS),
            ("error_status", self.error_status, ERROR_STATUSES),
        ):
            if value not in allowed:
                raise ValueError(f"Invalid {name}: {value!r}; expected one of {list(allowed)}")


SETTINGS = web.AppKey("settings", Settings)
VIOLATIONS = web.AppKey("violations", list[BodyViolation])
STORE = web.AppKey("store", Store)
ANSWERS = web.AppKey("answers", AnswerCache)
