"""The only code that knows where the contract lives.

Loads the JSON Schemas, the control-code catalogues, the assumption ledger and the fixtures,
validates them once, and caches what it built. Everything else (the mock, the contract tests,
the pytest plugin) reads the contract through this module and never restates it.

The contract is read from the bundled schemas/ and fixtures/ unless use_contract() points
the reader elsewhere (a test that adds an operation does); every cache built from the
contract, here or in the modules that register theirs with cached()/register_cache(), is
dropped when it does.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from mock_server.errors import FixtureError, SpecError

_PACKAGED = Path(__file__).resolve().parent.parent / "_data"
_T = TypeVar("_T")


def contract_root(packaged: Path = _PACKAGED) -> Path:
    """Where schemas/ and fixtures/ are: inside an installed wheel, else the checkout."""
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2]


# The bundled contract; use_contract() may point the reader at other directories.
SCHEMA_DIR = contract_root() / "schemas"
FIXTURE_DIR = contract_root() / "fixtures"
_where = {"schemas": SCHEMA_DIR, "fixtures": FIXTURE_DIR}
_clearers: list[Callable[[], None]] = []


def schema_dir() -> Path:
    """The directory the contract's schemas and catalogues are read from."""
    return _where["schemas"]


def fixture_dir() -> Path:
    """The directory of the default fixtures."""
    return _where["fixtures"]


def register_cache(clear: Callable[[], None]) -> None:
    """Have clear() called whenever the contract is read from elsewhere (use_contract)."""
    _clearers.append(clear)


_F = TypeVar("_F", bound=Callable[..., Any])


def cached(function: _F) -> _F:
    """functools.cache for a function of the contract: forgotten when the contract moves."""
    memoised = functools.cache(function)
    register_cache(memoised.cache_clear)
    return memoised  # type: ignore[return-value]


def _forget() -> None:
    for clear in _clearers:
        clear()


@contextlib.contextmanager
def use_contract(schemas: Path | None = None, fixtures: Path | None = None) -> Iterator[None]:
    """Read the contract from other directories inside the block (None keeps the current).

    Every cache built from the contract is dropped on entry and on exit, so an app created
    inside the block serves the other contract, and nothing of it outlives the block.
    """
    before = dict(_where)
    _where.update(
        (name, Path(directory))
        for name, directory in (("schemas", schemas), ("fixtures", fixtures))
        if directory is not None
    )
    _forget()
    try:
        yield
    finally:
        _where.update(before)
        _forget()


OK = "message-status.ok"
ERROR = "message-status.error"
QUERY = "message-status.query"
HTTP_ERROR = "http-error"
STATUS = "message-status"

# Response media type per _format value, as the docs' introduction page maps them.
MEDIA_TYPES = {"json": "application/json", "xml": "application/xml"}
# "Par défaut, le format de réponse est JSON" (seed page): the format when _format is absent.
DEFAULT_FORMAT = "json"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SpecError(f"Missing contract file {path}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path} is not valid JSON: {exc}") from exc


def json_path(parts: Iterable[str | int]) -> str:
    """Render a jsonschema error path as $.a[0].b."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@cached
def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = _read_json(schema_dir() / f"{name}.schema.json")
    return loaded


def schema(name: str) -> dict[str, Any]:
    """The schema schemas/<name>.schema.json, as a dict in file order.

    A fresh copy each call: some libraries (hypothesis-jsonschema) rewrite the schemas they
    are given, and the contract must not change under the mock.
    """
    return copy.deepcopy(_schema(name))


@cached
def validator_for(name: str) -> Draft7Validator:
    """A cached draft-07 validator for schemas/<name>.schema.json."""
    return Draft7Validator(schema(name))


def first_error(name: str, instance: Any) -> tuple[str, str] | None:
    """(JSON path, reason) of the most relevant error of instance against name, or None."""
    error = best_match(validator_for(name).iter_errors(instance))
    return None if error is None else (json_path(error.absolute_path), error.message)


def _validated_data(name: str, schema_name: str) -> Any:
    data = _read_json(schema_dir() / f"{name}.json")
    problem = first_error(schema_name, data)
    if problem:
        raise SpecError(f"schemas/{name}.json breaks {schema_name} at {problem[0]}: {problem[1]}")
    return data


@cached
def field_order(name: str) -> tuple[str, ...]:
    """The wire order of a body's fields: the order of its schema's 'properties'."""
    return tuple(schema(name)["properties"])


def constants(name: str) -> dict[str, Any]:
    """The fields whose value the schema fixes with 'const' (success, code)."""
    return dict(_constants(name))


@cached
def _constants(name: str) -> tuple[tuple[str, Any], ...]:
    props = _schema(name)["properties"]
    return tuple((key, prop["const"]) for key, prop in props.items() if "const" in prop)


@cached
def plain_text_fields(name: str) -> frozenset[str]:
    """String fields rendered in XML without CDATA (the 'x-xml' annotation)."""
    props = schema(name)["properties"]
    return frozenset(k for k, p in props.items() if p.get("x-xml", {}).get("cdata") is False)


def named_children_fields(name: str) -> frozenset[str]:
    """Object fields rendered in XML with named children (the 'x-xml' annotation)."""
    props = schema(name)["properties"]
    return frozenset(k for k, p in props.items() if p.get("x-xml", {}).get("named") is True)


def statuses() -> tuple[str, ...]:
    """Every value 'statut' can take, in the schema's order."""
    return tuple(schema(OK)["definitions"]["statut"]["enum"])


