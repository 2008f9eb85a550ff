"""Sub-accounts: created by the account, each with a token, an API key and a balance.

Which of a sub-account's fields work as an API key is the ledger's 'subaccount-credentials';
its balance is in thousandths of the currency: what the parent moved to it, less what its
charged messages cost (the outbox keeps that per owner). The store is bounded in entries and
in the bytes of the text it keeps; a full store raises StoreFull.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mock_server.contract import spec
from mock_server.errors import StoreFull


def _hex(kind: str, number: int, digits: int) -> str:
    # stable across runs, so that a test that resets gets the same tokens again
    return hashlib.sha256(f"smspartner-mock {kind} {number}".encode()).hexdigest()[:digits]


@dataclass
class SubAccount:
    """One sub-account; moved is what the parent moved to it, in thousandths."""

    id: int
    type: str
    email: str
    token: str
    api_key: str
    created_at: float
    firstname: str = ""
    lastname: str = ""
    title: str = ""
    moved: int = 0

    @property
    def size(self) -> int:
        texts = (self.email, self.token, self.api_key, self.firstname, self.lastname, self.title)
        return sum(len(text.encode("utf-8")) for text in texts)


class SubAccounts:
    """The account's sub-accounts, oldest first, by token and by credential."""

    def __init__(self, max_entries: int = 1000) -> None:
        self.max_entries = max_entries
        self.max_bytes: int = spec.assumed("subaccount-store-limits")["max_bytes"]
        self.version = 0  # bumped by every change (keys accepted, balances)
        self.reset()

    def reset(self) -> None:
        self._by_token: dict[str, SubAccount] = {}
        self._by_key: dict[str, SubAccount] = {}
        self._next = 1
        self.bytes = 0
        self.moved_out = 0  # what the parent moved to its sub-accounts, in thousandths
        self.version += 1

    def __len__(self) -> int:
        return len(self._by_token)

    def __iter__(self) -> Iterator[SubAccount]:
        return iter(list(self._by_token.values()))

    def create(
        self,
        type_: str,
        email: str,
        created_at: float,
        *,
        firstname: str = "",
        lastname: str = "",
        title: str = "",
    ) -> SubAccount:
        """A new sub-account (email generated when empty); raises StoreFull past the bounds."""
        shape = spec.assumed("subaccount-create-answer")
        number = self._next
        account = SubAccount(
            id=number,
            type=type_,
            email=email or shape["generated_email"].format(id=number),
            token=_hex("token", number, shape["token_hex_digits"]),
            api_key=_hex("apiKey", number, shape["api_key_hex_digits"]),
            created_at=created_at,
            firstname=firstname,
            lastname=lastname,
            title=title,
        )
        if len(self) >= self.max_entries or self.bytes + account.size > self.max_bytes:
            raise StoreFull(
                f"The mock holds {len(self)} sub-accounts ({self.bytes} bytes) already, at most "
                f"{self.max_entries} and {self.max_bytes} bytes (reset it first)"
            )
        self._next += 1
        self._by_token[account.token] = account
        for credential in self._credentials(account):
            self._by_key[credential] = account
        self.bytes += account.size
        self.version += 1
        return account

    @staticmethod
    def _credentials(account: SubAccount) -> list[str]:
        fields = spec.assumed("subaccount-credentials")["api_key_fields"]
        wire = {"apiKey": account.api_key, "token": account.token}
        return [wire[name] for name in fields]

    def by_token(self, token: str) -> SubAccount | None:
        return self._by_token.get(token)

    def by_key(self, api_key: str) -> SubAccount | None:
        """The sub-account whose credential this API key is, or None."""
        return self._by_key.get(api_key)

    def email_taken(self, email: str) -> bool:
        wanted = email.casefold()
        return any(account.email.casefold() == wanted for account in self._by_token.values())

    def remove(self, token: str) -> None:
        account = self._by_token.pop(token)
        for credential in self._credentials(account):
            self._by_key.pop(credential, None)
        self.bytes -= account.size
        self.version += 1

    def move(self, account: SubAccount, millis: int) -> None:
        """Move millis thousandths from the parent to the sub-account (negative: back)."""
        account.moved += millis
        self.moved_out += millis
        self.version += 1

    def page(self, number: int, size: int) -> list[SubAccount]:
        start = (number - 1) * size
        return list(self._by_token.values())[start : start + size]


_AMOUNT = re.compile(r"[0-9]{1,15}(\.[0-9]+)?")


def amount_millis(text: str) -> int | None:
    """An amount in euros ('10', '2.5', a JSON 10 read as text) in thousandths, or None when
    the text is not a positive decimal (then it is 'not above 0')."""
    if not _AMOUNT.fullmatch(text):
        return None
    return round(float(text) * 1000)
