"""Sanity tests on schemas/ and fixtures/: the contract must be well-formed and coherent."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from contract_tests.checks import schema_for
from mock_server.contract import spec

SCHEMA_FILES = sorted(spec.SCHEMA_DIR.glob("*.schema.json"))
SCENARIO_FILES = sorted((spec.FIXTURE_DIR / "scenarios").glob("*.json"))
MOCK_PAGE = spec.contract_root() / "docs" / "mock.md"
LIFECYCLE_PAGE = spec.contract_root() / "docs" / "lifecycle.md"

# Keywords hypothesis-jsonschema understands, plus annotations it ignores.
SUPPORTED_KEYWORDS = {
    "$schema", "$id", "$ref", "$comment", "title", "description", "default", "type",
    "properties", "required", "additionalProperties", "definitions", "items", "minItems",
    "maxItems", "uniqueItems", "enum", "const", "pattern", "minLength", "maxLength",
    "minimum", "maximum", "anyOf", "oneOf", "allOf", "not", "x-xml",
}  # fmt: skip


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _schema_nodes(node: Any) -> Any:
    """Schema objects only: the values of 'properties' and 'definitions' are maps of names."""
    if not isinstance(node, dict):
        return
    yield node
    for key, value in node.items():
        if key in ("properties", "definitions"):
            for sub in value.values():
                yield from _schema_nodes(sub)
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            yield from _schema_nodes(value)
        elif key in ("anyOf", "oneOf", "allOf"):
            for sub in value:
                yield from _schema_nodes(sub)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
class TestSchemas:
    def test_schema_is_valid_draft_07(self, path: Path) -> None:
        """Every schema passes check_schema for draft-07."""
        document = json.loads(path.read_text())
        assert document["$schema"] == "http://json-schema.org/draft-07/schema#"
        Draft7Validator.check_schema(document)

    def test_id_equals_file_name(self, path: Path) -> None:
        """Every $id is the schema's own file name."""
        assert json.loads(path.read_text())["$id"] == path.name

    def test_refs_stay_in_their_file(self, path: Path) -> None:
        """No $ref leaves its own file (hypothesis-jsonschema refuses remote references)."""
        refs = [n["$ref"] for n in _walk(json.loads(path.read_text())) if "$ref" in n]
        assert all(ref.startswith("#/") for ref in refs), refs

    def test_only_supported_keywords(self, path: Path) -> None:
        """Schemas use only keywords the strategy layer supports."""
        used = {key for node in _schema_nodes(json.loads(path.read_text())) for key in node}
        assert used <= SUPPORTED_KEYWORDS, used - SUPPORTED_KEYWORDS


class TestControlCodes:
    def test_error_schema_enum_equals_catalogue_error_codes(self) -> None:
        """The error schema's code enum is exactly the catalogue's error codes."""
        errors = [c.code for c in spec.control_codes().values() if not c.success]
        assert spec.schema(spec.ERROR)["properties"]["code"]["enum"] == errors

    def test_success_constant_equals_catalogue_success_code(self) -> None:
        """The success body's code constant is the catalogue's success code."""
        (success,) = [c.code for c in spec.control_codes().values() if c.success]
        assert spec.constants(spec.OK)["code"] == success

    def test_seed_page_codes_are_catalogued(self) -> None:
        """The seed page's table (1, 2, 3, 4, 10, 200) is the catalogue, in that order."""
        seed = spec.contract_root().parent / "shared/reference/seed-message-status.fr.txt"
        table = seed.read_text() if seed.exists() else ""
        rows = re.findall(r"^(\d+) \| (.+?) \|", table, flags=re.MULTILINE)
        if not rows:
            pytest.skip("the seed page is not beside this checkout")
        assert [(c.code, c.message["fr"]) for c in spec.control_codes().values()] == [
            (int(code), text) for code, text in rows
        ]

    def test_every_code_has_a_text_in_each_language(self) -> None:
        """Each code has a French and an English text and at least one source."""
        for code in spec.control_codes().values():
            assert set(code.message) == {"fr", "en"}
            assert code.sources

    def test_precedence_is_every_error_code_once(self) -> None:
        """The precedence list names each error code exactly once."""
        order = spec.assumed("message-status-code-precedence")
        errors = {c.code for c in spec.control_codes().values() if not c.success}
        assert sorted(order) == sorted(errors)
        assert len(order) == len(set(order))

    def test_precedence_ends_with_the_success_code(self) -> None:
        """Checking falls through to the success code last."""
        assert spec.precedence()[-1].success


