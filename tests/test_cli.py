"""The command line, in-process and as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mock_server import cli, runner
from mock_server.settings import Settings

QUERY = "message-status?apiKey=YOUR_API_KEY&messageId=1111&phoneNumber=0600000000"


def test_help_explains_the_serve_command(capsys: pytest.CaptureFixture[str]) -> None:
    """--help names every option and shows an example."""
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--fixtures", "--api-key", "--lang", "--date-format"):
        assert option in out
    assert "curl 'http://127.0.0.1:8080/v1/message-status?apiKey=YOUR_API_KEY" in out


def test_options_become_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every option reaches the Settings the server starts with."""
    seen: list[Settings] = []

    async def fake_serve(settings: Settings, announce: Any) -> None:
        seen.append(settings)
        announce("started")

    monkeypatch.setattr(cli, "serve_forever", fake_serve)
    argv = ["serve", "--host", "::1", "--port", "9", "--fixtures", str(tmp_path)]
    argv += ["--api-key", "a", "--api-key", "b", "--lang", "en", "--date-format", "epoch"]
    argv += ["--error-status", "4xx", "--quiet"]
    assert cli.main(argv) == 0
    assert seen == [
        Settings(
            host="::1",
            port=9,
            fixtures=tmp_path,
            api_keys=("a", "b"),
            lang="en",
            date_format="epoch",
            error_status="4xx",
            access_log=False,
        )
    ]


def test_bad_fixtures_exit_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid fixture directory stops the server with a message naming the file."""
    assert cli.main(["serve", "--port", "0", "--fixtures", str(tmp_path)]) == 2
    assert "messages.json, record -, at $: file not found" in capsys.readouterr().err


def test_busy_port_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A port already in use is reported, not raised."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["serve", "--port", str(port), "--quiet"]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_serve_forever_stops_on_sigterm() -> None:
    """serve_forever announces its URL, serves, and returns on SIGTERM."""
    lines: list[str] = []

    def announce(line: str) -> None:
        lines.append(line)
        if len(lines) == 1:
            url = line.split()[4]
            loop = asyncio.get_running_loop()
            loop.run_in_executor(None, _fetch_then_term, url.replace("message-status", QUERY))

    asyncio.run(runner.serve_forever(Settings(port=0, access_log=False), announce))
    assert lines[0].startswith("SMS Partner mock serving http://127.0.0.1:")
    assert lines[-1] == "Shutting down"


def _fetch_then_term(url: str) -> None:
    with urllib.request.urlopen(url) as response:
        assert json.load(response)["code"] == 200
    os.kill(os.getpid(), signal.SIGTERM)


def test_real_process_serves_logs_redacted_and_exits_0_on_sigterm() -> None:
    """`python -m mock_server serve --port 0` prints its URL, serves, logs, exits 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(cli.__file__).parent.parent,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[4]
        secret_url = url.replace("message-status", QUERY.replace("YOUR_API_KEY", "SeCrEt"))
        with urllib.request.urlopen(secret_url) as response:
            assert json.load(response) == {
                "success": False,
                "code": 10,
                "message": "Clé API incorrecte",
            }
        with urllib.request.urlopen(
            url.replace("message-status", QUERY + "&_format=xml")
        ) as response:
            assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "SeCrEt" not in err and "apiKey=***" in err
    assert err.count('"GET /v1/message-status') == 2
