"""The session's verdicts on the assumption ledger: what the probes found, what the checks saw
depart, which assumptions are held strict, and the one-line summary.

A documented fact fails the run; an assumption never does by default. Its outcome goes to
the conformance report and the terminal summary, unless the user held it strict with
--strict-assumptions (all) or --strict-assumptions=ID,ID, or the target is the bundled mock,
which must embody the ledger (or the calibration it was given).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mock_server.contract import spec

if TYPE_CHECKING:
    from .checks import Departure

VERDICTS = ("confirmed", "contradicted", "not probed")
MISSING: Any = object()  # no observed value: the observation is not of the ledger's form


@dataclass
class Evidence:
    """One request a probe sent and what came back (API key redacted)."""

    request: str
    status: int
    code: Any
    excerpt: str


@dataclass
class Finding:
    """What the run found about one assumption."""

    id: str
    question: str
    verdict: str
    expected: str
    observed: str
    expected_value: Any = MISSING
    observed_value: Any = MISSING
    evidence: list[Evidence] = field(default_factory=list)
    departures: tuple[int, str] | None = None

    def document(self) -> dict[str, Any]:
        """The finding as the report's JSON (schemas/conformance-report.schema.json)."""
        out: dict[str, Any] = {
            "id": self.id,
            "question": self.question,
            "verdict": self.verdict,
            "expected": self.expected,
            "observed": self.observed,
        }
        if self.expected_value is not MISSING:
            out["expected_value"] = self.expected_value
        if self.observed_value is not MISSING:
            out["observed_value"] = self.observed_value
        if self.evidence:
            out["evidence"] = [vars(item) for item in self.evidence]
        if self.departures:
            out["departures"] = {"count": self.departures[0], "first": self.departures[1]}
        return out


class Verdicts:
    """The verdicts of one session.

    strict: the ids held strict, or None for every assumption.
    """

    def __init__(self, strict: frozenset[str] | None = frozenset()) -> None:
        self.strict = strict
        self.findings: dict[str, Finding] = {}
        # by the assumptions each departure rests on: (how many, the first one)
        self.departures: dict[tuple[str, ...], tuple[int, str]] = {}
        self.errors: list[str] = []
        self.probed = False

    def is_strict(self, ids: Iterable[str]) -> bool:
        return any(self.strict is None or name in self.strict for name in ids)

    def settle(self, departure: Departure) -> None:
        """Record a departure; raise it when one of its assumptions is held strict."""
        count, first = self.departures.get(departure.assumptions, (0, str(departure)))
        self.departures[departure.assumptions] = (count + 1, first)
        if self.is_strict(departure.assumptions):
            raise departure

    def record(self, finding: Finding) -> None:
        self.findings[finding.id] = finding

    def all(self) -> list[Finding]:
        """Every assumption of the ledger, in its order, with what the run found.

        A departure rests on one or more assumptions. When a probe contradicted some of them,
        they explain it; otherwise each of them is contradicted, with the first departure as
        the observation (the run saw what the ledger does not predict).
        """
        contradicted = {i for i, f in self.findings.items() if f.verdict == "contradicted"}
        seen: dict[str, tuple[int, str]] = {}
        for ids, (count, first) in self.departures.items():
            for name in [i for i in ids if i in contradicted] or ids:
                before = seen.get(name, (0, first))
                seen[name] = (before[0] + count, before[1])
        out = []
        for entry in spec.assumptions().values():
            finding = self.findings.get(entry.id) or Finding(
                entry.id,
                entry.question,
                "not probed",
                entry.decision,
                "the probes did not run (test_assumptions_are_probed was not selected)",
            )
            if entry.id in seen:
                finding.departures = seen[entry.id]
                if finding.verdict != "contradicted":
                    finding.verdict = "contradicted"
                    finding.observed = _received(seen[entry.id][1])
                    finding.observed_value = MISSING
            out.append(finding)
        return out

    def summary(self) -> dict[str, int]:
        findings = self.all()
        return {verdict: sum(f.verdict == verdict for f in findings) for verdict in VERDICTS}

    def line(self) -> str:
        """'conformance: 12 confirmed, 2 contradicted, 5 not probed'."""
        return "conformance: " + ", ".join(f"{n} {v}" for v, n in self.summary().items())


def _received(text: str) -> str:
    lines = text.splitlines()
    found = [line.strip() for line in lines if line.strip().startswith("Received:")]
    where = [line.strip() for line in lines if line.strip().startswith("Request:")]
    return "; ".join([*found, *where]) or lines[0]
