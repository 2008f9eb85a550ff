"""Callbacks to the application under test: delivery receipts, replies, STOP, HLR results.

Webhooks sends what the domain schedules (mock_server._domain.callbacks) when it falls due
on the mock clock. pump() runs on a periodic tick as real time passes and after every
change of the clock; each run moves at most PUMP_BATCH due callbacks, through the callback
fault rules, into a queue of at most QUEUE_SIZE with one lane per target origin. SENDERS
tasks take the lanes in turn, never more than PER_TARGET at once for one origin, so that a
target that hangs holds back only its own callbacks, and POST with one aiohttp
ClientSession: a timeout per attempt, no redirect followed, nothing of the answer read but
its status, at most callback_rate attempts a second, failed attempts retried on the mock
clock (assumption 'callback-retries'); a reset abandons the attempts in flight. Callbacks go
only to the hosts the settings allow; any other is refused and journalled, never sent. None
of this runs in a request's task, so a target that hangs, refuses or fails never slows an
API answer. Every callback that falls due is journalled with its attempts
(GET /_mock/callbacks).

A new kind of callback needs one call: webhooks.push(Callback(kind, url, schema, body,
Subject(...)), delay=seconds).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from mock_server._domain import callbacks
from mock_server._domain.callbacks import (
    Callback,
    CallbackRule,
    CallbackRules,
    Receipt,
    Schedule,
)
from mock_server._domain.lifecycle import SentMessage
from mock_server._domain.store import Store
from mock_server._http import rendering
from mock_server.contract import spec
from mock_server.errors import BodyViolation
from mock_server.redaction import redact_url
from mock_server.settings import Settings, callback_refusal

SENDERS = 8  # deliveries at once, for all targets
PER_TARGET = 2  # deliveries at once to one origin: a target that hangs holds two senders
QUEUE_SIZE = 256  # due callbacks waiting for a sender
PUMP_BATCH = 256  # due items one pump moves: bounded work per tick
TICK = 0.1  # seconds between two pumps as real time passes
MAX_BODY = 16384  # bytes: the mock's own bodies stay far below; past this is a mock bug
HEADERS = {"Content-Type": "application/json; charset=utf-8"}


@dataclass
class Delivery:
    """A callback on its way: its body, its journal entry, the attempts made so far, and
    the callbacks a reorder rule held back until its first attempt."""

    callback: Callback
    body: bytes
    entry: dict[str, Any]
    generation: int
    attempts: int = 0
    followers: list[Callback] = field(default_factory=list)


Due = Callback | Receipt | Delivery


def _origin(url: str) -> str:
    """What one lane serves: scheme, host and port of a URL already allowed."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2].lower()}"


class Lanes:
    """Deliveries waiting for a sender, one lane per origin, taken in turn; an origin with
    PER_TARGET deliveries in flight waits its next turn until one of them ends."""

    def __init__(self) -> None:
        self._lanes: dict[str, deque[Delivery]] = {}
        self._busy: dict[str, int] = {}
        self._turns: deque[str] = deque()
        self._ready = asyncio.Event()
        self.size = 0

    def _offer(self, origin: str) -> None:
        if (
            self._lanes.get(origin)
            and self._busy.get(origin, 0) < PER_TARGET
            and origin not in self._turns
        ):
            self._turns.append(origin)
            self._ready.set()

    def put(self, delivery: Delivery) -> None:
        origin = _origin(delivery.callback.target)
        self._lanes.setdefault(origin, deque()).append(delivery)
        self.size += 1
        self._offer(origin)

    async def take(self) -> tuple[str, Delivery]:
        """The next delivery, in turn, and its origin, counted in flight until done()."""
        while not self._turns:
            self._ready.clear()
            await self._ready.wait()
        origin = self._turns.popleft()
        lane = self._lanes[origin]
        delivery = lane.popleft()
        if not lane:
            del self._lanes[origin]
        self.size -= 1
        self._busy[origin] = self._busy.get(origin, 0) + 1
        self._offer(origin)
        return origin, delivery

    def done(self, origin: str) -> None:
        self._busy[origin] -= 1
        if not self._busy[origin]:
            del self._busy[origin]
        self._offer(origin)

    def clear(self) -> None:
        """Forget the waiting deliveries (those in flight stay counted until done)."""
        self._lanes.clear()
        self._turns.clear()
        self.size = 0


