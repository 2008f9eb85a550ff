"""Scenarios from fixtures/scenarios/*.json, one pytest item per test, against the target."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mock_server import spec

from .checks import Expectation, expectation_met
from .conftest import Target
from .transport import encode_query

SCENARIO_DIR = spec.FIXTURE_DIR / "scenarios"


def scenario_files() -> list[str]:
    return sorted(path.name for path in SCENARIO_DIR.glob("*.json"))


def load_scenarios() -> Iterator[Any]:
    """Each test of each case as a pytest.param with id 'file > case > test'."""
    for name in scenario_files():
        cases = json.loads((SCENARIO_DIR / name).read_text(encoding="utf-8"))
        for case in cases:
            for test in case["tests"]:
                marks = []
                if "skip" in test:
                    marks.append(pytest.mark.skip(reason=test["skip"]))
                if "settings" in test or test.get("targets") == ["mock"]:
                    marks.append(pytest.mark.mock_only)
                ident = (
                    f"{name.removesuffix('.json')} > {case['description']} > {test['description']}"
                )
                yield pytest.param(test, id=ident, marks=marks)


def _query(request: dict[str, Any], api_key: str) -> str:
    if "raw_query" in request:
        return str(request["raw_query"]).replace("{api_key}", api_key)
    params = {k: v.replace("{api_key}", api_key) for k, v in request.get("query", {}).items()}
    return encode_query(params)


@pytest.mark.parametrize("scenario", list(load_scenarios()))
def test_scenario(
    scenario: dict[str, Any], target: Target, make_mock: Callable[..., Target]
) -> None:
    """The target answers each scenario's request as the scenario expects."""
    server = make_mock(**scenario["settings"]) if "settings" in scenario else target
    request = scenario["request"]
    reply = server.transport.request(
        request.get("method", "GET"),
        request.get("path", "/message-status"),
        _query(request, server.api_key),
    )
    expectation_met(reply, Expectation(**scenario["expect"]), server.lang)
