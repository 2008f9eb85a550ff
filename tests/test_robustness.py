"""The real server process under hostile bytes, sustained load and SIGTERM.

Every test here starts `python -m mock_server serve --port 0 --quiet` as a subprocess and
talks to it over loopback only: raw-socket fuzzing driven by Hypothesis, a bounded soak
(SOAK_SECONDS, default 12; `make soak` runs 60) and a shutdown under load.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mock_server.contract import spec

from .processes import mock_process

QUERY = "apiKey=YOUR_API_KEY&messageId=1111&phoneNumber=0600000000"
# the documented example (the first fixture), as the mock answers it
DOCUMENTED = {**spec.constants(spec.OK), **spec.load_fixtures().messages[0]}
# About 3 ms an example; the thorough CI profile sends four times as many.
FUZZ_EXAMPLES = int(
    os.environ.get("FUZZ_EXAMPLES", 2000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 500)
)
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "12"))
SOAK_CONNECTIONS = 200
# A request that gets no complete answer and no close within this long is a hang.
HANG_SECONDS = 5.0
PATIENCE_SECONDS = 0.5
BUSY = 50  # connections sending when SIGTERM comes


@dataclass
class Served:
    """A mock running as its own process, and where it listens."""

    process: subprocess.Popen[str]
    host: str
    port: int
    stderr: Path

    def rss_kb(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]

    def stop(self, timeout: float = 10) -> tuple[int, str]:
        """SIGTERM, then the exit code and everything it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=timeout)
        return self.process.returncode, out


