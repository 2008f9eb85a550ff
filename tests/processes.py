"""`python -m mock_server serve --port 0` as a real process, for the tests that need one."""

from __future__ import annotations

import contextlib
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
