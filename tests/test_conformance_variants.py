"""The suite tells the documented contract from the ledger's guesses, over the whole ledger.

For each alternative of each assumption that has some, a variant of the mock differs from
the default on that one point, built by calibration itself (Settings(calibration={id:
alternative})). The whole contract suite runs against it in a subprocess, as against the
live API: it passes, and its report names that assumption, alone, as contradicted with the
alternative as the observed value. `smspartner-mock calibrate` turns the report into a
calibration file, and with it the suite passes against the same variant in
--strict-assumptions mode. An assumption no probe may measure (it would cost money or change
the account) is reported 'not probed' with its reason, and the suite passes.

The variants run two at a time (SMSPARTNER_VARIANT_WORKERS), with a small Hypothesis profile.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contract_tests import conformance
from mock_server import ServerThread, Settings
from mock_server.cli import main
from mock_server.contract import spec

from .processes import contract_suite

SECRET = "SeCrEt-KeY-42"
# (id of the test, assumption, value): every alternative of every entry that has some
VARIANTS = [
    (entry.id if n == 0 else f"{entry.id}#{n + 1}", entry.id, alternative)
    for entry in spec.assumptions().values()
    for n, alternative in enumerate(entry.alternatives)
]


def run_suite(base_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """The contract suite against base_url, as a user runs it against the live API."""
    extra = ("--allow-sandbox-sends", "--live-lookup", "--sandbox-wait", "5", *extra)
    return contract_suite(base_url, SECRET, "quick", *extra, timeout=600)


@dataclass
class Outcome:
    """What the two runs against one variant gave."""

    first: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    calibration: dict[str, Any] | None = None
    strict: subprocess.CompletedProcess[str] | None = None


def variant(calibration: dict[str, Any]) -> Settings:
    # delivery_delay 1: the sandbox probes see a message delivered within a second
    return Settings(api_keys=(SECRET,), access_log=False, delivery_delay=1, calibration=calibration)


def measure(assumption_id: str, value: Any, workdir: Path) -> Outcome:
    """Run the suite against the variant, calibrate from its report, run it again strict."""
    with ServerThread(variant({assumption_id: value})) as server:
        first = run_suite(server.base_url, "--conformance-report", str(workdir / "report"))
        report = json.loads((workdir / "report.json").read_text())
        outcome = Outcome(first, report)
        contradicted = [f for f in report["assumptions"] if f["verdict"] == "contradicted"]
        if first.returncode or not contradicted:
            return outcome
        calibration = workdir / "calibration.json"
        assert main(["calibrate", str(workdir / "report.json"), "-o", str(calibration)]) == 0
        outcome.calibration = json.loads(calibration.read_text())
        outcome.strict = run_suite(
            server.base_url, "--calibration", str(calibration), "--strict-assumptions"
        )
    return outcome


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[Outcome]]]:
    """Every selected variant, measured in the background, two at a time."""
    selected = [
        item.callspec.id
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.originalname == "test_variant_is_reported_then_calibrated"
    ]
    workers = int(os.environ.get("SMSPARTNER_VARIANT_WORKERS", "2"))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            ident: pool.submit(measure, assumption_id, value, tmp_path_factory.mktemp("v"))
            for ident, assumption_id, value in VARIANTS
            if ident in selected
        }
        yield futures
        for future in futures.values():
            future.cancel()


@pytest.mark.parametrize(
    ("ident", "assumption_id", "value"), VARIANTS, ids=[v[0] for v in VARIANTS]
)
def test_variant_is_reported_then_calibrated(
    ident: str, assumption_id: str, value: Any, outcomes: dict[str, Future[Outcome]]
) -> None:
    """The suite passes against a variant, names it alone contradicted with the observed
    value, and passes strict once calibrated from its report."""
    outcome = outcomes[ident].result()
    output = outcome.first.stdout + outcome.first.stderr
    assert outcome.first.returncode == 0, output[-4000:]
    assert SECRET not in output
    findings = {f["id"]: f for f in outcome.report["assumptions"]}
    contradicted = sorted(i for i, f in findings.items() if f["verdict"] == "contradicted")
    finding = findings[assumption_id]
    if finding["verdict"] == "not probed":
        # no probe may measure it (it costs money or changes the account): said why
        assert finding["observed"] == conformance.NOT_PROBED[assumption_id], finding
        assert contradicted == []
        return
    assert contradicted == [assumption_id], json.dumps(outcome.report, indent=1)[:4000]
    assert finding["observed_value"] == value
    assert "conformance: " in output and " 1 contradicted" in output
    assert outcome.calibration is not None and outcome.strict is not None
    assert outcome.calibration["calibration"] == {assumption_id: value}
    assert outcome.calibration["not_reproducible"] == []
    strict = outcome.strict.stdout + outcome.strict.stderr
    assert outcome.strict.returncode == 0, strict[-4000:]
    assert " 0 contradicted" in strict