@contextlib.contextmanager
def serving(tmp_path: Path) -> Iterator[Served]:
    stderr = tmp_path / "stderr.log"
    # a file, not a pipe nobody reads: a full pipe would stall the server
    with stderr.open("w") as sink, mock_process("--quiet", stderr=sink) as (process, url):
        host, port = re.match(r"http://([^:/]+):(\d+)/", url).groups()  # type: ignore[union-attr]
        yield Served(process, host, int(port), stderr)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for every fuzz example: state that leaks between requests would show."""
    with serving(tmp_path_factory.mktemp("fuzz")) as served:
        yield served
        code, _ = served.stop()
        assert code == 0
        # a failure in the mock's code would show in a 500 too; this also catches one the
        # client saw only as a close. Tracebacks inside aiohttp alone are not asserted: about
        # one fuzz run in three ends one connection in an AttributeError in aiohttp 3.14's
        # request handler task (url None), which the client sees as a close.
        assert not re.search(r'File "[^"]*mock_server/', served.stderr.read_text())


def documented_answer(served: Served) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(served.host, served.port, timeout=HANG_SECONDS)
    try:
        connection.request("GET", f"/v1/message-status?{QUERY}")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# raw requests


def _line(data: bytes) -> bytes:
    # CR and LF are kept out of the parts so that every generated request is complete: a
    # server that waits for the rest of an unfinished request is right to wait.
    return data.replace(b"\r", b"").replace(b"\n", b"")


junk = st.binary(max_size=40).map(_line)
# fmt: off
methods = st.sampled_from([
    b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"PATCH", b"CONNECT",
    b"PRI", b"get", b"BREW", b"M-SEARCH", b"G\x00ET", b"GET GET", b"",
]) | junk
names = st.sampled_from(["apiKey", "messageId", "phoneNumber", "_format", "apikey", ""])
values = st.sampled_from([
    "YOUR_API_KEY", "1111", "0600000000", "%2B33600000000", "+33600000000", "xml", "XML",
    "%zz", "%", "%e9", "%C3%28", "%FF%FE", "%00", "%ED%A0%80", "caf%C3%A9", "]]>", "&&",
])
paths = st.sampled_from([
    b"/v1/message-status", b"/v1/message-status/", b"/v1/MESSAGE-STATUS", b"/", b"*",
    b"//v1/message-status", b"/v1/%6Dessage-status", b"/v1/message-status%00", b"/%zz",
    b"http://127.0.0.1/v1/message-status", b"/v1/../v1/message-status", b"/\xff\xfe",
])
versions = st.sampled_from([
    b"HTTP/1.1", b"HTTP/1.0", b"HTTP/0.9", b"HTTP/2.0", b"HTTP/1.2", b"http/1.1", b"HTTP/11",
    b"HTTP/", b"HTTP/1.1 x", b"",
]) | junk
header_names = st.sampled_from([
    b"Host", b"Accept", b"Cookie", b"Connection", b"Upgrade", b"Expect", b"Range", b"X",
    b"X-Forwarded-For", b"Accept-Encoding", b"If-None-Match", b" Folded", b"",
]) | junk.filter(lambda name: name.strip().lower() not in (b"content-length", b"transfer-encoding"))
# fmt: on
raw_values = st.binary(max_size=12).map(_line).map(lambda b: b.replace(b" ", b"%20"))
params = st.lists(st.tuples(names.map(str.encode), values.map(str.encode) | raw_values), max_size=8)
repeats = st.sampled_from([1, 2, 100, 1000])
queries = st.builds(
    lambda pairs, times: b"&".join(k + b"=" + v for k, v in pairs) * times, params, repeats
)
targets = st.builds(lambda path, query: path + b"?" + query, paths, queries) | paths | junk
header_values = (
    st.sampled_from([b"close", b"keep-alive", b"upgrade", b"h2c", b"100-continue", b"*/*"])
    | junk
    | st.sampled_from([100, 8189, 8190, 8191, 20_000]).map(lambda n: b"v" * n)
)
headers = st.lists(st.tuples(header_names, header_values, repeats), max_size=6)
broken_lines = st.sampled_from([b"", b" ", b"GET", b"GET /", b"\x16\x03\x01\x02\x00"])


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """Raw, complete HTTP/1.x request heads, well- or ill-formed."""
    line = b" ".join([draw(methods), draw(targets), draw(versions)])
    if draw(st.integers(0, 9)) == 0:
        line = draw(broken_lines)  # including a TLS hello's first bytes
    head = [line]
    for name, value, times in draw(headers):
        # a huge value once, a short one up to 1000 times: bounded, a few hundred kB at most
        head += [name + b": " + value] * (times if len(value) < 200 else 1)
    if head == [b""]:
        # empty lines alone are no request: a server skips them (RFC 9112, 2.2) and waits
        head = [b" "]
    return b"\r\n".join([*head, b"", b""])


STATUS_LINE = re.compile(rb"HTTP/\d\.\d (\d{3})(?: .*)?\r\n")


def exchange(served: Served, raw: bytes) -> int | None:
    """The final status the server answers raw with, or None if it closed without one.

    A server may rightly wait for more of a request it reads as unfinished (after 'PRI', the
    HTTP/2 preface has a second part), so after PATIENCE_SECONDS without an answer the
    client closes its side; from then on the server must answer or close within
    HANG_SECONDS, else this raises TimeoutError: a hang.
    """
    with socket.create_connection((served.host, served.port), timeout=HANG_SECONDS) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            # the server may answer 400 and close before it has read everything we send
            sock.sendall(raw)
        readable, _, _ = select.select([sock], [], [], PATIENCE_SECONDS)
        if not readable:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)
        with sock.makefile("rb") as stream:
            while True:
                try:
                    line = stream.readline(1000)
                except ConnectionResetError:
                    return None
                if not line:
                    return None
                match = STATUS_LINE.fullmatch(line)
                assert match, f"Received status line: {line!r}\nRequest: {raw[:300]!r}"
                status = int(match.group(1))
                if status >= 200:
                    return status
                while stream.readline(1000) not in (b"\r\n", b""):
                    pass  # the headers of an interim answer (100 Continue)


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(raw=requests())
@example(raw=b"GET /v1/message-status?" + b"a=1&" * 5000 + b" HTTP/1.1\r\n\r\n")
@example(raw=b"GET /v1/message-status?apiKey=%zz&messageId=%C3%28 HTTP/1.1\r\n\r\n")
@example(raw=b"GET /v1/message-status?messageId=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")
@example(raw=b"GET / HTTP/1.1\r\n" + b"X-Dup: 1\r\n" * 10_000 + b"\r\n")
@example(raw=b"GET / HTTP/1.1\r\nX: " + b"v" * 100_000 + b"\r\n\r\n")
@example(raw=b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
@example(raw=b"POST /v1/message-status HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
@example(raw=b"\r\n\r\nGET /v1/message-status HTTP/1.1\r\n\r\n")
@example(raw=b"PRI /v1/message-status HTTP/1.1\r\n\r\n")
def test_raw_requests_never_get_a_5xx_or_hang(fuzzed: Served, raw: bytes) -> None:
    """Any request head gets a status below 500 or a closed connection, and never hangs."""
    status = exchange(fuzzed, raw)
    assert status is None or status < 500, f"Received: {status}\nRequest: {raw[:300]!r}"


def test_server_answers_normally_after_the_fuzzing(fuzzed: Served) -> None:
    """After every fuzz example the same process still serves the documented body."""
    assert fuzzed.process.poll() is None
    status, body = documented_answer(fuzzed)
    assert status == 200
    assert json.loads(body) == DOCUMENTED


# ---------------------------------------------------------------------------------------------
# load


@dataclass
class Tally:
    """What a load run saw: answers, failures by kind, and the server's RSS over time."""

    answers: int = 0
    failures: list[str] = field(default_factory=list)
    rss_kb: list[tuple[float, int]] = field(default_factory=list)


