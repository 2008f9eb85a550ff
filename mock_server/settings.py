"""The mock's configuration: one frozen Settings value, checked against the contract.

It imports nothing of the mock itself: the choices it checks come from the ledger and the
catalogues (mock_server.contract.spec), and the app keeps it in its MockState.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mock_server.contract import spec
from mock_server.errors import SpecError

MAX_PORT = 65535
MAX_DELAY = 31_536_000  # one year, as magic-numbers-file.schema.json allows
MAX_CALLBACK_TIMEOUT = 300.0
MAX_CALLBACK_RATE = 10_000.0
MAX_URL_LENGTH = 2048

# The settings that choose the value of a ledger assumption, by assumption id.
ASSUMPTION_FIELDS = {
    "message-language": "lang",
    "date-format": "date_format",
    "error-http-status": "error_status",
    "dlr-payload": "dlr_shape",
    "dlr-statuses": "dlr_statuses",
}


@dataclass(frozen=True)
class Settings:
    """Everything that makes one mock differ from another.

    lang, date_format and error_status default to the assumption ledger's decisions;
    api_keys, when given, replace the fixture directory's api-keys.json; delivery_delay,
    when given, replaces the default outcome's delay of magic-numbers.json. admin turns the
    /_mock/ API on; admin_token, when set, is required by it (and it refuses everything
    without one when host is not a loopback address). journal_size bounds the journal;
    max_messages bounds the outbox (the oldest sends are forgotten past it); max_subaccounts
    bounds the sub-accounts. rate_limits turns the documented limits on (lookup and HLR 360
    requests a minute, statistics 5; assumption 'rate-limiter'). calibration replaces the
    ledger's value of some assumptions ({id: value}, as `smspartner-mock calibrate` writes
    them): the mock then answers as the measured API on those points; it also sets the fields
    of ASSUMPTION_FIELDS (lang, date_format, error_status, dlr_shape, dlr_statuses) when they
    are left at the ledger's value.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    fixtures: Path = field(default_factory=spec.fixture_dir)
    api_keys: tuple[str, ...] = ()
    lang: str = field(default_factory=lambda: spec.assumed("message-language"))
    date_format: str = field(default_factory=lambda: spec.assumed("date-format"))
    error_status: str = field(default_factory=lambda: spec.assumed("error-http-status"))
    access_log: bool = True
    delivery_delay: float | None = None
    admin: bool = True
    admin_token: str | None = field(default=None, repr=False)  # a secret: not in reprs
    journal_size: int = 500
    max_messages: int = 100_000
    callback_url: str | None = None
    callback_allow: tuple[str, ...] = ()
    dlr_shape: str = field(default_factory=lambda: spec.assumed("dlr-payload"))
    dlr_statuses: str = field(default_factory=lambda: spec.assumed("dlr-statuses"))
    callback_timeout: float | None = None
    callback_rate: float = 50.0
    max_callbacks: int = 10_000
    max_subaccounts: int = 1000
    rate_limits: bool = True
    calibration: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("lang", self.lang, spec.languages()),
            ("date_format", self.date_format, spec.choices("date-format")),
            ("error_status", self.error_status, spec.choices("error-http-status")),
            ("dlr_shape", self.dlr_shape, spec.choices("dlr-payload")),
            ("dlr_statuses", self.dlr_statuses, spec.choices("dlr-statuses")),
        ):
            if value not in allowed:
                raise ValueError(f"Invalid {name}: {value!r}; expected one of {list(allowed)}")
        if not self.host.strip():
            raise ValueError("Invalid host: ''; give an address such as 127.0.0.1")
        if not 0 <= self.port <= MAX_PORT:
            raise ValueError(f"Invalid port: {self.port!r}; expected 0 to {MAX_PORT}")
        if any(not key.strip() for key in self.api_keys):
            raise ValueError("Invalid api_keys: an empty key; give keys of one character or more")
        if self.admin_token is not None and not self.admin_token.strip():
            raise ValueError("Invalid admin_token: an empty token would let anyone in")
        if self.admin_token is not None and not self.admin:
            raise ValueError("Invalid admin_token: the admin API is off (admin=False)")
        if self.max_messages < 1:
            raise ValueError(f"Invalid max_messages: {self.max_messages!r}; expected 1 or more")
        if self.max_subaccounts < 1:
            raise ValueError(
                f"Invalid max_subaccounts: {self.max_subaccounts!r}; expected 1 or more"
            )
        if self.journal_size < 1:
            raise ValueError(f"Invalid journal_size: {self.journal_size!r}; expected 1 or more")
        if self.delivery_delay is not None and not 0 <= self.delivery_delay <= MAX_DELAY:
            raise ValueError(
                f"Invalid delivery_delay: {self.delivery_delay!r}; "
                f"expected 0 to {MAX_DELAY} seconds"
            )
        self._check_callbacks()
        self._calibrate()

    def _check_callbacks(self) -> None:
        if any(not host.strip() for host in self.callback_allow):
            raise ValueError("Invalid callback_allow: an empty host; give a host name or address")
        if self.callback_url is not None:
            refused = callback_refusal(self.callback_url, self.callback_allow)
            if refused:
                raise ValueError(f"Invalid callback_url: {refused}")
        timeout = self.callback_timeout
        if timeout is not None and not 0 < timeout <= MAX_CALLBACK_TIMEOUT:
            raise ValueError(
                f"Invalid callback_timeout: {timeout!r}; expected more than 0, at most "
                f"{MAX_CALLBACK_TIMEOUT:g} seconds"
            )
        if not 0 < self.callback_rate <= MAX_CALLBACK_RATE:
            raise ValueError(
                f"Invalid callback_rate: {self.callback_rate!r}; expected more than 0, at most "
                f"{MAX_CALLBACK_RATE:g} per second"
            )
        if self.max_callbacks < 1:
            raise ValueError(f"Invalid max_callbacks: {self.max_callbacks!r}; expected 1 or more")

    def _calibrate(self) -> None:
        calibration = json.loads(json.dumps(dict(self.calibration)))  # a copy nobody shares
        for assumption_id, name in ASSUMPTION_FIELDS.items():
            chosen, ledger = getattr(self, name), spec.ledger_value(assumption_id)
            if assumption_id not in calibration:
                if chosen != ledger:
                    calibration[assumption_id] = chosen
            elif chosen == ledger:
                object.__setattr__(self, name, calibration[assumption_id])
            elif chosen != calibration[assumption_id]:
                raise ValueError(
                    f"Invalid {name}: {chosen!r}; the calibration measured "
                    f"{calibration[assumption_id]!r} for {assumption_id!r}"
                )
        try:
            overlay = spec.Overlay.of(calibration)
        except SpecError as exc:
            raise ValueError(f"Invalid calibration: {exc}") from exc
        object.__setattr__(self, "calibration", overlay.values)
        object.__setattr__(self, "_overlay", overlay)

    @property
    def overlay(self) -> spec.Overlay:
        """The values this mock takes for assumptions, where they differ from the ledger's."""
        overlay: spec.Overlay = self.__dict__["_overlay"]
        return overlay


def is_loopback(host: str) -> bool:
    """Whether host only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def callback_refusal(url: str, allowed: Collection[str] = ()) -> str | None:
    """Why the mock will not call url, or None: it calls http(s) URLs on loopback hosts and
    on the hosts of allowed (--callback-allow) only, and never anything else."""
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        return "not a URL the mock can read"
    if parts.scheme not in ("http", "https") or not host:
        return "not an http:// or https:// URL with a host"
    if not is_loopback(host) and host not in {name.strip().lower() for name in allowed}:
        return (
            f"the host {host!r} is not allowed: callbacks go to loopback hosts only, "
            f"unless widened with --callback-allow {host}"
        )
    return None
