"""The STOP list: the numbers the account must not send to, each with the id that deletes it.

Seeded from fixtures/stop-list.json and changed by POST /v1/stop-sms/add and GET
/v1/stop-sms/delete; a send to a listed number is refused (code 14). Numbers are kept in
E.164 (assumption 'stop-number-form') and looked up in any documented form, in constant
time. Like every store it is bounded, in entries and in bytes: past either bound it
refuses one more number (StoreFull) rather than forget one silently.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_server._domain import dates, phones
from mock_server.errors import FixtureError, StoreFull

# What one entry weighs beyond its number and date (its id, the dict slot): a rough figure,
# enough to keep the byte bound honest.
ENTRY_OVERHEAD = 64


@dataclass(frozen=True)
class Stop:
    """One number of the list, as GET /v1/stop-sms/list shows it."""

    id: int
    phone_number: str  # E.164
    created_at: str  # YYYY-MM-DD HH:MM:SS, Paris time

    @property
    def weight(self) -> int:
        return len(self.phone_number) + len(self.created_at) + ENTRY_OVERHEAD

    def view(self) -> dict[str, Any]:
        """The entry under its wire names, in the documented order."""
        return {"id": self.id, "phoneNumber": self.phone_number, "createdAt": self.created_at}


def _refuse_twice(stops: list[Stop], file: str) -> None:
    """FixtureError for an id or a number that two entries of the file share."""
    columns: dict[str, list[Any]] = {
        "id": [stop.id for stop in stops],
        "phoneNumber": [stop.phone_number for stop in stops],
    }
    for label, keys in columns.items():
        seen: set[Any] = set()
        for index, key in enumerate(keys):
            if key in seen:
                raise FixtureError(
                    file, f"#{index}", f"$.stops[{index}].{label}", f"{key!r} is listed twice"
                )
            seen.add(key)


class StopList:
    """The numbers of stop-list.json, then those added since the last reset, by id."""

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        max_entries: int = 10_000,
        max_bytes: int = 1024 * 1024,
        file: str = "stop-list.json",
    ) -> None:
        self._seed = [
            Stop(row["id"], phones.canonical(row["phoneNumber"]), row["createdAt"])
            for row in data["stops"]
        ]
        _refuse_twice(self._seed, file)
        self._first_id: int = data["first_stop_id"]
        self.max_entries = max(max_entries, len(self._seed))
        self.max_bytes = max(max_bytes, sum(s.weight for s in self._seed))
        self.reset()

    def reset(self) -> None:
        """Back to the seeded numbers."""
        self._by_id = {stop.id: stop for stop in self._seed}
        self._by_number = {stop.phone_number: stop for stop in self._seed}
        self.bytes = sum(stop.weight for stop in self._seed)
        self._next = max([self._first_id, *(stop.id + 1 for stop in self._seed)])

    def find(self, number: str) -> Stop | None:
        """The entry of a number given in any documented form, or None."""
        return self._by_number.get(phones.canonical(number))

    def get(self, stop_id: int) -> Stop | None:
        return self._by_id.get(stop_id)

    def add(self, number: str, now: float) -> Stop:
        """List a number not listed yet; StoreFull past max_entries or max_bytes."""
        moment = datetime.fromtimestamp(now, dates.zone())
        stop = Stop(self._next, phones.canonical(number), moment.strftime(dates.DOCS_FORMAT))
        if len(self._by_id) >= self.max_entries or self.bytes + stop.weight > self.max_bytes:
            raise StoreFull(
                f"The mock's STOP list holds {len(self._by_id)} numbers ({self.bytes} bytes) "
                "already: delete some, or reset the mock"
            )
        self._next += 1
        self._by_id[stop.id] = stop
        self._by_number[stop.phone_number] = stop
        self.bytes += stop.weight
        return stop

    def remove(self, stop_id: int) -> Stop:
        """Take an entry off the list by its id; KeyError when there is none."""
        stop = self._by_id.pop(stop_id)
        del self._by_number[stop.phone_number]
        self.bytes -= stop.weight
        return stop

    def __iter__(self) -> Iterator[Stop]:
        """The entries, oldest first."""
        return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)
