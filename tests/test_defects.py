"""The contract suite can fail: each defective variant of the mock is caught and explained.

Each variant runs in this process; the contract suite runs against it in a subprocess, as a
user would run it against another server, with a secret API key that must never show.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from contract_tests import conformance
from mock_server import ServerThread, Settings

from .defects import DEFECTS, Defect, middleware
from .processes import contract_suite

SECRET = "SeCrEt-KeY-42"


def run_suite(server: ServerThread, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run the contract suite against server, as a separate pytest process."""
    return contract_suite(server.base_url, SECRET, "find", "-x", *extra)


def secret_server(defect: Defect | None = None) -> ServerThread:
    server = ServerThread(Settings(api_keys=(SECRET,), access_log=False))
    if defect is not None:
        server.app.middlewares.append(middleware(defect))
    return server


DOCUMENTED = [d for d in DEFECTS if d.rests_on is None]
ASSUMED = [d for d in DEFECTS if d.rests_on is not None]


@pytest.mark.parametrize("defect", DOCUMENTED, ids=lambda d: d.name)
def test_defect_is_caught(defect: Defect) -> None:
    """The suite fails on the defect, says Received/Expected, and never shows the key."""
    with secret_server(defect) as server:
        result = run_suite(server)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert re.search(defect.caught_as, output), output[-3000:]
    assert "Received: " in output and "Expected: " in output
    assert SECRET not in output


def test_correct_mock_passes_and_reports_never_show_the_key(tmp_path: Path) -> None:
    """Against a correct server the suite passes; JUnit XML and reports hold no key."""
    with secret_server() as server:
        result = run_suite(
            server,
            "--junitxml",
            str(tmp_path / "junit.xml"),
            "--conformance-report",
            str(tmp_path / "conformance"),
            "-rA",
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    files = [tmp_path / "junit.xml", tmp_path / "conformance.json", tmp_path / "conformance.md"]
    for path in files:
        assert SECRET not in path.read_text()
    assert SECRET not in output
    report = json.loads(files[1].read_text())
    assert report["summary"]["contradicted"] == 0
    # without --allow-sandbox-sends or --live-lookup: every read-only probe confirms, but the
    # sub-accounts' paging (the mock starts with none); the rest is not probed, with reasons
    read = {i for i, (_, needs) in conformance.PROBES.items() if needs == conformance.READ}
    confirmed = read - {"subaccount-list-page"}
    verdicts = {f["id"]: f["verdict"] for f in report["assumptions"]}
    assert {i for i, v in verdicts.items() if v == "confirmed"} == confirmed
    allowed = {*conformance.NOT_PROBED.values(), conformance.SANDBOX_REASON}
    allowed.add(conformance.LOOKUP_REASON)  # without --live-lookup
    allowed.add("the account has no sub-account: every page is empty")
    reasons = {f["observed"] for f in report["assumptions"] if f["verdict"] == "not probed"}
    assert reasons <= allowed, reasons - allowed
    summary = f"{len(confirmed)} confirmed, 0 contradicted, {len(verdicts) - len(confirmed)}"
    assert f"conformance: {summary} not probed" in output
    junit = files[0].read_text()
    assert 'name="conformance.phone-formats" value="confirmed: ' in junit


@pytest.mark.parametrize("defect", ASSUMED, ids=lambda d: d.name)
def test_departure_from_an_assumption_is_reported_and_fails_strict(
    defect: Defect, tmp_path: Path
) -> None:
    """A defect on a point the docs leave open is reported as its assumption contradicted,
    with the run passing; --strict-assumptions makes it fail, Received/Expected shown."""
    with secret_server(defect) as server:
        lenient = run_suite(server, "--conformance-report", str(tmp_path / "report"))
        strict = run_suite(server, f"--strict-assumptions={defect.rests_on}")
    assert lenient.returncode == 0, (lenient.stdout + lenient.stderr)[-3000:]
    findings = json.loads((tmp_path / "report.json").read_text())["assumptions"]
    assert [f["id"] for f in findings if f["verdict"] == "contradicted"] == [defect.rests_on]
    output = strict.stdout + strict.stderr
    assert strict.returncode == 1, output[-3000:]
    assert re.search(defect.caught_as, output), output[-3000:]
    assert "Received: " in output and "Expected: " in output
    assert SECRET not in output + lenient.stdout