class CallbackJournal:
    """The last `size` callbacks that fell due, oldest first; `dropped` counts those
    pushed out. URLs are redacted as they are journalled."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: deque[dict[str, Any]] = deque()
        self.clear()

    def clear(self) -> None:
        self._entries.clear()
        self._seq = itertools.count(1)
        self.dropped = 0

    def add(
        self, callback: Callback, due: float, outcome: str, reason: str | None = None
    ) -> dict[str, Any]:
        entry = {
            "seq": next(self._seq),
            "callback": callback.kind,
            "target": redact_url(callback.target),
            "body": dict(callback.body),
            "due": due,
            "fault": callback.fault,
            "outcome": outcome,
            "reason": reason,
            "next_attempt": None,
            "attempts": [],
        }
        self._entries.append(entry)
        if len(self._entries) > self.size:
            self._entries.popleft()
            self.dropped += 1
        return entry

    def page(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """Copies of the entries from offset, at most limit (safe to render off the loop)."""
        shown = itertools.islice(self._entries, offset, offset + limit)
        return [{**e, "attempts": [dict(a) for a in e["attempts"]]} for e in shown]

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class Burst:
    """Callbacks a burst rule holds until release_at, then lets go all at once."""

    rule: CallbackRule
    release_at: float
    held: list[Callback] = field(default_factory=list)


def _pair(callback: Callback) -> tuple[str, str, str]:
    """What a held intermediate receipt and the receipt that releases it share."""
    return callback.kind, callback.subject.message_id, callback.subject.number


class Webhooks:
    """The callbacks of one mock: scheduled, held, queued, in flight, and journalled.

    on_violation receives a body that breaks its schema (a mock bug, never sent); on_bug
    an exception of the engine itself, which never stops it.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        on_violation: Callable[[BodyViolation], None],
        on_bug: Callable[[Exception], None],
    ) -> None:
        self.settings = settings
        self.store = store
        self._on_violation = on_violation
        self._on_bug = on_bug
        self.schedule: Schedule[Due] = Schedule()
        self.rules = CallbackRules()
        self.journal = CallbackJournal(settings.journal_size)
        self._queue = Lanes()
        self._attempts: set[asyncio.Task[tuple[int | None, str | None]]] = set()
        self._bursts: dict[int, Burst] = {}
        self._parked: dict[tuple[str, str, str], list[Callback]] = {}
        self._generation = 0
        self._in_flight = 0
        self._next_slot = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    # Scheduling

    def reset(self) -> None:
        """Forget every callback: scheduled, held, queued, journalled, and the fault rules;
        attempts in flight finish unrecorded and are not retried."""
        self._generation += 1
        self.schedule.clear()
        self.rules.clear()
        self.journal.clear()
        self._bursts.clear()
        self._parked.clear()
        self._queue.clear()
        for attempt in self._attempts:
            attempt.cancel()

    @property
    def held(self) -> int:
        return sum(len(b.held) for b in self._bursts.values()) + sum(
            len(held) for held in self._parked.values()
        )

    def waiting(self) -> int:
        """Callbacks not done yet: scheduled (retries included), held, queued."""
        return len(self.schedule) + self.held + self._queue.size

    def _admit(self, kind: str, target: str, due: float) -> bool:
        """Whether one more callback may wait; if not, it is journalled as refused."""
        if self.waiting() < self.settings.max_callbacks:
            return True
        refused = Callback(kind, target, "", {})
        reason = (
            f"{self.settings.max_callbacks} callbacks are waiting already "
            "(max_callbacks, --max-callbacks)"
        )
        self.journal.add(refused, due, "refused", reason)
        return False

    def push(self, callback: Callback, delay: float = 0.0) -> bool:
        """Schedule a callback delay seconds from now on the mock clock; False when too
        many wait already (it is then journalled as refused)."""
        due = self.store.clock.now() + delay
        if not self._admit(callback.kind, callback.target, due):
            return False
        self.schedule.push(due, callback)
        return True

    def receipts(self, messages: Sequence[SentMessage], first: int) -> None:
        """Schedule the delivery receipts of the recipients of one send, at positions first,
        first + 1, … of their message_id (Outbox.add's answer)."""
        pending = self.store.magic.pending
        everything = self.settings.dlr_statuses == "all"
        for position, message in enumerate(messages, start=first):
            if not message.url_dlr:
                continue
            probe = callbacks.intermediate_probe(message, pending)
            intermediate = everything or (self.rules.active and self.rules.may_reorder(probe))
            planned = callbacks.plan_receipts(message, position, pending, intermediate=intermediate)
            for due, receipt in planned:
                if self._admit("dlr", message.url_dlr, due):
                    self.schedule.push(due, receipt)

    # Release: due items through the fault rules into the queue

    def pump(self) -> None:
        """Move what is due now towards the senders: at most PUMP_BATCH items, and never
        more than QUEUE_SIZE queued; the rest waits for the next pump."""
        now = self.store.clock.now()
        for _ in range(PUMP_BATCH):
            if self._queue.size >= QUEUE_SIZE:
                break
            taken = self.schedule.pop_due(now)
            if taken is None:
                break
            self._release(*taken)
        for rule_id, burst in list(self._bursts.items()):
            if burst.release_at <= now:
                del self._bursts[rule_id]
                burst.rule.random.shuffle(burst.held)
                for callback in burst.held:
                    self._send(callback, burst.release_at)

    def _release(self, due: float, item: Due) -> None:
        if isinstance(item, Delivery):  # a retry (a reset empties the schedule: never stale)
            item.entry["outcome"], item.entry["next_attempt"] = "sending", None
            self._queue.put(item)
            return
        callback = self._receipt(item) if isinstance(item, Receipt) else item
        if callback is None:
            return
        rule = self.rules.pick(callback) if callback.fault is None and self.rules.active else None
        if rule is None:
            self._send(callback, due)
        else:
            FAULTS[rule.kind](self, callback, rule, due)

    def _receipt(self, receipt: Receipt) -> Callback | None:
        message = self.store.outbox.at(receipt.message_id, receipt.position)
        if message is None:  # forgotten by the outbox's retention
            return None
        settings = self.settings
        return callbacks.receipt(
            receipt, message, self.store.magic.pending, settings.dlr_shape, settings.date_format
        )

    def _send(self, callback: Callback, due: float) -> None:
        """Journal a callback and queue it, or journal why it is refused; then whatever a
        reorder rule held back for it follows."""
        reason = callback_refusal(callback.target, self.settings.callback_allow)
        body = b""
        if reason is None:
            try:
                body = rendering.render(callback.schema, callback.body, "json")
            except BodyViolation as exc:
                self._on_violation(exc)
                reason = f"mock bug: {exc}"
        if reason is None and len(body) > MAX_BODY:
            reason = f"mock bug: a body of {len(body)} bytes (at most {MAX_BODY})"
        followers = self._parked.pop(_pair(callback), []) if callback.last else []
        entry = self.journal.add(callback, due, "refused" if reason else "sending", reason)
        if reason is not None:
            self._follow(followers, due)
            return
        delivery = Delivery(callback, body, entry, self._generation, followers=followers)
        self._queue.put(delivery)

    def _follow(self, followers: list[Callback], due: float) -> None:
        for callback in followers:
            self._send(callback, due)

    # Faults

    def _drop(self, callback: Callback, rule: CallbackRule, due: float) -> None:
        dropped = callbacks.delayed(callback, "drop")
        self.journal.add(dropped, due, "dropped", f"dropped by callback fault rule {rule.id}")
        self._follow(self._parked.pop(_pair(callback), []) if callback.last else [], due)

    def _duplicate(self, callback: Callback, rule: CallbackRule, due: float) -> None:
        copies = rule.copies or spec.faults()["callback_defaults"]["copies"]
        for _ in range(copies):
            self._send(callbacks.delayed(callback, "duplicate"), due)

    def _delay(self, callback: Callback, rule: CallbackRule, due: float) -> None:
        seconds = _or_default(rule.seconds, "delay_seconds")
        self.schedule.push(due + seconds, callbacks.delayed(callback, "delay"))

    def _reorder(self, callback: Callback, rule: CallbackRule, due: float) -> None:
        self._parked.setdefault(_pair(callback), []).append(callbacks.delayed(callback, "reorder"))

    def _burst(self, callback: Callback, rule: CallbackRule, due: float) -> None:
        burst = self._bursts.get(rule.id)
        if burst is None:
            burst = self._bursts[rule.id] = Burst(
                rule, due + _or_default(rule.seconds, "burst_seconds")
            )
        burst.held.append(callbacks.delayed(callback, "burst"))

    # Sending

    async def start(self, app: web.Application) -> None:
        """on_startup: the session, the senders and the tick."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=SENDERS, force_close=True),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # never through a proxy of the environment
            auto_decompress=False,
        )
        # the tasks copy this context: they read the assumptions through the mock's calibration
        with spec.use_overlay(self.settings.overlay):
            self._tasks = [asyncio.create_task(self._sender()) for _ in range(SENDERS)]
            self._tasks.append(asyncio.create_task(self._tick()))

    async def stop(self, app: web.Application) -> None:
        """on_cleanup: the senders stop at once, attempts in flight are abandoned."""
        running = [*self._tasks, *self._attempts]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._tasks = []
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                self.pump()
            except Exception as exc:  # a bug must not stop the clock's callbacks for good
                self._on_bug(exc)

    async def _sender(self) -> None:
        while True:
            origin, delivery = await self._queue.take()
            self._in_flight += 1
            try:
                await self._deliver(delivery)
            except Exception as exc:  # a bug must not stop the sender
                self._on_bug(exc)
            finally:
                self._in_flight -= 1
                self._queue.done(origin)

    async def _pace(self) -> None:
        """Wait for this attempt's slot: at most callback_rate attempts a second."""
        now = time.monotonic()
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / self.settings.callback_rate
        if slot > now:
            await asyncio.sleep(slot - now)

    def timeout(self) -> float:
        configured = self.settings.callback_timeout
        policy: float = spec.assumed("callback-retries")["timeout_seconds"]
        return policy if configured is None else configured

    async def _post(self, delivery: Delivery) -> tuple[int | None, str | None]:
        """(status, None) when the target answered, (None, why) when it did not."""
        assert self._session is not None  # senders run between start and stop only
        seconds = self.timeout()
        try:
            async with self._session.post(
                delivery.callback.target.strip(),
                data=delivery.body,
                headers=HEADERS,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=seconds),
            ) as response:
                return response.status, None
        except asyncio.TimeoutError:
            return None, f"no answer within {seconds:g} s"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            shown = str(exc).replace(delivery.callback.target, redact_url(delivery.callback.target))
            return None, f"{type(exc).__name__}: {shown}"[:300]

    async def _deliver(self, delivery: Delivery) -> None:
        await self._pace()
        if delivery.generation != self._generation:  # a reset came first
            return
        delivery.attempts += 1
        at, started = self.store.clock.now(), time.monotonic()
        attempt = asyncio.ensure_future(self._post(delivery))
        self._attempts.add(attempt)
        try:
            await asyncio.wait({attempt})
        finally:
            self._attempts.discard(attempt)
        latency = round((time.monotonic() - started) * 1000, 1)
        if attempt.cancelled() or delivery.generation != self._generation:  # a reset came
            return
        status, error = attempt.result()
        entry = delivery.entry
        entry["attempts"].append(
            {"at": at, "status": status, "error": error, "latency_ms": latency}
        )
        if status is not None and 200 <= status < 300:
            entry["outcome"] = "delivered"
        else:
            self._failed(delivery)
        if delivery.attempts == 1:
            self._follow(delivery.followers, entry["due"])

    def _failed(self, delivery: Delivery) -> None:
        entry, delay = delivery.entry, callbacks.retry_delay(delivery.attempts)
        if delay is None:
            entry["outcome"] = "failed"
            entry["reason"] = f"gave up after {delivery.attempts} attempt(s)"
        elif self.waiting() >= self.settings.max_callbacks:
            entry["outcome"] = "failed"
            entry["reason"] = f"no retry: {self.settings.max_callbacks} callbacks are waiting"
        else:
            entry["outcome"] = "retrying"
            entry["next_attempt"] = self.store.clock.now() + delay
            self.schedule.push(entry["next_attempt"], delivery)

    def view(self) -> dict[str, Any]:
        """The counters of GET /_mock/callbacks."""
        return {
            "dropped": self.journal.dropped,
            "pending": len(self.schedule),
            "held": self.held,
            "queued": self._queue.size,
            "in_flight": self._in_flight,
            "next_due": self.schedule.next_due(),
            "now": self.store.clock.now(),
        }


def _or_default(value: float | None, name: str) -> float:
    return float(spec.faults()["callback_defaults"][name] if value is None else value)


Apply = Callable[[Webhooks, Callback, CallbackRule, float], None]

# One applier per kind of callback-fault-rule.schema.json (a test pins them equal).
FAULTS: dict[str, Apply] = {
    "drop": Webhooks._drop,
    "duplicate": Webhooks._duplicate,
    "delay": Webhooks._delay,
    "reorder": Webhooks._reorder,
    "burst": Webhooks._burst,
}