def _build(cls: type[_T], row: Mapping[str, Any]) -> _T:
    """A frozen record from a validated JSON row: arrays become tuples, absent keys defaults."""
    values = {
        f.name: tuple(row[f.name]) if str(f.type).startswith("tuple") else row[f.name]
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in row
    }
    return cls(**values)


@dataclass(frozen=True)
class ControlCode:
    """One row of the control-code table."""

    code: int
    success: bool
    trigger: Mapping[str, str]
    message: Mapping[str, str]
    http_status: int
    sources: tuple[str, ...]
    status_documented: bool = False

    @property
    def shape(self) -> str:
        """'message' when the body carries the text, 'errors' when it lists field errors."""
        return str(self.trigger.get("shape", "message"))


def catalogue_file(operation: str) -> str:
    """The catalogue of an operation's control codes: schemas/control-codes.<operation>.json."""
    return f"control-codes.{operation}"


def catalogues() -> tuple[str, ...]:
    """Every catalogue of the contract by name ('message-status', 'multi-status-entry', …):
    an operation's own, and those of parts of an answer that carry codes of their own."""
    prefix, suffix = catalogue_file(""), ".json"
    names = (path.name for path in schema_dir().glob(f"{prefix}*{suffix}"))
    return tuple(
        sorted(
            name[len(prefix) : -len(suffix)] for name in names if not name.endswith(".schema.json")
        )
    )


def languages() -> tuple[str, ...]:
    """The languages every control code has a text in (the catalogues' 'texts')."""
    texts = _schema("control-codes")["definitions"]["texts"]["required"]
    return tuple(texts)


@cached
def _catalogue(operation: str) -> dict[str, Any]:
    loaded: dict[str, Any] = _validated_data(catalogue_file(operation), "control-codes")
    return loaded


@cached
def control_codes(operation: str = STATUS) -> dict[int, ControlCode]:
    """The catalogue of one operation's control codes, keyed by code, in file order."""
    return {row["code"]: _build(ControlCode, row) for row in _catalogue(operation)["codes"]}


@dataclass(frozen=True)
class Assumption:
    """One entry of the assumption ledger."""

    id: str
    question: str
    decision: str
    value: Any
    sources: tuple[str, ...]
    probe: str
    alternatives: tuple[Any, ...] = ()
    domain: Mapping[str, Any] | None = None
    other_readings: tuple[Any, ...] = ()  # plausible, but no value the mock can take


@cached
def assumptions() -> dict[str, Assumption]:
    """The ledger schemas/assumptions.json, keyed by id."""
    data = _validated_data("assumptions", "assumptions")
    return {row["id"]: _build(Assumption, row) for row in data["assumptions"]}


@dataclass(frozen=True)
class Operation:
    """One endpoint the mock serves, and the schemas of its request and answers."""

    id: str
    method: str
    path: str
    summary: str
    ok: str
    error: str
    sources: tuple[str, ...]
    description: str = ""
    query: str | None = None
    body: str | None = None
    invalid: str | None = None
    examples: tuple[Mapping[str, str], ...] = ()