def expected_bodies(served: Served) -> dict[str, bytes]:
    """The exact bytes each soak query answers with, fetched once before the load."""
    bodies = {}
    for query in (QUERY, QUERY + "&_format=xml", QUERY.replace("1111", "4040")):
        connection = http.client.HTTPConnection(served.host, served.port, timeout=HANG_SECONDS)
        connection.request("GET", f"/v1/message-status?{query}")
        bodies[query] = connection.getresponse().read()
        connection.close()
    return bodies


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    return status, await reader.readexactly(length)


async def _client(
    served: Served, bodies: dict[str, bytes], until: float, tally: Tally, worker: int
) -> None:
    """One keep-alive connection sending requests back to back; every fourth is a new query,
    so the answer cache is kept full and evicting."""
    reader, writer = await asyncio.open_connection(served.host, served.port)
    queries = list(bodies)
    sent = 0
    try:
        while time.monotonic() < until:
            sent += 1
            query = queries[sent % len(queries)]
            expected = bodies[query]
            if sent % 4 == 0:
                query, expected = f"{QUERY}&n={worker}-{sent}", bodies[QUERY]
            writer.write(f"GET /v1/message-status?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status, body = await asyncio.wait_for(_read_answer(reader), HANG_SECONDS)
            if status != 200 or body != expected:
                tally.failures.append(f"{query}: {status} {body[:80]!r}")
            tally.answers += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as exc:
        tally.failures.append(f"worker {worker}: {exc!r}")
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _sample_rss(served: Served, until: float, tally: Tally) -> None:
    start = time.monotonic()
    while time.monotonic() < until:
        tally.rss_kb.append((time.monotonic() - start, served.rss_kb()))
        await asyncio.sleep(0.25)


async def _soak(served: Served, bodies: dict[str, bytes], seconds: float) -> Tally:
    tally = Tally()
    until = time.monotonic() + seconds
    clients = [_client(served, bodies, until, tally, n) for n in range(SOAK_CONNECTIONS)]
    await asyncio.gather(_sample_rss(served, until, tally), *clients)
    return tally


@pytest.mark.soak
def test_soak_at_200_connections_has_no_errors_and_flat_memory(tmp_path: Path) -> None:
    """200 keep-alive connections for SOAK_SECONDS: every answer exact, RSS flat after half."""
    with serving(tmp_path) as served:
        tally = asyncio.run(_soak(served, expected_bodies(served), SOAK_SECONDS))
        code, _ = served.stop()
    assert tally.failures == [], f"{len(tally.failures)} failures, first: {tally.failures[:5]}"
    assert tally.answers > 1000 * SOAK_SECONDS / 12  # the load really ran
    halfway = next(rss for at, rss in tally.rss_kb if at >= SOAK_SECONDS / 2)
    peak = max(rss for at, rss in tally.rss_kb if at >= SOAK_SECONDS / 2)
    # at the ~15k requests/s a 2-core machine sees, 100 bytes leaked a request is 10 MB here
    assert peak - halfway < 2048, f"RSS grew from {halfway} kB to {peak} kB in the second half"
    assert peak < 60_000
    assert code == 0


# ---------------------------------------------------------------------------------------------
# shutdown


@dataclass
class Outcomes:
    """Requests by fate: answered completely, refused or closed unanswered, cut mid-answer."""

    complete: int = 0
    unanswered: int = 0
    cut: list[str] = field(default_factory=list)


async def _until_refused(served: Served, outcomes: Outcomes, worker: int) -> None:
    """Send requests back to back, reconnecting when closed, until the port is closed."""
    request = f"GET /v1/message-status?{QUERY} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    while True:
        try:
            reader, writer = await asyncio.open_connection(served.host, served.port)
        except OSError:
            return
        try:
            while True:
                writer.write(request)
                try:
                    status, body = await asyncio.wait_for(_read_answer(reader), HANG_SECONDS)
                except asyncio.IncompleteReadError as exc:
                    if exc.partial:
                        outcomes.cut.append(f"worker {worker}: {exc.partial[:80]!r}")
                    else:
                        outcomes.unanswered += 1
                    break
                except (ConnectionResetError, BrokenPipeError):
                    outcomes.unanswered += 1
                    break
                if status != 200 or json.loads(body) != DOCUMENTED:
                    outcomes.cut.append(f"worker {worker}: {status} {body[:80]!r}")
                outcomes.complete += 1
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _terminate_under_load(served: Served) -> tuple[Outcomes, int, float]:
    outcomes = Outcomes()
    workers = [asyncio.ensure_future(_until_refused(served, outcomes, n)) for n in range(BUSY)]
    await asyncio.sleep(1.0)
    answered_before = outcomes.complete
    served.process.send_signal(signal.SIGTERM)
    sent_at = time.monotonic()
    loop = asyncio.get_running_loop()
    code = await loop.run_in_executor(None, served.process.wait, 10)
    exit_seconds = time.monotonic() - sent_at
    await asyncio.wait_for(asyncio.gather(*workers), HANG_SECONDS)
    assert answered_before > 0  # the load was running when the signal came
    return outcomes, code, exit_seconds


def test_sigterm_under_load_finishes_answers_and_exits_0(tmp_path: Path) -> None:
    """SIGTERM under 50 busy connections: every answer begun is complete, exit 0 within 5 s."""
    with serving(tmp_path) as served:
        outcomes, code, exit_seconds = asyncio.run(_terminate_under_load(served))
        _, out = served.stop()
    assert outcomes.cut == [], f"answers cut short: {outcomes.cut[:5]}"
    assert outcomes.complete > 0
    # the listener closes first, so only the request racing the close of its keep-alive
    # connection can go unanswered (a client retries it: RFC 9112, 9.3.1): one a connection
    assert outcomes.unanswered <= BUSY
    assert code == 0
    assert exit_seconds < 5
    assert out.splitlines()[-1] == "Shutting down"


def test_sigterm_completes_slow_requests_in_flight(tmp_path: Path) -> None:
    """Requests held by a 30 s latency fault when SIGTERM comes are still answered in full."""
    from concurrent.futures import ThreadPoolExecutor

    from mock_server.testing.admin_client import AdminClient

    with serving(tmp_path) as served:
        AdminClient(f"http://{served.host}:{served.port}").add_fault("latency", seconds=30)
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = pool.map(lambda _: documented_answer(served), range(8))
            time.sleep(0.5)  # every request is now waiting inside the mock
            started = time.monotonic()
            code, out = served.stop()
            results = list(answers)
    assert code == 0
    assert time.monotonic() - started < 5
    assert [status for status, _ in results] == [200] * 8
    assert all(json.loads(body) == DOCUMENTED for _, body in results)
    assert out.splitlines()[-1] == "Shutting down"
