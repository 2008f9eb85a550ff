"""Calibration: from a conformance report of the real API back to what the mock does.

A conformance report (schemas/conformance-report.schema.json, written by the contract suite)
says, for each assumption of the ledger, whether the measured API confirmed or contradicted
it, and what it observed. calibrate() turns each contradiction whose observation is a value
the mock can take (its ledger entry's domain) into an overlay {id: value}; every other
contradiction is listed as not reproducible, never dropped. Settings(calibration=...) and
`smspartner-mock serve --calibration FILE` then answer as the measured API on those points.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mock_server.contract import spec
from mock_server.errors import SpecError

REPORT = "conformance-report"
CALIBRATION = "calibration"


@dataclass(frozen=True)
class Calibration:
    """The values measured for some assumptions, and the observations the mock cannot take."""

    values: Mapping[str, Any]
    not_reproducible: tuple[Mapping[str, str], ...] = ()
    report: Mapping[str, str] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The calibration file's content (schemas/calibration.schema.json)."""
        return {
            "calibration": dict(self.values),
            "not_reproducible": [dict(row) for row in self.not_reproducible],
            "report": dict(self.report),
        }


def _read(path: Path, schema_name: str) -> Any:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"Cannot read {path}: {exc}") from exc
    problem = spec.first_error(schema_name, data)
    if problem:
        raise SpecError(f"{path} breaks {schema_name}.schema.json at {problem[0]}: {problem[1]}")
    return data


def calibrate(report: Mapping[str, Any]) -> Calibration:
    """The calibration a conformance report measures (see the module docstring)."""
    values: dict[str, Any] = {}
    refused: list[dict[str, str]] = []
    for finding in report["assumptions"]:
        if finding["verdict"] != "contradicted":
            continue
        if "observed_value" not in finding:
            reason = "the observation is not a value of the ledger entry's form"
        else:
            reason = spec.value_problem(finding["id"], finding["observed_value"]) or ""
        if reason:
            refused.append({"id": finding["id"], "observed": finding["observed"], "reason": reason})
        else:
            values[finding["id"]] = finding["observed_value"]
    source = {key: report[key] for key in ("target", "generated")}
    return Calibration(values, tuple(refused), source)


def calibrate_file(report_path: Path) -> Calibration:
    """calibrate() of a report file; SpecError when it cannot be read or breaks its schema."""
    return calibrate(_read(report_path, REPORT))


def load(path: Path) -> dict[str, Any]:
    """The {id: value} overlay of a calibration file; SpecError when it cannot be read,
    breaks its schema, or holds a value the mock cannot take."""
    values: dict[str, Any] = _read(path, CALIBRATION)["calibration"]
    for assumption_id, value in values.items():
        spec.check_value(assumption_id, value)
    return values