@cached
def api() -> dict[str, Any]:
    """schemas/operations.json: the API's title, description, server and operations."""
    data: dict[str, Any] = _validated_data("operations", "operations")
    return data


def operations() -> tuple[Operation, ...]:
    """The operations the mock serves, in file order."""
    return tuple(_build(Operation, row) for row in api()["operations"])


def fixture_value(file: str, pointer: str) -> Any:
    """The value at a JSON pointer ('/messages/0') in a file under fixtures/."""
    value = _read_json(fixture_dir() / file)
    for part in filter(None, pointer.split("/")):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


@dataclass(frozen=True)
class Overlay:
    """Values that replace the ledger's decisions for some assumptions (a calibration).

    key identifies the overlay in caches of values computed from the ledger (the rendered
    bodies, the order of codes): equal overlays have equal keys.
    """

    values: Mapping[str, Any]
    key: str = ""

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Overlay:
        """An overlay of values, each checked against its entry's domain (SpecError)."""
        for assumption_id, value in values.items():
            check_value(assumption_id, value)
        frozen = json.loads(json.dumps(dict(values)))
        return cls(frozen, json.dumps(frozen, sort_keys=True) if frozen else "")


NO_OVERLAY = Overlay({})
# The overlay in force: the mock sets its app's overlay around each request and each change
# of its state, so that one process can serve differently calibrated mocks at once.
_overlay: contextvars.ContextVar[Overlay] = contextvars.ContextVar("overlay", default=NO_OVERLAY)


def overlay() -> Overlay:
    """The overlay in force in this context."""
    return _overlay.get()


@contextlib.contextmanager
def use_overlay(values: Overlay) -> Iterator[None]:
    """Read the assumptions through values inside the block (in this context only)."""
    token = _overlay.set(values)
    try:
        yield
    finally:
        _overlay.reset(token)


def set_overlay(values: Overlay) -> contextvars.Token[Overlay]:
    """Make values the overlay of this context until reset_overlay(token)."""
    return _overlay.set(values)


def reset_overlay(token: contextvars.Token[Overlay]) -> None:
    _overlay.reset(token)


def assumed(assumption_id: str) -> Any:
    """The value taken for one assumption: the overlay's when it has one, else the ledger's."""
    values = _overlay.get().values
    if assumption_id in values:
        return values[assumption_id]
    return assumptions()[assumption_id].value


def ledger_value(assumption_id: str) -> Any:
    """The ledger's own decision for one assumption, whatever the overlay."""
    return assumptions()[assumption_id].value


def choices(assumption_id: str) -> tuple[Any, ...]:
    """What a setting may choose for one assumption: its decision, then the alternatives."""
    entry = assumptions()[assumption_id]
    return (entry.value, *entry.alternatives)


def domain(assumption_id: str) -> dict[str, Any]:
    """The JSON Schema of every value the mock can take for one assumption: the entry's
    'domain', or else its decision and alternatives."""
    entry = assumptions()[assumption_id]
    return dict(entry.domain) if entry.domain else {"enum": list(choices(assumption_id))}


def value_problem(assumption_id: str, value: Any) -> str | None:
    """Why the mock cannot take value for an assumption, or None when it can."""
    if assumption_id not in assumptions():
        return f"no assumption {assumption_id!r} in the ledger"
    error = best_match(Draft7Validator(domain(assumption_id)).iter_errors(value))
    if error is not None:
        return f"{value!r} is outside its domain: {error.message}"
    if assumption_id.endswith("-code-precedence"):
        operation = assumption_id.removesuffix("-code-precedence")
        errors = {c.code for c in control_codes(operation).values() if not c.success}
        if sorted(value) != sorted(errors):
            return f"{value!r} is not an order of the codes {sorted(errors)}"
    return None


def check_value(assumption_id: str, value: Any) -> None:
    """Raise SpecError unless the mock can take value for the assumption."""
    problem = value_problem(assumption_id, value)
    if problem:
        raise SpecError(f"Calibration of {assumption_id!r}: {problem}")


def precedence_id(operation: str) -> str:
    """The ledger entry that orders an operation's codes."""
    return f"{operation}-code-precedence"


