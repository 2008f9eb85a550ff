"""The contract suite can fail: each defective variant of the mock is caught and explained.

Each variant runs in this process; the contract suite runs against it in a subprocess, as a
user would run it against another server, with a secret API key that must never show.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mock_server import ServerThread, Settings

from .defects import DEFECTS, Defect, middleware

ROOT = Path(__file__).resolve().parent.parent
SECRET = "SeCrEt-KeY-42"


def run_suite(server: ServerThread, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run the contract suite against server, as a separate pytest process."""
    env = {
        **os.environ,
        "SMSPARTNER_MESSAGE_ID": "1111",
        "SMSPARTNER_PHONE_NUMBER": "0600000000",
        "HYPOTHESIS_PROFILE": "dev",
    }
    command = [sys.executable, "-m", "pytest", "contract_tests", "-q", "-x"]
    command += ["-p", "no:cacheprovider", "--base-url", server.base_url, "--api-key", SECRET]
    return subprocess.run(
        [*command, *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def secret_server(defect: Defect | None = None) -> ServerThread:
    server = ServerThread(Settings(api_keys=(SECRET,), access_log=False))
    if defect is not None:
        server.app.middlewares.append(middleware(defect))
    return server


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: d.name)
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
    assert '"confirmed": 12' in files[1].read_text()
