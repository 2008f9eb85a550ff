"""Callbacks the platform owes the application: what is due when, on the mock clock.

A Schedule is a heap ordered by due time, then by arrival: scheduling a callback and taking
the next due one cost O(log n), however many wait, and nothing ever scans the messages.
Three things wait in it: a Callback, whose body is known when it is scheduled (a reply, a
STOP, an HLR result); a Receipt, the delivery receipt of one sent message, whose body is
made when it falls due from the message as it then stands (cancelled meanwhile: none); and
whatever the HTTP side schedules again (a retry). The receipt's shapes, the retry policy and
the fault rules that make callbacks misbehave on purpose live here too. Nothing here does
HTTP.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mock_server._domain import dates, phones
from mock_server._domain.lifecycle import SentMessage
from mock_server._domain.numbers import HlrCheck
from mock_server.contract import spec

_T = TypeVar("_T")


@dataclass(frozen=True)
class Subject:
    """What a callback is about, for fault rules and reorder: its message, number, status."""

    message_id: str = ""
    number: str = ""  # canonical (E.164) when it is a phone number
    status: str = ""


@dataclass(frozen=True)
class Callback:
    """One body to POST to one URL.

    kind names the callback ('dlr', 'response', 'stop', 'hlr'); schema the schema its body
    must satisfy; last is False for an intermediate receipt, which a later one of the same
    subject follows (the only callbacks reorder may hold back); fault is the fault rule
    already applied to it, so that a delayed callback is not faulted twice.
    """

    kind: str
    target: str
    schema: str
    body: Mapping[str, Any]
    subject: Subject = Subject()
    last: bool = True
    fault: str | None = None


@dataclass(frozen=True)
class Receipt:
    """The delivery receipt of the recipient at position of send message_id: its final
    status, or (final False) the pending one, when the message leaves."""

    message_id: int
    position: int
    final: bool


class Schedule(Generic[_T]):
    """Items by due time (epoch seconds on the mock clock), earliest first, ties in the
    order they were pushed."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._heap: list[tuple[float, int, _T]] = []
        self._seq = itertools.count()

    def push(self, due: float, item: _T) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), item))

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> tuple[float, _T] | None:
        """The earliest item due at now or before, taken out; None when none is."""
        if not self._heap or self._heap[0][0] > now:
            return None
        due, _, item = heapq.heappop(self._heap)
        return due, item

    def __len__(self) -> int:
        return len(self._heap)


def plan_receipts(
    message: SentMessage, position: int, pending: str, *, intermediate: bool
) -> list[tuple[float, Receipt]]:
    """(due time, receipt) of each receipt a sent message will get, per the ledger
    ('dlr-statuses', 'sandbox-callbacks'): its final status when it arrives (a message that
    stays pending for ever gets none), and with intermediate, the pending one as it leaves."""
    if not message.url_dlr or (message.sandbox and not spec.assumed("sandbox-callbacks")):
        return []
    planned = []
    if intermediate:
        planned.append((message.start, Receipt(message.message_id, position, final=False)))
    if message.outcome.final_status != pending:
        arrival = message.start + message.outcome.delay
        planned.append((arrival, Receipt(message.message_id, position, final=True)))
    return planned


@dataclass(frozen=True)
class Moment:
    """A message at the moment of one of its receipts: the status it took, and when."""

    message: SentMessage
    status: str
    date: float


def _status_item(moment: Moment, date_format: str) -> dict[str, Any]:
    message = moment.message
    return {
        "message_id": message.message_id,
        "phoneNumber": message.number,
        "status": moment.status,
        "stopSMS": message.outcome.stop_sms,
        "date": str(int(moment.date)),
    }


def _message_status(moment: Moment, date_format: str) -> dict[str, Any]:
    message = moment.message
    return {
        **spec.constants(spec.OK),
        "number": message.number,
        "messageId": str(message.message_id),
        "stopSms": message.outcome.stop_sms,
        "date": dates.render(str(int(moment.date)), date_format),
        "statut": moment.status,
        "cost": message.cost,
        "countryCode": message.country_code,
        "currency": message.currency,
    }


def _lowercase(moment: Moment, date_format: str) -> dict[str, Any]:
    message = moment.message
    return {
        "messageId": message.message_id,
        "phoneNumber": phones.canonical(message.number),
        "status": moment.status.lower(),
        "date": int(moment.date),
    }


@dataclass(frozen=True)
class Shape:
    """One candidate form of the receipt body (assumption 'dlr-payload'): its schema, and
    how a message at a moment becomes that body."""

    schema: str
    build: Callable[[Moment, str], dict[str, Any]]


# The ledger's decision and alternatives, by name (a test pins the names equal to them).
SHAPES: dict[str, Shape] = {
    "status-item": Shape("callback-dlr.status-item", _status_item),
    "message-status": Shape(spec.OK, _message_status),
    "lowercase": Shape("callback-dlr.lowercase", _lowercase),
}


