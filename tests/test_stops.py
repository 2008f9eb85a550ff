"""The STOP list as the domain holds it: seeded, bounded, reset; and its fixture file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from contract_tests.transport import Transport
from mock_server import ServerThread, Settings, create_app
from mock_server._domain.stops import StopList
from mock_server.contract import spec
from mock_server.errors import FixtureError, StoreFull

KEY = "YOUR_API_KEY"
SEED = {
    "first_stop_id": 5,
    "stops": [
        {"id": 7, "phoneNumber": "+33611111111", "createdAt": "2015-07-20 10:19:45"},
        {"id": 3, "phoneNumber": "+33622222222", "createdAt": "2015-07-21 10:19:45"},
    ],
}
NOON_UTC = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC, 23:13:20 in Paris


def test_numbers_are_found_in_any_documented_form() -> None:
    """A seeded or added number is found as 06…, +336… or 00336…, and held in E.164."""
    stops = StopList(SEED)
    assert stops.find("0611111111") == stops.get(7)
    added = stops.add("0033633333333", NOON_UTC)
    assert added.view() == {
        "id": 8,
        "phoneNumber": "+33633333333",
        "createdAt": "2023-11-14 23:13:20",
    }
    assert stops.find("0633333333") is added
    assert [s.id for s in stops] == [7, 3, 8] and len(stops) == 3


def test_ids_start_at_first_stop_id_past_the_seeded_ones() -> None:
    """The first id added is first_stop_id, or one past the largest seeded id."""
    assert StopList({**SEED, "first_stop_id": 300}).add("0633333333", 0).id == 300
    assert StopList(SEED).add("0633333333", 0).id == 8


def test_remove_then_reset() -> None:
    """remove frees the number and its bytes; reset brings the seeded entries back."""
    stops = StopList(SEED)
    seeded = stops.bytes
    stops.add("0633333333", 0)
    assert stops.remove(7).phone_number == "+33611111111"
    assert stops.find("0611111111") is None and stops.get(7) is None
    with pytest.raises(KeyError):
        stops.remove(7)
    stops.reset()
    assert [s.id for s in stops] == [7, 3] and stops.bytes == seeded
    assert stops.add("0633333333", 0).id == 8


def test_the_list_is_bounded_in_entries() -> None:
    """Past max_entries one more number is refused, saying what to do; nothing changes."""
    stops = StopList(SEED, max_entries=3)
    stops.add("0633333333", 0)
    with pytest.raises(StoreFull, match=r"holds 3 numbers .* delete some, or reset the mock"):
        stops.add("0644444444", 0)
    assert len(stops) == 3 and stops.find("0644444444") is None


def test_the_list_is_bounded_in_bytes() -> None:
    """Past max_bytes one more number is refused too; the seeded ones always fit."""
    stops = StopList(SEED, max_bytes=1)
    assert stops.max_bytes == stops.bytes
    with pytest.raises(StoreFull, match=r"bytes\) already"):
        stops.add("0633333333", 0)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"id": 7}, r"\$\.stops\[1\]\.id: 7 is listed twice"),
        ({"phoneNumber": "+33611111111"}, r"\$\.stops\[1\]\.phoneNumber: '\+33611111111' is"),
    ],
)
def test_a_fixture_listing_an_id_or_number_twice_is_refused(
    tmp_path: Path, change: dict[str, object], where: str
) -> None:
    """stop-list.json with a repeated id or number stops the mock, naming file and entry."""
    for name in ("messages.json", "api-keys.json"):
        shutil.copy(spec.FIXTURE_DIR / name, tmp_path / name)
    seed = json.loads(json.dumps(SEED))
    seed["stops"][1].update(change)
    (tmp_path / "stop-list.json").write_text(json.dumps(seed))
    file = re.escape(str(tmp_path / "stop-list.json"))  # the file's path, not only its name
    with pytest.raises(FixtureError, match=rf"fixture {file}, record #1, at {where}"):
        create_app(Settings(fixtures=tmp_path))


def test_a_fixture_stop_list_seeds_the_mock(tmp_path: Path) -> None:
    """A directory's own stop-list.json replaces the bundled one; a bad one is refused."""
    for name in ("messages.json", "api-keys.json"):
        shutil.copy(spec.FIXTURE_DIR / name, tmp_path / name)
    (tmp_path / "stop-list.json").write_text(json.dumps(SEED))
    assert [s["id"] for s in spec.load_fixtures(tmp_path).stop_list["stops"]] == [7, 3]
    (tmp_path / "stop-list.json").write_text(json.dumps({"first_stop_id": 0, "stops": []}))
    with pytest.raises(FixtureError, match=r"at \$\.first_stop_id: 0 is less than"):
        spec.load_fixtures(tmp_path)


def test_a_full_stop_list_answers_409_through_the_api() -> None:
    """The mock's bound is not an API outcome: a clear 409 in the shape of an HTTP error."""
    with ServerThread(Settings(access_log=False)) as server:
        stops = server.state.store.stops
        stops.max_entries = len(stops)
        reply = Transport(server.base_url).post(
            "/stop-sms/add", {"apiKey": KEY, "phoneNumber": "0633333333"}
        )
        assert server.take_problems() == ([], [])
    assert reply.status == 409
    body = reply.data()
    assert (body["success"], body["code"]) == (False, 409)
    assert "delete some, or reset the mock" in body["message"]
    assert spec.first_error(spec.HTTP_ERROR, body) is None
