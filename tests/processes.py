"""Real processes for the tests that need one: `python -m mock_server serve --port 0`, and the
contract suite run against a URL as a user runs it against another server."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def mock_process(
    *flags: str, stderr: int | IO[Any] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The running process and the URL it announced ('http://127.0.0.1:PORT/v1/message-status').

    The test may stop it (SIGTERM) and read its output; whatever still runs at the end is
    killed.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        yield process, process.stdout.readline().split()[4]
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def contract_suite(
    base_url: str, api_key: str, profile: str, *extra: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`pytest contract_tests --base-url base_url --api-key api_key` in a subprocess, with the
    known message 1111/0600000000 and the Hypothesis profile given.

    Fast to start: bytecode is cached even where the environment turns it off (each run
    would otherwise compile every module again, most of its start-up), and Schemathesis's
    pytest plugin, which the suite does not use, is not loaded.
    """
    env = {
        **os.environ,
        "SMSPARTNER_MESSAGE_ID": "1111",
        "SMSPARTNER_PHONE_NUMBER": "0600000000",
        "HYPOTHESIS_PROFILE": profile,
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "pytest", "contract_tests", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "no:schemathesis", "--base-url", base_url, "--api-key", api_key]
    return subprocess.run(
        [*command, *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