class TestAssumptions:
    def test_issue_assumptions_are_recorded(self) -> None:
        """Precedence, HTTP status, _format case, phone, date and language are in the ledger."""
        wanted = {
            "message-status-code-precedence",
            "error-http-status",
            "format-case",
            "phone-formats",
            "date-format",
            "message-language",
            "empty-parameter",
        }
        assert wanted <= set(spec.assumptions())

    def test_every_value_and_alternative_is_in_its_domain(self) -> None:
        """The mock can take each entry's value and each of its alternatives (calibration)."""
        for entry in spec.assumptions().values():
            for value in spec.choices(entry.id):
                assert spec.value_problem(entry.id, value) is None, (entry.id, value)

    def test_scenarios_name_assumptions_of_the_ledger(self) -> None:
        """Every assumption a scenario rests on is in the ledger."""
        named = set()
        for path in sorted((spec.FIXTURE_DIR / "scenarios").glob("*.json")):
            for case in json.loads(path.read_text(encoding="utf-8")):
                for test in case["tests"]:
                    named |= {i for ids in test.get("assumed", {}).values() for i in ids}
                    named |= {test["source"].get("assumption")} - {None}
        assert named and named <= set(spec.assumptions())

    def test_every_assumption_has_a_source_and_a_probe(self) -> None:
        """Each entry says where its evidence comes from and how to test it."""
        for entry in spec.assumptions().values():
            assert entry.sources and entry.probe and entry.decision

    def test_non_blank_pattern_matches_the_ledger(self) -> None:
        """The query schema's non-blank apiKey pattern excludes exactly the ledger's blanks."""
        blanks = spec.assumed("empty-parameter")["whitespace"]
        pattern = spec.schema(spec.QUERY)["properties"]["apiKey"]["pattern"]
        assert pattern == "[^" + "".join(_regex_escape(c) for c in blanks) + "]"


def _regex_escape(char: str) -> str:
    return {" ": " ", "\t": "\\t", "\n": "\\n", "\r": "\\r"}.get(char, f"\\u{ord(char):04x}")


class TestFixtures:
    def test_fixtures_load(self) -> None:
        """The bundled fixtures pass their schemas."""
        fixtures = spec.load_fixtures()
        assert fixtures.messages and fixtures.api_keys == ("YOUR_API_KEY",)

    def test_documented_example_is_a_fixture(self) -> None:
        """The seed page's example record is served exactly."""
        assert {
            "number": "0600000000",
            "messageId": "1111",
            "stopSms": False,
            "date": "2015-02-07 22:39:46",
            "statut": "Delivered",
            "cost": 0.045,
            "countryCode": "FR",
            "currency": "EUR",
        } in spec.load_fixtures().messages

    def test_fixtures_cover_every_status_value(self) -> None:
        """Every statut value has a record."""
        served = {m["statut"] for m in spec.load_fixtures().messages}
        assert served == set(spec.statuses())

    def test_fixtures_cover_a_stopped_and_a_foreign_number(self) -> None:
        """One record has stopSms true and one a non-French international number."""
        messages = spec.load_fixtures().messages
        assert any(m["stopSms"] for m in messages)
        assert any(m["countryCode"] != "FR" and m["number"].startswith("+") for m in messages)

    def test_live_status_sample_conforms(self) -> None:
        """The 2018 live capture of message-status is accepted by the success schema."""
        sample = json.loads((spec.FIXTURE_DIR / "live-samples/status.json").read_text())
        assert spec.first_error(spec.OK, sample) is None


