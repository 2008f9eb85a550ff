"""Scenarios from fixtures/scenarios/*.json, one pytest item per test, against the target.

Each test names its source: a documented fact ({"documented": reference}, with the parts of
its expectation that rest on assumptions under "assumed"), an assumption of the ledger
({"assumption": id}) for the whole expectation, or the mock's own behaviour ({"mock": ...}).
A failing part that rests on assumptions is a departure, settled like any other.
"""

from __future__ import annotations

import http.client
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from mock_server.contract import spec

from .checks import Expectation, _mismatch, expectation_met
from .receivers import Receiver
from .target import Target
from .transport import Reply, Transport, encode_query

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
                if "settings" in test or "steps" in test or test.get("targets") == ["mock"]:
                    marks.append(pytest.mark.mock_only)
                ident = (
                    f"{name.removesuffix('.json')} > {case['description']} > {test['description']}"
                )
                yield pytest.param(test, id=ident, marks=marks)


def _fill(value: Any, saved: Mapping[str, str], typed: Mapping[str, Any] | None = None) -> Any:
    """value with each {name} of a saved value replaced, in strings, lists and objects; with
    typed, a string that is only '{name}' becomes the saved value as the answer typed it."""
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if typed is not None and whole and whole.group(1) in typed:
            return typed[whole.group(1)]
        return re.sub(r"\{(\w+)\}", lambda m: saved.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_fill(item, saved, typed) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, saved, typed) for key, item in value.items()}
    return value


def _query(request: dict[str, Any], saved: Mapping[str, str]) -> str:
    if "raw_query" in request:
        return str(_fill(request["raw_query"], saved))
    return encode_query(_fill(request.get("query", {}), saved))


def _body(request: dict[str, Any], saved: Mapping[str, str]) -> bytes | None:
    if "raw_body" in request:
        return str(_fill(request["raw_body"], saved)).encode("utf-8")
    if "body" in request:
        return json.dumps(_fill(request["body"], saved)).encode("utf-8")
    return None


FAILURES: dict[str, type[BaseException]] = {
    "connection-reset": ConnectionResetError,
    "timeout": TimeoutError,
    "incomplete-body": http.client.IncompleteRead,
}


def _send(server: Target, request: dict[str, Any], saved: Mapping[str, str]) -> Reply:
    # the target's own transport (guarded for remote targets); a client timeout of its own
    # only in step scenarios, which run against the bundled mock alone
    transport = server.transport
    if "timeout" in request:
        transport = Transport(server.base_url, timeout=request["timeout"])
    return transport.request(
        request.get("method", "GET"),
        request.get("path", "/message-status"),
        _query(request, saved),
        _body(request, saved),
    )


PARTS = ("status", "media_type", "headers", "parses", "raw", "schema", "code", "body", "matches")


def resting(test: Mapping[str, Any]) -> dict[str, list[str]]:
    """{part of the expectation: the assumptions it rests on} for a scenario test."""
    source = test.get("source", {})
    if "assumption" in source:
        return {part: [source["assumption"]] for part in PARTS}
    return {part: list(ids) for part, ids in test.get("assumed", {}).items()}


def judged(expect: Mapping[str, Any], assumed: Mapping[str, list[str]]) -> dict[str, Any]:
    """The expectation without the parts that rest on a calibrated assumption: the scenario
    states the ledger's value there, which the calibration (--calibration) replaced."""
    calibrated = set(spec.overlay().values)
    return {
        part: value
        for part, value in expect.items()
        if part not in PARTS or part == "status" or not calibrated & set(assumed.get(part, ()))
    }


def _exchange(
    server: Target,
    request: dict[str, Any],
    expect: dict[str, Any],
    saved: dict[str, str],
    assumed: Mapping[str, list[str]] | None = None,
) -> Reply | None:
    """Send a request and check the answer, or check that it fails the expected way."""
    if "failure" in expect:
        with pytest.raises(FAILURES[expect["failure"]]):
            _send(server, request, saved)
        return None
    reply = _send(server, request, saved)
    kept = judged(expect, assumed or {})
    if "status" in expect and calibrated_part(assumed or {}, "status"):
        kept["status"] = reply.status  # an error's status, under a calibrated 'error-http-status'
    expectation_met(reply, Expectation(**_fill(kept, saved)), server.lang, assumed)
    return reply


def calibrated_part(assumed: Mapping[str, list[str]], part: str) -> bool:
    return bool(set(spec.overlay().values) & set(assumed.get(part, ())))