def precedence(operation: str = STATUS) -> tuple[ControlCode, ...]:
    """Error codes in the order they are checked, then the success code.

    The order is the ledger's '<operation>-code-precedence' entry; without one (an operation
    whose order no one has questioned yet) the catalogue's file order.
    """
    codes = control_codes(operation)
    entry = precedence_id(operation)
    if entry not in assumptions():
        return (*(c for c in codes.values() if not c.success), *_successes(codes))
    ordered = [codes[code] for code in assumed(entry)]
    missing = {c.code for c in codes.values() if not c.success} - {c.code for c in ordered}
    if missing:
        raise SpecError(f"{entry} leaves out codes {sorted(missing)}")
    return (*ordered, *_successes(codes))


def _successes(codes: Mapping[int, ControlCode]) -> tuple[ControlCode, ...]:
    return tuple(c for c in codes.values() if c.success)


@dataclass(frozen=True)
class FieldError:
    """One per-field message of a validation (code 9) answer."""

    id: str
    element_id: str
    message: Mapping[str, str]


@cached
def field_errors(operation: str) -> dict[str, FieldError]:
    """The 'validation' section of an operation's catalogue, keyed by id."""
    return {
        row["id"]: FieldError(row["id"], row["elementId"], row["message"])
        for row in _catalogue(operation).get("validation", [])
    }


@cached
def _rules() -> dict[str, Any]:
    loaded: dict[str, Any] = _validated_data("rules", "rules")["rules"]
    return loaded


@cached
def faults() -> dict[str, Any]:
    """schemas/faults.json: fault defaults, HTTP error pages, the malformed-JSON prefix."""
    loaded: dict[str, Any] = _validated_data("faults", "faults")
    return loaded


def rule(name: str) -> Any:
    """The value of one documented rule of schemas/rules.json (a limit, a format)."""
    return _rules()[name]["value"]


@dataclass(frozen=True)
class Fixtures:
    """The data one mock serves: its messages and the API keys it accepts."""

    directory: Path
    messages: tuple[dict[str, Any], ...]
    api_keys: tuple[str, ...]
    magic_numbers: Mapping[str, Any] = field(default_factory=dict)
    account: Mapping[str, Any] = field(default_factory=dict)
    stop_list: Mapping[str, Any] = field(default_factory=dict)
    hlr_numbers: Mapping[str, Any] = field(default_factory=dict)


def _load_fixture_file(directory: Path, file: str, file_schema: str) -> Any:
    path = directory / file
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FixtureError(str(path), "-", "$", "file not found") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FixtureError(str(path), "-", "$", f"not valid JSON: {exc}") from exc
    problem = first_error(file_schema, data)
    if problem:
        raise FixtureError(str(path), "-", *problem)
    return data


def check_message(record: Mapping[str, Any], *, file: str = "<message>", index: int = 0) -> None:
    """Raise FixtureError unless record, completed with the constants, is a success body."""
    body = {**constants(OK), **record}
    problem = first_error(OK, body)
    if problem:
        label = f"#{index} (messageId {record.get('messageId')!r})"
        raise FixtureError(file, label, f"$.messages[{index}]{problem[0][1:]}", problem[1])


OPTIONAL_FIXTURES = ("magic-numbers", "account", "stop-list", "hlr-numbers")


def load_fixtures(directory: Path | None = None) -> Fixtures:
    """Read and validate the fixture files of a directory.

    messages.json and api-keys.json are required; magic-numbers.json, account.json,
    stop-list.json and hlr-numbers.json are taken from the bundled fixtures when the directory
    has none.
    """
    directory = fixture_dir() if directory is None else Path(directory)
    messages = _load_fixture_file(directory, "messages.json", "messages-file")["messages"]
    for index, record in enumerate(messages):
        check_message(record, file=str(directory / "messages.json"), index=index)
    keys = _load_fixture_file(directory, "api-keys.json", "api-keys-file")["api_keys"]
    optional = {}
    for name in OPTIONAL_FIXTURES:
        # A directory made for message-status alone keeps working: these come bundled.
        home = directory if (directory / f"{name}.json").exists() else fixture_dir()
        optional[name] = _load_fixture_file(home, f"{name}.json", f"{name}-file")
    return Fixtures(
        directory=directory,
        messages=tuple(messages),
        api_keys=tuple(keys),
        magic_numbers=optional["magic-numbers"],
        account=optional["account"],
        stop_list=optional["stop-list"],
        hlr_numbers=optional["hlr-numbers"],
    )
