"""Loading the contract: bad fixtures and bad contract files stop the mock with a clear error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mock_server.contract import spec
from mock_server.errors import FixtureError, SpecError


@pytest.fixture
def fixture_dir(tmp_path: Path) -> Path:
    for name in ("messages.json", "api-keys.json"):
        shutil.copy(spec.FIXTURE_DIR / name, tmp_path / name)
    return tmp_path


def _edit_messages(directory: Path, index: int, **changes: object) -> None:
    path = directory / "messages.json"
    data = json.loads(path.read_text())
    data["messages"][index].update(changes)
    path.write_text(json.dumps(data))


def test_invalid_record_names_file_record_and_path(fixture_dir: Path) -> None:
    """A record with a bad field names the file, the record and the JSON path."""
    _edit_messages(fixture_dir, 1, statut="Sent")
    with pytest.raises(FixtureError) as info:
        spec.load_fixtures(fixture_dir)
    # jsonschema lists the enum in no fixed order, so the message is pinned up to it
    assert str(info.value).startswith(
        f"Invalid fixture {fixture_dir / 'messages.json'}, record #1 (messageId '1112'), "
        "at $.messages[1].statut: 'Sent' is not one of ["
    )


def test_wrong_type_is_reported(fixture_dir: Path) -> None:
    """A messageId given as a number is refused: the docs type it as a string."""
    _edit_messages(fixture_dir, 0, messageId=1111)
    with pytest.raises(FixtureError, match=r"at \$\.messages\[0\]\.messageId: 1111 is not of type"):
        spec.load_fixtures(fixture_dir)


def test_missing_field_is_reported_at_the_record(fixture_dir: Path) -> None:
    """A record without a required field is reported at the record itself."""
    path = fixture_dir / "messages.json"
    data = json.loads(path.read_text())
    del data["messages"][2]["cost"]
    path.write_text(json.dumps(data))
    with pytest.raises(FixtureError, match=r"at \$\.messages\[2\]: 'cost' is a required property"):
        spec.load_fixtures(fixture_dir)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    """A fixture directory without messages.json says so."""
    with pytest.raises(FixtureError, match=r"messages.json, record -, at \$: file not found"):
        spec.load_fixtures(tmp_path)


def test_invalid_json_is_reported(fixture_dir: Path) -> None:
    """A fixture file that is not JSON says so."""
    (fixture_dir / "api-keys.json").write_text("{nope")
    with pytest.raises(FixtureError, match=r"api-keys.json, record -, at \$: not valid JSON"):
        spec.load_fixtures(fixture_dir)


def test_file_shape_is_checked(fixture_dir: Path) -> None:
    """api-keys.json with no key is refused by its schema."""
    (fixture_dir / "api-keys.json").write_text('{"api_keys": []}')
    with pytest.raises(FixtureError, match=r"at \$\.api_keys: \[\] should be non-empty"):
        spec.load_fixtures(fixture_dir)


def test_contract_root_prefers_the_packaged_copy(tmp_path: Path) -> None:
    """An installed wheel carries its own schemas/ and fixtures/."""
    assert spec.contract_root(tmp_path) == tmp_path
    assert spec.contract_root(tmp_path / "absent") == Path(spec.__file__).resolve().parents[2]


def test_missing_and_broken_contract_files(tmp_path: Path) -> None:
    """A missing or broken file under schemas/ raises SpecError naming it."""
    with pytest.raises(SpecError, match="Missing contract file"):
        spec._read_json(tmp_path / "x.json")
    (tmp_path / "x.json").write_text("[")
    with pytest.raises(SpecError, match="is not valid JSON"):
        spec._read_json(tmp_path / "x.json")


def test_catalogue_breaking_its_schema_is_refused(tmp_path: Path) -> None:
    """A control-code catalogue is validated against control-codes.schema.json."""
    shutil.copy(spec.SCHEMA_DIR / "control-codes.schema.json", tmp_path)
    (tmp_path / "control-codes.json").write_text('{"operation": "x", "codes": [{"code": 1}]}')
    with (
        spec.use_contract(schemas=tmp_path),
        pytest.raises(SpecError, match=r"breaks control-codes at \$\.codes\[0\]"),
    ):
        spec._validated_data("control-codes", "control-codes")


def test_precedence_must_name_every_error_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A precedence list that forgets a code is refused at startup."""
    ledger = dict(spec.assumptions())
    ledger["message-status-code-precedence"] = spec.Assumption(
        "message-status-code-precedence", "q", "d", [1, 2, 3, 10], ("s",), "p"
    )
    monkeypatch.setattr(spec, "assumptions", lambda: ledger)
    with pytest.raises(SpecError, match=r"leaves out codes \[4\]"):
        spec.precedence()


def test_json_path_rendering() -> None:
    """Paths render as $.a[0].b."""
    assert spec.json_path(["messages", 0, "statut"]) == "$.messages[0].statut"


def test_schemas_cannot_be_changed_by_their_users() -> None:
    """Changing a schema returned by spec.schema leaves the contract as it was."""
    mine = spec.schema(spec.OK)
    mine["properties"].clear()
    assert spec.schema(spec.OK)["properties"]