def _dig(data: Any, path: str) -> Any:
    """The value at a dotted path of decoded answer data ('data.0.apiKey')."""
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _admin(server: Target, method: str, path: str, data: Any, status: int) -> Any:
    root = Transport(server.base_url.removesuffix("/v1"))
    body = None if method == "GET" else json.dumps(data).encode("utf-8")
    reply = root.request(method, path, "", body)
    assert reply.status == status, (path, reply.status, reply.raw)
    return reply.data()


def _settled(server: Target, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The mock's callback journal once nothing due is left unsent (queued, in flight, or
    scheduled at or before the mock's now)."""
    deadline = time.monotonic() + timeout
    while True:
        state = _admin(server, "GET", "/_mock/callbacks?limit=500", None, 200)
        due = state["next_due"]
        idle = not state["queued"] and not state["in_flight"]
        if idle and (due is None or due > state["now"]):
            return list(state["callbacks"])
        assert time.monotonic() < deadline, f"callbacks still going after {timeout} s: {state}"
        time.sleep(0.01)


def _no_mismatch(data: Any, pattern: Any, what: str) -> None:
    found = _mismatch(data, pattern, "$")
    assert found is None, f"{what}: {found}\nReceived: {json.dumps(data)[:600]}"


def _check_callbacks(
    server: Target,
    expect: dict[str, Any],
    receivers: Mapping[str, Receiver],
    typed: Mapping[str, Any],
) -> None:
    """What the receivers got and what the mock journalled, once its callbacks settled."""
    journal = _settled(server)
    if "journal" in expect:
        _no_mismatch(journal, _fill(expect["journal"], {}, typed), "callback journal")
    if "receiver" not in expect:
        return
    bodies = receivers[expect["receiver"]].bodies()
    assert len(bodies) == expect["count"], f"{len(bodies)} callbacks arrived: {bodies}"
    if "bodies" in expect:
        _no_mismatch(bodies, _fill(expect["bodies"], {}, typed), "callback bodies")
    for body in bodies if "schema" in expect else []:
        assert spec.first_error(expect["schema"], body) is None, body
    if expect.get("identical"):
        assert all(body == bodies[0] for body in bodies), bodies


def _run_steps(server: Target, steps: list[dict[str, Any]]) -> None:
    saved = {"api_key": server.api_key}
    typed: dict[str, Any] = {}
    receivers: dict[str, Receiver] = {}
    _admin(server, "POST", "/_mock/reset", {}, 200)
    # frozen, only the steps move the clock: the outcome never depends on how fast they run
    _admin(server, "POST", "/_mock/clock", {"freeze": True}, 200)
    try:
        for step in steps:
            if "advance" in step:
                _admin(server, "POST", "/_mock/clock", {"advance": step["advance"]}, 200)
            elif "fault" in step:
                _admin(server, "POST", "/_mock/faults", step["fault"], 201)
            elif "receiver" in step:
                name = step["receiver"]["name"]
                receivers[name] = Receiver(step["receiver"].get("status", 200))
                saved[name] = receivers[name].url(name)
            elif "admin" in step:
                call = step["admin"]
                data = _fill(call.get("body", {}), saved, typed)
                answer = _admin(server, call["method"], call["path"], data, call["status"])
                _no_mismatch(answer, _fill(call.get("matches", {}), {}, typed), call["path"])
            elif "callbacks" in step:
                _check_callbacks(server, step["callbacks"], receivers, typed)
            else:
                for _ in range(step.get("repeat", 1) - 1):
                    _send(server, step["request"], saved)
                reply = _exchange(server, step["request"], step["expect"], saved)
                data = reply.data() if reply is not None and step.get("save") else {}
                for name, path in step.get("save", {}).items():
                    value = _dig(data, path)
                    saved[name], typed[name] = str(value), value
    finally:
        _admin(server, "POST", "/_mock/reset", {}, 200)
        for receiver in receivers.values():
            receiver.close()


@pytest.mark.parametrize("scenario", list(load_scenarios()))
def test_scenario(
    scenario: dict[str, Any],
    target: Target,
    make_mock: Callable[..., Target],
    settle: Callable[[Callable[[], object]], None],
) -> None:
    """The target answers each scenario's request (or steps) as the scenario expects."""
    server = make_mock(**scenario["settings"]) if "settings" in scenario else target
    request = scenario.get("request", {})
    method, path = request.get("method", "GET"), request.get("path", "/message-status")
    saved = {"api_key": server.api_key}
    if "request" in scenario and not server.transport.allows(method, path, _body(request, saved)):
        pytest.skip(
            f"{method} {path} is not sent to this target "
            "(see --live-lookup and --allow-sandbox-sends)"
        )
    if "steps" in scenario:
        _run_steps(server, scenario["steps"])
        return
    settle(
        lambda: _exchange(server, scenario["request"], scenario["expect"], saved, resting(scenario))
    )