def _scenario_tests() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(file, case, exchange) for each request of each test, steps included."""
    out = []
    for path in SCENARIO_FILES:
        for case in json.loads(path.read_text()):
            for test in case["tests"]:
                exchanges = [s for s in test.get("steps", [test]) if "request" in s]
                out.extend(
                    (path.name, case, {"description": test["description"], **s}) for s in exchanges
                )
    return out


class TestScenarios:
    @pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
    def test_scenario_file_conforms_to_meta_schema(self, path: Path) -> None:
        """Every scenario file is valid against fixture-file.schema.json."""
        assert spec.first_error("fixture-file", json.loads(path.read_text())) is None

    def test_descriptions_are_unique_and_plain(self) -> None:
        """Descriptions are unique in their scope and never say 'should' or 'test that'."""
        for path in SCENARIO_FILES:
            cases = json.loads(path.read_text())
            assert len({c["description"] for c in cases}) == len(cases)
            for case in cases:
                names = [t["description"] for t in case["tests"]]
                assert len(set(names)) == len(names), case["description"]
                for text in [case["description"], *names]:
                    assert not re.search(r"\bshould\b|\btest that\b", text, re.I), text

    def test_expected_bodies_are_valid_against_their_schema(self) -> None:
        """Every raw expected JSON body validates against the schema it names or implies."""
        for _, _, test in _scenario_tests():
            expect = test["expect"]
            if expect.get("media_type") == "application/json" and expect.get("raw"):
                body = json.loads(expect["raw"])
                name = expect.get("schema") or schema_for(
                    body, expect.get("operation", spec.STATUS)
                )
                assert spec.first_error(name, body) is None, test["description"]

    @pytest.mark.parametrize("media_type", ["application/json", "application/xml"])
    def test_every_control_code_is_exercised_in_each_format(self, media_type: str) -> None:
        """Each error code has a scenario in JSON and in XML."""
        seen = {
            t["expect"]["code"]
            for _, _, t in _scenario_tests()
            if "code" in t["expect"]
            and t["expect"].get("operation", spec.STATUS) == spec.STATUS
            and t["expect"].get("media_type") == media_type
        }
        errors = {c.code for c in spec.control_codes().values() if not c.success}
        assert errors <= seen


def control_code_table() -> str:
    """docs/mock.md's control-code table, generated from the catalogue."""
    header = (
        "| code | message (fr, default) | message (en, `--lang en`) | HTTP, `--error-status 4xx` |"
    )
    lines = [header]
    lines.append("|---|---|---|---|")
    for c in spec.control_codes().values():
        lines.append(f"| {c.code} | {c.message['fr']} | {c.message['en']} | {c.http_status} |")
    return "\n".join(lines)


def test_docs_control_code_table_matches_catalogue() -> None:
    """docs/mock.md's control-code table is the catalogue's (regenerate with this function)."""
    assert control_code_table() in MOCK_PAGE.read_text(encoding="utf-8")


OPERATIONS = [op.id for op in spec.operations() if op.id != spec.STATUS]
ERROR_SCHEMAS = {op.id: op.error for op in spec.operations()}
LIVE_SAMPLES = {
    "send_sms.json": "send.ok",
    "send_sms_error.json": "send.invalid",
    "bulk_status.json": "bulk-status.ok",
    "multi_status.json": "multi-status.ok",
    "cancel_sms.json": "message-cancel.ok",
    "credits.json": "me.ok",
    "status.json": spec.OK,
}


