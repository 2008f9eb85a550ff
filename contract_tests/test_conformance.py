"""The assumption ledger probed against the target; written out with --conformance-report."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.contract import spec

from .conformance import probe_all, write_report
from .target import Target


def test_assumptions_are_probed(target: Target, pytestconfig: pytest.Config) -> None:
    """Every assumption is probed or says why not; probe answers obey the contract."""
    findings = probe_all(target)
    assert [f.id for f in findings] == list(spec.assumptions())
    report = pytestconfig.getoption("--conformance-report")
    if report:
        write_report(Path(report), target, findings, [target.api_key])
    if target.kind == "mock" and target.lang == spec.assumed("message-language"):
        # the bundled mock with default settings embodies the ledger
        assert [f.id for f in findings if f.verdict == "contradicted"] == []
