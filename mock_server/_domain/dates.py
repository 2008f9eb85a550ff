"""The two forms of 'date': the docs' local datetime and the captures' epoch seconds.

Which form is served is a setting (--date-format); the time zone of the docs form is the
'date-timezone' assumption.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mock_server.contract import spec

DOCS_FORMAT = "%Y-%m-%d %H:%M:%S"


def zone() -> ZoneInfo:
    return ZoneInfo(spec.assumed("date-timezone"))


def to_epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def to_docs(moment: datetime) -> str:
    return moment.astimezone(zone()).strftime(DOCS_FORMAT)


def parse(value: str) -> datetime:
    """A stored date in either form, as an aware datetime."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value), zone())
    return datetime.strptime(value, DOCS_FORMAT).replace(tzinfo=zone())


def render(value: str, date_format: str) -> str:
    """A stored date in the form the mock is set to serve."""
    if date_format == "epoch":
        return value if value.isdigit() else to_epoch(parse(value))
    return to_docs(parse(value)) if value.isdigit() else value
