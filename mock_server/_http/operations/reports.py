"""GET /v1/bulk-status-by-tag and GET /v1/statistics/cost-resume: reports on what was sent.

Both look at the caller's own sends only (the account's, or one sub-account's). The tag
index and the monthly sums are kept by the outbox as messages are sent and cancelled, so a
report costs what it shows, not what was ever sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from mock_server._domain import dates, values
from mock_server._domain.account import amount
from mock_server._domain.lifecycle import month_of
from mock_server._http.operations import operation, query_call
from mock_server._http.operations.subaccounts import page_number
from mock_server.contract import spec

BY_TAG = "bulk-status-by-tag"
STATISTICS = "statistics-cost-resume"


@operation(BY_TAG, kinds=("unknown-message",))
async def bulk_status_by_tag(request: web.Request) -> web.Response:
    """GET /v1/bulk-status-by-tag: every recipient of the sends with one tag, paged."""
    call = query_call(request, BY_TAG)
    store = call.state.store
    tag = call.params.get("tag", "").strip(values.blank())
    owner = store.owner(call.params.get("apiKey", "").strip(values.blank()))
    sent = store.outbox.tagged(owner, tag) if tag else []
    code = call.decide({"unknown-message": lambda _: not sent})
    if not code.success:
        return call.error(code)
    page = page_number(call.params.get("page", ""))
    size = spec.assumed("bulk-status-by-tag-page")["page_size"]
    entries = []
    for message in sent[(page - 1) * size : page * size]:
        record = store.record(message)
        entries.append(
            {
                "phoneNumber": record["number"],
                "status": record["statut"],
                "stopSMS": record["stopSms"],
                "date": dates.render(record["date"], spec.assumed("bulk-multi-date-format")),
            }
        )
    return call.ok({"currentPage": page, "total": len(sent), "StatutResponse_List": entries})


def _previous(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + month - 1 - count
    return index // 12, index % 12 + 1


def _months(params: Mapping[str, str], now: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """The first and last (year, month) of the interval asked; last < first when the
    interval is missing, unknown or a custom one without valid dates (no month)."""
    current = month_of(now)
    interval = params.get("interval", "").strip(values.blank())
    none = ((1, 1), (0, 1))
    if interval == "last_month":
        return _previous(*current, 1), _previous(*current, 1)
    if interval == "last_twelve_months":
        return _previous(*current, 12), _previous(*current, 1)
    if interval != "custom":
        return none
    try:
        start, end = (
            datetime.strptime(
                params.get(name, "").strip(values.blank()), spec.rule("statistics-date-format")
            )
            for name in ("from", "to")
        )
    except ValueError:
        return none
    return (start.year, start.month), (end.year, end.month)


def _month(year: int, month: int, messages: int, millis: int) -> dict[str, Any]:
    names = spec.schema(f"{STATISTICS}.ok")["definitions"]["month"]["properties"]
    first = datetime(year, month, 1, tzinfo=dates.zone())
    return {
        "month": names["month"]["enum"][month - 1],
        "year": str(year),
        "m": str(month),
        "date": int(first.timestamp()),
        "type": names["type"]["const"],
        "cost": amount(millis / 1000),
        "nb_send": str(messages),
    }


@operation(STATISTICS)
async def cost_resume(request: web.Request) -> web.Response:
    """GET /v1/statistics/cost-resume: charged messages and their cost, month by month."""
    call = query_call(request, STATISTICS)
    code = call.decide()
    if not code.success:
        return call.error(code)
    store = call.state.store
    owner = store.owner(call.params.get("apiKey", "").strip(values.blank()))
    first, last = _months(call.params, store.clock.now())
    sums = store.outbox.months(owner)
    shown = sorted(month for month in sums if first <= month <= last)
    datas = [_month(*month, sums[month].messages, sums[month].millis) for month in shown]
    return call.ok({"datas": datas})