class TestEndpointContracts:
    @pytest.mark.parametrize("operation", OPERATIONS)
    def test_error_schema_enum_equals_catalogue_error_codes(self, operation: str) -> None:
        """Each endpoint's error schema lists exactly its catalogue's 'message' error codes."""
        codes = spec.control_codes(operation).values()
        errors = sorted(c.code for c in codes if not c.success and c.shape == "message")
        schema = spec.schema(ERROR_SCHEMAS[operation])
        assert sorted(schema["properties"]["code"]["enum"]) == errors

    @pytest.mark.parametrize("operation", [*OPERATIONS, "multi-status-entry"])
    def test_precedence_names_every_error_code_once(self, operation: str) -> None:
        """Each operation's precedence entry orders all its error codes, success last."""
        order = spec.assumed(spec.precedence_id(operation))
        errors = [c.code for c in spec.control_codes(operation).values() if not c.success]
        assert sorted(order) == sorted(errors) and len(order) == len(set(order))
        assert spec.precedence(operation)[-1].success

    @pytest.mark.parametrize(("sample", "name"), sorted(LIVE_SAMPLES.items()))
    def test_live_sample_conforms(self, sample: str, name: str) -> None:
        """Every body captured from the live API is accepted by its schema."""
        body = json.loads((spec.FIXTURE_DIR / "live-samples" / sample).read_text())
        assert spec.first_error(name, body) is None

    def test_validation_texts_exist_in_every_language(self) -> None:
        """Every code-9 field message has a French and an English text."""
        for operation in OPERATIONS:
            for entry in spec.field_errors(operation).values():
                assert set(entry.message) == {"fr", "en"}

    def test_status_enums_agree(self) -> None:
        """Magic numbers, bulk- and multi-status use message-status's status values."""
        statuses = list(spec.statuses())
        assert spec.schema("magic-numbers-file")["definitions"]["status"]["enum"] == statuses
        assert spec.schema("bulk-status.ok")["definitions"]["status"]["enum"] == statuses
        assert spec.schema("multi-status.ok")["definitions"]["status"]["enum"] == statuses
        assert spec.schema("bulk-status-by-tag.ok")["definitions"]["status"]["enum"] == statuses

    def test_cancelled_status_is_a_status(self) -> None:
        """The ledger's status of a cancelled message is a documented status."""
        assert spec.assumed("cancelled-status") in spec.statuses()

    def test_magic_numbers_cover_every_status(self) -> None:
        """Some magic number ends in each status value, and one has stopSms."""
        magic = spec.load_fixtures().magic_numbers
        assert {row["final_status"] for row in magic["numbers"]} == set(spec.statuses())
        assert any(row["stopSms"] for row in magic["numbers"])


def _steps(file: str) -> list[dict[str, Any]]:
    cases = json.loads((spec.FIXTURE_DIR / "scenarios" / file).read_text())
    return [step for case in cases for test in case["tests"] for step in test.get("steps", [])]


# The operations of issue 12 part B: each of their control codes has a scenario.
CHECKED_OPERATIONS = [
    "lookup",
    "hlr-notify",
    "subaccount-create",
    "subaccount-list",
    "subaccount-remove",
    "subaccount-credit-add",
    "subaccount-credit-remove",
    "bulk-status-by-tag",
    "statistics-cost-resume",
]


@pytest.mark.parametrize("operation", CHECKED_OPERATIONS)
def test_every_control_code_of_the_operation_has_a_scenario(operation: str) -> None:
    """Each error code of the operation is expected by some scenario, in JSON and in XML for
    at least one of them."""
    expected = [
        (t["expect"]["code"], t["expect"].get("media_type"))
        for _, _, t in _scenario_tests()
        if "code" in t["expect"] and t["expect"].get("operation") == operation
    ]
    errors = {c.code for c in spec.control_codes(operation).values() if not c.success}
    assert errors <= {code for code, _ in expected}
    assert any(media == "application/xml" and code in errors for code, media in expected)


def test_documented_statuses_are_rate_limits() -> None:
    """Only a rate limit's code 429 has a documented HTTP status, and its rule is a limit."""
    for operation in spec.catalogues():
        for code in spec.control_codes(operation).values():
            if code.status_documented:
                assert code.trigger["kind"] == "rate-limited" and code.http_status == 429
                assert set(spec.rule(code.trigger["rule"])) == {"requests", "seconds"}


def test_number_plans_cover_the_price_table() -> None:
    """Every calling code the account has a price for has a lookup number plan, whose
    templates have as many digits as their length."""
    plans = spec.assumed("lookup-number-plans")
    codes = {row["calling_code"] for row in spec.load_fixtures().account["prices"]}
    assert codes <= set(plans)
    for plan in plans.values():
        for length, template in plan["templates"].items():
            assert template.count("X") == int(length)


def test_hlr_magic_numbers_are_distinct_from_the_send_ones() -> None:
    """fixtures/hlr-numbers.json's numbers are not magic numbers of a send, nor repeated."""
    from mock_server._domain import phones

    hlr = [row["number"] for row in spec.load_fixtures().hlr_numbers["numbers"]]
    sends = {phones.canonical(r["number"]) for r in spec.load_fixtures().magic_numbers["numbers"]}
    assert len(set(hlr)) == len(hlr) and not set(hlr) & sends


def test_every_fault_kind_has_a_scenario() -> None:
    """fixtures/scenarios/faults.json injects every kind of fault at least once."""
    kinds = set(spec.schema("fault-rule")["properties"]["kind"]["enum"])
    assert {s["fault"]["kind"] for s in _steps("faults.json") if "fault" in s} == kinds