def receipt(
    receipt: Receipt, message: SentMessage, pending: str, shape: str, date_format: str
) -> Callback | None:
    """The callback of a receipt now due; None for a cancelled message, which never left."""
    if message.cancelled_at is not None or not message.url_dlr:
        return None
    if receipt.final:
        moment = Moment(
            message, message.outcome.final_status, message.start + message.outcome.delay
        )
    else:
        moment = Moment(message, pending, message.start)
    form = SHAPES[shape]
    subject = Subject(str(message.message_id), phones.canonical(message.number), moment.status)
    body = form.build(moment, date_format)
    return Callback("dlr", message.url_dlr, form.schema, body, subject, last=receipt.final)


def reply_type(text: str) -> str:
    """'stop' for a reply the platform reads as an opt-out (assumption 'reply-callback'),
    else 'response'."""
    keywords = spec.assumed("reply-callback")["stop_keywords"]
    return "stop" if text.strip().lower() in keywords else "response"


def hlr_results(check: HlrCheck) -> list[Callback]:
    """The notifyUrl callbacks of an accepted HLR check, one per number checked (assumption
    'hlr-callback'); none without a notifyUrl. Fault rules match them by the check's
    campaign_id, the id its answer gave."""
    if not check.notify_url:
        return []
    return [
        Callback("hlr", check.notify_url, "callback-hlr", body,
                 Subject(check.campaign_id, body["phone"]))
        for body in check.callbacks
    ]  # fmt: skip


def retry_delay(attempts: int) -> float | None:
    """Seconds on the mock clock before the next attempt after attempts failed ones, or None
    when the policy (assumption 'callback-retries') gives up."""
    policy = spec.assumed("callback-retries")
    if attempts >= policy["attempts"]:
        return None
    steps = policy["backoff_seconds"]
    return float(steps[min(attempts, len(steps)) - 1])


@dataclass
class CallbackRule:
    """One rule of POST /_mock/callbacks/faults, how often it was applied, and its own
    random source (seeded: the same rules and callbacks give the same choices)."""

    id: int
    kind: str
    match: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    probability: float | None = None
    seconds: float | None = None
    copies: int | None = None
    seed: int | None = None
    applied: int = 0
    random: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed or 0)

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else self.times - self.applied

    def matches(self, callback: Callback) -> bool:
        if self.kind == "reorder" and callback.last:  # nothing follows it to swap with
            return False
        subject, match = callback.subject, self.match
        wanted = match.get("phoneNumber")
        return (
            match.get("callback", callback.kind) == callback.kind
            and (wanted is None or phones.canonical(wanted) == subject.number)
            and match.get("messageId", subject.message_id).strip() == subject.message_id
            and match.get("status", subject.status) == subject.status
        )

    def view(self) -> dict[str, Any]:
        """The rule as the admin API shows it: the fields given, then the counters."""
        given = {
            "seconds": self.seconds,
            "copies": self.copies,
            "seed": self.seed,
            "times": self.times,
            "probability": self.probability,
        }
        shown = {key: value for key, value in given.items() if value is not None}
        return {"id": self.id, "kind": self.kind, "match": dict(self.match), **shown,
                "applied": self.applied, "remaining": self.remaining}  # fmt: skip


class CallbackRules:
    """The callback fault rules in force, tried in order; the first that fires applies."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._rules: list[CallbackRule] = []
        self._ids = itertools.count(1)

    def add(self, data: Mapping[str, Any]) -> CallbackRule:
        """Add a rule already valid against callback-fault-rule.schema.json."""
        rule = CallbackRule(id=next(self._ids), **{**data, "match": dict(data.get("match", {}))})
        self._rules.append(rule)
        return rule

    def rules(self) -> list[CallbackRule]:
        return list(self._rules)

    @property
    def active(self) -> bool:
        return bool(self._rules)

    def pick(self, callback: Callback) -> CallbackRule | None:
        """The rule to apply to a callback now due, counted as applied; None if none fires."""
        for rule in self._rules:
            if rule.remaining == 0 or not rule.matches(callback):
                continue
            if rule.probability is not None and rule.random.random() >= rule.probability:
                continue
            rule.applied += 1
            return rule
        return None

    def may_reorder(self, callback: Callback) -> bool:
        """Whether a reorder rule could hold this callback back (nothing is counted): a
        message it could apply to needs its intermediate receipt planned."""
        return any(
            r.kind == "reorder" and r.remaining != 0 and r.matches(callback) for r in self._rules
        )


def intermediate_probe(message: SentMessage, pending: str) -> Callback:
    """The intermediate receipt of a message as fault rules see it (body left empty)."""
    subject = Subject(str(message.message_id), phones.canonical(message.number), pending)
    return Callback("dlr", message.url_dlr or "", "", {}, subject, last=False)


def delayed(callback: Callback, fault: str) -> Callback:
    """The callback marked as met by a fault rule, so that no other rule applies to it."""
    return dataclasses.replace(callback, fault=fault)
