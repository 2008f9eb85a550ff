"""The command line, in-process and as a real process."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mock_server import cli
from mock_server._http import runner
from mock_server.contract import spec
from mock_server.settings import Settings

from .processes import mock_process

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


@pytest.mark.parametrize("admin", [True, False], ids=["admin", "no admin"])
def test_serve_forever_stops_on_sigterm(admin: bool) -> None:
    """serve_forever announces its URL (and the admin API's), serves, returns on SIGTERM."""
    lines: list[str] = []

    def announce(line: str) -> None:
        lines.append(line)
        if len(lines) == 1:
            url = line.split()[4]
            loop = asyncio.get_running_loop()
            loop.run_in_executor(None, _fetch_then_term, url.replace("message-status", QUERY))

    settings = Settings(port=0, access_log=False, admin=admin)
    asyncio.run(runner.serve_forever(settings, announce))
    assert lines[0].startswith("SMS Partner mock serving http://127.0.0.1:")
    assert lines[1].startswith("Admin API: http://127.0.0.1:") is admin
    assert lines[-1] == "Shutting down"


def _fetch_then_term(url: str) -> None:
    with urllib.request.urlopen(url) as response:
        assert json.load(response)["code"] == 200
    os.kill(os.getpid(), signal.SIGTERM)


def test_real_process_serves_logs_redacted_and_exits_0_on_sigterm() -> None:
    """`python -m mock_server serve --port 0` prints its URL, serves, logs, exits 0."""
    with mock_process(stderr=subprocess.PIPE) as (process, url):
        try:
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


def test_public_host_gets_a_generated_admin_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a non-loopback host without --admin-token, a token is generated and printed."""
    seen: list[Settings] = []

    async def fake_serve(settings: Settings, announce: Any) -> None:
        seen.append(settings)

    monkeypatch.setattr(cli, "serve_forever", fake_serve)
    assert cli.main(["serve", "--host", "192.0.2.1", "--delivery-delay", "2"]) == 0
    token = seen[0].admin_token
    assert token and f"Admin API token (send 'Authorization: Bearer TOKEN'): {token}" in (
        capsys.readouterr().out
    )
    assert seen[0].delivery_delay == 2
    assert cli.main(["serve", "--host", "192.0.2.1", "--no-admin"]) == 0
    assert (seen[1].admin, seen[1].admin_token) == (False, None)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--journal-size", "0"], "Invalid journal_size: 0; expected 1 or more"),
        (["--port", "70000"], "Invalid port: 70000; expected 0 to 65535"),
        (["--port", "-1"], "Invalid port: -1; expected 0 to 65535"),
        (["--host", ""], "Invalid host"),
        (["--api-key", ""], "Invalid api_keys"),
        (["--admin-token", "x", "--no-admin"], "the admin API is off"),
        (["--max-messages", "0"], "Invalid max_messages"),
    ],
)
def test_invalid_option_values_exit_2(
    capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    """A value that cannot work is reported with what to give instead, not raised; no
    token is printed for a server that will not start."""
    assert cli.main(["serve", *flags]) == 2
    out, err = capsys.readouterr()
    assert message in err and "Traceback" not in err and "Admin API token" not in out


def _open(url: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    """One GET with urllib, as a client would; HTTP errors are answers too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def test_real_process_shows_each_fault_to_a_real_client() -> None:
    """Against `smspartner-mock serve`, every fault kind reaches urllib, and SIGTERM
    ends the process quickly even while a request is held."""
    from mock_server.testing.admin_client import AdminClient

    with mock_process("--quiet") as (process, url):
        try:
            status_url = url.replace("message-status", QUERY)
            client = AdminClient(url.rsplit("/", 1)[0])
            sent = client.send("0600000002", "Hello")
            client.advance(3600)
            magic = spec.load_fixtures().magic_numbers
            (row,) = [r for r in magic["numbers"] if r["number"] == "0600000002"]
            assert client.status(sent["message_id"], "0600000002")["statut"] == row["final_status"]

            client.add_fault("http-error", status=502, times=1)
            assert _open(status_url)[0] == 502
            client.add_fault("rate-limit", retry_after=9, times=1)
            assert _open(status_url)[1]["Retry-After"] == "9"
            client.add_fault("malformed-json", times=1)
            with pytest.raises(ValueError):  # noqa: PT011 - json's own error, whatever its text
                json.loads(_open(status_url)[2])
            client.add_fault("truncated", times=1)
            with pytest.raises(http.client.IncompleteRead):
                _open(status_url)
            client.add_fault("reset", times=1)
            with pytest.raises(ConnectionResetError):
                _open(status_url)
            client.add_fault("no-answer", seconds=60, times=1)
            with pytest.raises((TimeoutError, urllib.error.URLError)):
                _open(status_url, timeout=0.3)
            client.add_fault("latency", seconds=0.2, times=1)
            start = time.monotonic()
            assert _open(status_url)[0] == 200
            assert time.monotonic() - start >= 0.2

            client.add_fault("no-answer", seconds=60, times=1)
            held = threading.Thread(target=lambda: _hold(status_url))
            held.start()
            time.sleep(0.3)
        finally:
            start = time.monotonic()
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=10)
    held.join()
    assert time.monotonic() - start < 3
    assert process.returncode == 0


def _hold(url: str) -> None:
    with contextlib.suppress(OSError, http.client.HTTPException):
        _open(url, timeout=30)
