"""The assumption ledger probed against the target; reported with --conformance-report."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mock_server.contract import spec

from .conformance import probe_all
from .receivers import Receiver
from .target import Target
from .verdicts import Verdicts


def test_assumptions_are_probed(
    target: Target,
    verdicts: Verdicts,
    receipts: tuple[Receiver, str] | None,
    pytestconfig: pytest.Config,
    record_testsuite_property: Callable[[str, object], None],
) -> None:
    """Every assumption is probed or says why not; a departure is reported, not failed.

    It fails on a documented-contract violation or a transport failure met while probing,
    and on a contradicted assumption held strict (--strict-assumptions; every one against
    the bundled mock, which embodies the ledger or its calibration).
    """
    probe_all(
        target,
        verdicts,
        sandbox_sends=target.kind == "mock" or pytestconfig.getoption("--allow-sandbox-sends"),
        wait=pytestconfig.getoption("--sandbox-wait"),
        receiver=receipts[0] if receipts else None,
        receiver_url=receipts[1] if receipts else None,
    )
    findings = verdicts.all()
    assert [f.id for f in findings] == list(spec.assumptions())
    for finding in findings:
        shown = finding.observed if finding.verdict != "confirmed" else finding.expected
        record_testsuite_property(
            f"conformance.{finding.id}", target.transport.redact(f"{finding.verdict}: {shown}")
        )
    assert not verdicts.errors, "\n".join(verdicts.errors)
    strict = [
        f"{f.id}: observed {f.observed} (expected {f.expected})"
        for f in findings
        if f.verdict == "contradicted" and verdicts.is_strict([f.id])
    ]
    assert not strict, "Contradicted assumptions held strict:\n" + "\n".join(strict)
