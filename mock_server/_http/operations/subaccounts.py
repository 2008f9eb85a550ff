"""The sub-account operations: create, list, remove, and credit moves both ways.

Only the account's own keys manage sub-accounts; a sub-account's key is refused (code 2 or
4), sees an empty list and finds no sub-account to remove (assumption
'subaccount-credentials'). Credits move in thousandths between the parent's balance and the
sub-account's (assumption 'subaccount-credit-moves').
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from mock_server._domain import dates, values
from mock_server._domain.account import amount
from mock_server._domain.subaccounts import SubAccount, amount_millis
from mock_server._http.operations import Call, body_call, operation, query_call
from mock_server._http.state import MockState
from mock_server.contract import spec
from mock_server.errors import StoreFull

CREATE = "subaccount-create"
LIST = "subaccount-list"
REMOVE = "subaccount-remove"
CREDIT_ADD = "subaccount-credit-add"
CREDIT_REMOVE = "subaccount-credit-remove"


def _types() -> list[str]:
    types: list[str] = spec.schema(f"{CREATE}.body")["properties"]["type"]["enum"]
    return types


def _field(call: Call, name: str) -> str:
    return call.params.get(name, "").strip(values.blank())


@operation(
    CREATE,
    kinds=(
        "not-authorized",
        "unknown-type",
        "required-for-type",
        "already-exists",
        "not-positive",
        "insufficient-credit",
    ),
)
async def create(request: web.Request) -> web.Response:
    """POST /v1/subaccount/create: a new sub-account, with its token."""
    call = await body_call(request, CREATE)
    store = call.state.store
    parameters = (call.data or {}).get("parameters")
    # the nested fields take part in 'missing' and 'required-for-type' as parameters.<name>
    nested = parameters if isinstance(parameters, dict) else {}
    call.params.update({f"parameters.{k}": values.text(v) for k, v in nested.items()})
    kind, email = _field(call, "type"), _field(call, "parameters.email")
    credit = amount_millis(_field(call, "parameters.creditToAttribute"))
    owner = store.owner(_field(call, "apiKey"))
    given = {name for name in call.params if _field(call, name)}
    parent = store.account.user["username"]
    code = call.decide(
        {
            "not-authorized": lambda _: bool(owner) or not store.account.subaccounts_enabled,
            "unknown-type": lambda _: kind not in _types(),
            "required-for-type": lambda t: kind == t["when"] and t["parameter"] not in given,
            "already-exists": lambda _: (
                bool(email)
                and (store.subaccounts.email_taken(email) or email.casefold() == parent.casefold())
            ),
            "not-positive": lambda t: t["parameter"] in given and not credit,
            "insufficient-credit": lambda _: (credit or 0) > store.balance(""),
        }
    )
    if not code.success:
        return call.error(code)
    try:
        sub = store.subaccounts.create(
            kind,
            email,
            store.clock.now(),
            firstname=_field(call, "parameters.firstname"),
            lastname=_field(call, "parameters.lastname"),
            title=_field(call, "parameters.title"),
        )
    except StoreFull as exc:  # the mock's own bound, not an answer of the API
        raise web.HTTPConflict(reason=str(exc)) from exc
    if credit:
        store.subaccounts.move(sub, credit)
    answer: dict[str, Any] = {
        "subaccount": {"email": sub.email, "token": sub.token},
        "parent_email": parent,
    }
    if kind == spec.assumed("subaccount-create-answer")["confirm_mail_for"]:
        answer["sendConfirmMailTo"] = sub.email
    return call.ok(answer)


def _listed(state: MockState, sub: SubAccount) -> dict[str, Any]:
    created = datetime.fromtimestamp(sub.created_at, dates.zone()).strftime(dates.DOCS_FORMAT)
    return {
        "id": sub.id,
        "email": sub.email,
        "type": sub.type,
        "token": sub.token,
        "apiKey": sub.api_key,
        "createdAt": created,
        "credits": {
            "balance": amount(state.store.balance(sub.token) / 1000),
            "currency": state.store.account.currency,
        },
    }


def page_number(text: str) -> int:
    """A 'page' parameter as a page number: 1 when absent or not a positive whole number
    (assumptions 'subaccount-list-page', 'bulk-status-by-tag-page')."""
    page = text.strip(values.blank())
    fits = values.is_number(page) and len(page) <= values.MAX_INT_DIGITS
    return int(page) if fits and int(page) >= 1 else 1


@operation(LIST)
async def list_subaccounts(request: web.Request) -> web.Response:
    """GET /v1/subaccount/list: the account's sub-accounts, 20 per page."""
    call = query_call(request, LIST)
    code = call.decide()
    if not code.success:
        return call.error(code)
    store = call.state.store
    page = page_number(call.params.get("page", ""))
    size = spec.rule("subaccount-page-size")
    # a sub-account has no sub-accounts of its own
    mine = not store.owner(_field(call, "apiKey"))
    shown = store.subaccounts.page(page, size) if mine else []
    return call.ok(
        {
            "total": len(store.subaccounts) if mine else 0,
            "nb_per_page": size,
            "page": page,
            "data": [_listed(call.state, sub) for sub in shown],
        }
    )


def _own_subaccount(call: Call, name: str) -> SubAccount | None:
    """The sub-account whose token is the parameter name, when the caller is its parent."""
    store = call.state.store
    if store.owner(_field(call, "apiKey")):
        return None
    return store.subaccounts.by_token(_field(call, name))


@operation(REMOVE, kinds=("unknown-subaccount",))
async def remove(request: web.Request) -> web.Response:
    """DELETE /v1/subaccount/remove: delete a sub-account; its key stops working."""
    call = await body_call(request, REMOVE)
    sub = _own_subaccount(call, "token")
    code = call.decide({"unknown-subaccount": lambda _: sub is None})
    if not code.success:
        return call.error(code)
    assert sub is not None  # 'unknown-subaccount' comes before success
    call.state.store.subaccounts.remove(sub.token)
    return call.ok({})


def _credit_move(operation_id: str, direction: int) -> None:
    """Register a credit move: direction 1 from the parent to the sub-account, -1 back."""

    async def move(request: web.Request) -> web.Response:
        call = await body_call(request, operation_id)
        store = call.state.store
        credit = amount_millis(_field(call, "credit"))
        sub = _own_subaccount(call, "tokenSubaccount")

        def source() -> int:  # the balance the move draws on
            assert sub is not None  # 'unknown-subaccount' comes first
            return store.balance("" if direction > 0 else sub.token)

        code = call.decide(
            {
                "not-authorized": lambda _: bool(store.owner(_field(call, "apiKey"))),
                "not-positive": lambda _: not credit,
                "unknown-subaccount": lambda _: sub is None,
                "no-balance": lambda _: source() <= 0,
                "insufficient-credit": lambda _: (credit or 0) > source(),
            }
        )
        if not code.success:
            return call.error(code)
        assert sub is not None and credit is not None
        store.subaccounts.move(sub, direction * credit)
        return call.ok(
            {
                "credit": store.balance("") / 1000,
                "subaccountCredit": store.balance(sub.token) / 1000,
                "currency": store.account.currency,
            }
        )

    move.__doc__ = f"{operation_id}: move credit between the account and a sub-account."
    kinds = ("not-authorized", "not-positive", "unknown-subaccount", "no-balance")
    operation(operation_id, kinds=(*kinds, "insufficient-credit"))(move)


_credit_move(CREDIT_ADD, 1)
_credit_move(CREDIT_REMOVE, -1)
