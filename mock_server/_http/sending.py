"""What the three sends share (POST /v1/send, /v1/bulk-send, /v1/vn/send): reading the
schedule, listing field problems, the code-9 body, and a Batch of priced recipients that
answers the shared trigger kinds and, once the request is accepted, goes to the outbox.

Every recipient of every send becomes a SentMessage with the lifecycle of lifecycle.py, so
bulk-status, multi-status and message-status report them all alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from mock_server._domain import account, dates, decisions, phones, values
from mock_server._domain.lifecycle import SentMessage
from mock_server._domain.store import Store
from mock_server._http.operations import Call
from mock_server.contract import spec


class Fields(dict[str, str]):
    """The request's fields for a validation text's '{name}' slots; unknown names are empty."""

    def __missing__(self, key: str) -> str:
        return ""


@spec.cached
def _international() -> re.Pattern[str]:
    # read once: spec.schema() hands out a deep copy, too costly per recipient of a send
    return re.compile(spec.schema(spec.QUERY)["definitions"]["internationalNumber"]["pattern"])


def valid_number(number: str) -> bool:
    """Whether a number, in any documented form, is a valid international number."""
    return _international().search(phones.canonical(number)) is not None


def schedule(params: Mapping[str, str], now: float) -> tuple[float | None, list[str]]:
    """(scheduled epoch time, ids of field errors) of a send; (None, []) when not scheduled."""
    day_text = params.get("scheduledDeliveryDate", "").strip()
    hour_text = params.get("time", "").strip()
    minute_text = params.get("minute", "").strip()
    if not (day_text or hour_text or minute_text):
        return None, []
    problems = []
    try:
        day = datetime.strptime(day_text, spec.rule("schedule-date-format"))
    except ValueError:
        problems.append("date-invalid")
    if not minute_text:
        problems.append("minute-required")
    elif not values.is_number(minute_text) or (
        int(minute_text) % spec.rule("minute-step") or int(minute_text) > spec.rule("minute-max")
    ):
        problems.append("minute-invalid")
    if not hour_text:
        problems.append("time-required")
    elif not values.is_number(hour_text) or int(hour_text) > spec.rule("hour-max"):
        problems.append("time-invalid")
    if problems:
        return None, problems
    try:
        local = day.replace(tzinfo=dates.zone()) + timedelta(
            hours=int(hour_text), minutes=int(minute_text)
        )
    except OverflowError:  # 31/12/9999 at 24:00 is past what datetime can hold
        return None, ["date-invalid"]
    at = local.timestamp()
    return (None, ["date-in-past"]) if at <= now else (at, [])


Problem = tuple[str, dict[str, str]]


def field_problems(
    message_missing: bool,
    numbers: Iterable[str],
    sender: str = "",
    schedule_problems: Iterable[str] = (),
) -> list[Problem]:
    """The code-9 entries (validation id, its text's slots), in the order of the 2018 capture."""
    found: list[Problem] = [("message-required", {})] if message_missing else []
    found += [("phone-invalid", {"value": n}) for n in numbers if not valid_number(n)]
    if len(sender) > spec.rule("sender-max-length"):
        found.append(("sender-too-long", {}))
    return found + [(problem, {}) for problem in schedule_problems]


def blank(text: str) -> bool:
    return not text.strip(values.blank())


def field_error_answer(call: Call, code: spec.ControlCode, problems: list[Problem]) -> web.Response:
    """The code-9 body of the call's operation: one entry per field problem, texts from the
    'validation' section of its catalogue."""
    settings = call.state.settings
    texts = spec.field_errors(call.operation)
    entries = [
        {
            "elementId": texts[key].element_id,
            "message": texts[key].message[settings.lang].format_map(Fields(call.params, **extra)),
        }
        for key, extra in problems
    ]
    status = decisions.http_status(code, settings.error_status)
    listed = {spec.assumed("send-validation-list-name"): entries}
    return call.answer(f"{call.operation}.invalid", listed, status)


@dataclass(frozen=True)
class Item:
    """One recipient of a send and the text it gets."""

    number: str
    message: str


# The trigger kinds every send answers through Batch.checks(), declared once for the
# operations that send (send, bulk-send, vn/send).
BATCH_KINDS = ("too-long", "no-price", "stopped", "insufficient-credit")


class Batch:
    """The recipients of one send request, each priced and counted in SMS parts.

    checks() answers the trigger kinds every send shares; commit() puts the recipients in
    the outbox under one new message_id, once the request has been accepted.
    """

    def __init__(
        self,
        store: Store,
        items: list[Item],
        *,
        unicode: bool = False,
        sandbox: bool = False,
        scheduled_at: float | None = None,
        urls: tuple[str, str] = ("", ""),
        owner: str = "",
        tag: str = "",
    ) -> None:
        self.store = store
        self.url_dlr, self.url_response = urls
        self.owner, self.tag = owner, tag
        self.items = items
        self.sandbox = sandbox
        self.scheduled_at = scheduled_at
        self.prices = [store.account.price(item.number) for item in items]
        # counted once per distinct text: a send gives all its recipients the same one
        counted = {
            text: account.parts(text, unicode or account.needs_unicode(text))
            for text in {item.message for item in items}
        }
        self.parts = [counted[item.message] for item in items]

    def _short_of_credit(self) -> bool:
        charges = not self.sandbox or spec.assumed("sandbox-send")["charges"]
        cost = sum(p.price * n for p, n in zip(self.prices, self.parts, strict=True) if p)
        return charges and self.store.short_of(self.owner, sum(self.parts), cost)

    def checks(self) -> dict[str, decisions.Check]:
        """The shared kinds: too-long, no-price, stopped, insufficient-credit."""
        stops = self.store.stops
        return {
            "too-long": lambda t: max(self.parts, default=0) > spec.rule(t["rule"])["max_parts"],
            "no-price": lambda _: None in self.prices,
            "stopped": lambda _: any(stops.find(item.number) for item in self.items),
            "insufficient-credit": lambda _: self._short_of_credit(),
        }

    def commit(
        self, now: float, plan: Callable[[list[SentMessage], int], None]
    ) -> tuple[int, list[SentMessage]]:
        """Send: every recipient to the outbox under one new message_id; plan gets them and
        their position in the outbox (the delivery receipts of those sent with urlDlr). A
        sandbox send keeps no message when the ledger ('sandbox-send') says it creates none."""
        outbox = self.store.outbox
        message_id = outbox.allocate()
        sent = []
        for item, price, parts in zip(self.items, self.prices, self.parts, strict=True):
            assert price is not None  # 'no-price' comes before success
            sent.append(
                SentMessage(
                    message_id=message_id,
                    number=item.number,
                    sent_at=now,
                    scheduled_at=self.scheduled_at,
                    outcome=self.store.magic.outcome(item.number),
                    parts=parts,
                    cost=round(price.price * parts, 3),
                    country_code=price.country_code,
                    currency=self.store.account.currency,
                    sandbox=self.sandbox,
                    url_dlr=self.url_dlr,
                    url_response=self.url_response,
                    owner=self.owner,
                    tag=self.tag,
                )
            )
        if not self.sandbox or spec.assumed("sandbox-send")["creates_messages"]:
            plan(sent, outbox.add(sent))
        return message_id, sent


def callback_urls(params: Mapping[str, str]) -> tuple[str, str]:
    """(urlDlr, urlResponse) of a send request, trimmed; empty when absent."""
    return params.get("urlDlr", "").strip(), params.get("urlResponse", "").strip()


def totals(sent: list[SentMessage]) -> dict[str, Any]:
    """What a send answers about its recipients: SMS parts and cost."""
    return {"nb_sms": sum(m.parts for m in sent), "cost": round(sum(m.cost for m in sent), 3)}