def test_every_magic_number_has_a_lifecycle_scenario() -> None:
    """fixtures/scenarios/lifecycle.json sends to every magic number at least once."""
    sent = {
        number
        for step in _steps("lifecycle.json")
        if step.get("request", {}).get("path") == "/send"
        for number in step["request"]["body"]["phoneNumbers"].split(",")
    }
    assert {row["number"] for row in spec.load_fixtures().magic_numbers["numbers"]} <= sent


def magic_number_table() -> str:
    """docs/lifecycle.md's magic-number table, generated from fixtures/magic-numbers.json."""

    def delay(seconds: float) -> str:
        return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds:g} s"

    magic = spec.load_fixtures().magic_numbers
    lines = [
        "| number | final status | after | stopSms | what it is for |",
        "|---|---|---|---|---|",
    ]
    for row in magic["numbers"]:
        stop = str(row["stopSms"]).lower()
        lines.append(
            f"| {row['number']} | {row['final_status']} | {delay(row['delay_seconds'])} "
            f"| {stop} | {row['description']} |"
        )
    default = magic["default"]
    lines.append(
        f"| any other | {default['final_status']} | {delay(default['delay_seconds'])} "
        f"(`--delivery-delay`) | {str(default['stopSms']).lower()} | the default |"
    )
    return "\n".join(lines)


def test_docs_magic_number_table_matches_the_file() -> None:
    """docs/lifecycle.md's magic-number table is the fixture file's (regenerate with this
    function)."""
    assert magic_number_table() in LIFECYCLE_PAGE.read_text(encoding="utf-8")


def test_docs_polling_example_is_the_tested_one() -> None:
    """docs/lifecycle.md's polling example is tests/examples/test_polling.py, word for word."""
    source = (Path(__file__).parent / "examples/test_polling.py").read_text(encoding="utf-8")
    example = source.split("# --- docs example start ---\n")[1].split("# --- docs example end")[0]
    example = example.rstrip()
    assert f"```python\n{example}\n```" in LIFECYCLE_PAGE.read_text(encoding="utf-8")


def test_docs_webhook_example_is_the_tested_one() -> None:
    """docs/webhooks.md's example is tests/examples/test_webhook.py, word for word."""
    source = (Path(__file__).parent / "examples/test_webhook.py").read_text(encoding="utf-8")
    example = source.split("# --- docs example start ---\n")[1].split("# --- docs example end")[0]
    page = (spec.contract_root() / "docs" / "webhooks.md").read_text(encoding="utf-8")
    assert f"```python\n{example.rstrip()}\n```" in page


def test_fault_kinds_in_python_equal_the_schema() -> None:
    """Every fault kind of fault-rule.schema.json has an implementation, and no other."""
    from mock_server._http.faults import APPLY

    assert list(APPLY) == spec.schema("fault-rule")["properties"]["kind"]["enum"]


def test_trigger_kinds_in_python_are_in_the_schema() -> None:
    """Every trigger kind the handlers implement is one control-codes.schema.json allows."""
    from mock_server._domain import decisions
    from mock_server._http import operations

    allowed = set(
        spec.schema("control-codes")["definitions"]["trigger"]["properties"]["kind"]["enum"]
    )
    declared = [k for r in operations.registry().values() for k in r.kinds.values()]
    implemented = set(decisions.GENERIC).union(*declared)
    assert implemented <= allowed


@pytest.mark.parametrize(
    "operation",
    ["send", "stop-sms-list", "stop-sms-add", "stop-sms-delete", "bulk-send", "vn-send"],
)
def test_every_control_code_of_the_stop_list_and_sends_has_a_scenario(operation: str) -> None:
    """Each code of these catalogues, success included, is what some scenario expects (send's
    older codes are pinned by tests/test_endpoints.py; its code 14 by stop-list.json)."""
    seen = {
        test["expect"]["code"]
        for _, _, test in _scenario_tests()
        if "code" in test["expect"] and test["expect"].get("operation") == operation
    }
    codes = {c.code for c in spec.control_codes(operation).values()}
    if operation == "send":
        codes = {14}
    assert codes <= seen
