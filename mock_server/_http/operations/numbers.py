"""POST /v1/lookup and POST /v1/hlr/notify: the number checks, rate-limited as documented.

lookup answers one entry per comma-separated item (numbers.lookup); hlr/notify answers a
campaign, keeps each number's result (store.hlr) and schedules its notifyUrl callback, one per
number (assumption 'hlr-callback'), drawing one HLR credit per number ('hlr-charging').
"""

from __future__ import annotations

from aiohttp import web

from mock_server._domain import callbacks, numbers, values
from mock_server._http.operations import body_call, operation
from mock_server.contract import spec

LOOKUP = "lookup"
HLR = "hlr-notify"


@operation(LOOKUP, kinds=("bad-separator", "too-many"))
async def lookup(request: web.Request) -> web.Response:
    """POST /v1/lookup: country, type and forms of each number, free."""
    call = await body_call(request, LOOKUP)
    raw = call.params.get("phoneNumbers", "")
    listed = numbers.items(raw)
    given = [item for item in listed if item.strip(values.blank())]
    code = call.decide(
        {
            "bad-separator": lambda _: numbers.badly_separated(raw),
            "too-many": lambda trigger: len(given) > spec.rule(trigger["rule"]),
        }
    )
    if not code.success:
        return call.error(code)
    lang = call.state.settings.lang
    return call.ok({"lookup": [numbers.lookup(item, lang) for item in listed]})


@operation(
    HLR, kinds=("bad-separator", "too-many", "empty-list", "no-price", "insufficient-credit")
)
async def hlr_notify(request: web.Request) -> web.Response:
    """POST /v1/hlr/notify: an HLR check of each number, kept for its callback."""
    call = await body_call(request, HLR)
    store, params = call.state.store, call.params
    raw = params.get("phoneNumbers", "")
    listed = [item for item in numbers.items(raw) if item.strip(values.blank())]
    digits = [numbers.international(item) for item in listed]
    owner = store.owner(params.get("apiKey", ""))

    def short_of_credit(_: object) -> bool:
        # sub-accounts have money only: no HLR credit (assumption 'subaccount-credentials')
        left = 0 if owner else store.account.initial["creditHlr"] - store.hlr.used
        return len(listed) > left

    code = call.decide(
        {
            "bad-separator": lambda _: numbers.badly_separated(raw),
            "too-many": lambda trigger: len(listed) > spec.rule(trigger["rule"]),
            "empty-list": lambda _: not listed,
            "no-price": lambda _: any(
                d is None or store.account.price("+" + d) is None for d in digits
            ),
            "insufficient-credit": short_of_credit,
        }
    )
    if not code.success:
        return call.error(code)
    found = [d for d in digits if d is not None]  # all of them: 'no-price' came first
    notify_url = params.get("notifyUrl", "").strip(values.blank()) or None
    check = store.hlr.add(owner, found, params.get("tag", ""), notify_url, store.clock.now())
    delay = spec.assumed("hlr-callback")["delay_seconds"]
    for callback in callbacks.hlr_results(check):
        call.state.webhooks.push(callback, delay=delay)
    return call.ok(
        {
            "campaign_id": check.campaign_id,
            "number": len(found),
            "cost": round(len(found) * store.account.hlr_price, 3),
            "currency": store.account.currency,
        }
    )
