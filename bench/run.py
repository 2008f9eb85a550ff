"""Benchmark the mock against a bare aiohttp handler (and Prism, when it can run) with wrk.

    make bench                       # or: .venv/bin/python bench/run.py [--duration 10 ...]

Every server is its own process on 127.0.0.1 with a free port. For each one the benchmark
measures the time from process start to the first answer, then for each kind of request
warms up and runs `wrk -t1 -c50 -d<N>s --latency`, right after the same run against the bare
handler (bench/bare.py, alive for the whole benchmark), so that each ratio compares two
measurements a few seconds apart. Peak RSS (VmHWM) is read after at least --min-requests
requests. It prints a Markdown table of absolute figures and ratios, and writes it to
bench/results/latest.md with a chart, bench/results/latest.png.

Only loopback is ever targeted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PRISM_DIR = ROOT / "bench" / ".prism"
OPENAPI = ROOT / "openapi.json"
HOST = "127.0.0.1"  # the only address any load is ever sent to
PY = sys.executable

# Flags every mock run gets. The request journal is on by default (the last 500 requests,
# --journal-size), and the targets are measured with it on, as the issue asks.
MOCK_FLAGS: tuple[str, ...] = ()

# The issue's targets, for the mock with --quiet (the access log is measured too, and shown).
TARGET_RATIO = 0.8
TARGET_P99_MS = 15.0
TARGET_RSS_MB = 60.0
TARGET_FIRST_S = 1.0

BARE = "bare aiohttp"
QUERY = "apiKey=YOUR_API_KEY&messageId=1111&phoneNumber=0600000000"


@dataclass(frozen=True)
class Kind:
    """One kind of request: a label, a path with its query, and an optional wrk Lua script."""

    label: str
    target: str
    lua: str | None = None
    judged: bool = True  # whether the issue's targets apply to it


JSON_OK = Kind("success, JSON", f"/v1/message-status?{QUERY}")
XML_OK = Kind("success, XML", f"/v1/message-status?{QUERY}&_format=xml")
CODE_4 = Kind("error code 4", f"/v1/message-status?{QUERY.replace('1111', '4040')}")
# Every request a new query string: the mock's answer cache never hits, so this row shows the
# cost of deciding, rendering and validating an answer on every request.
DISTINCT = Kind(
    "success, JSON, every query distinct",
    f"/v1/message-status?{QUERY}",
    judged=False,
    lua="""
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, wrk.path .. "&n=" .. n)
end
""",
)
ISSUE_PATHS = (JSON_OK, XML_OK, CODE_4)


@dataclass(frozen=True)
class Server:
    name: str
    argv: tuple[str, ...]  # "{port}" is replaced by the port
    kinds: tuple[Kind, ...]
    has_targets: bool  # whether the issue's targets apply to this server
    log_to_file: bool = False


@dataclass
class Row:
    server: str
    path: str
    rps: float
    bare_rps: float  # the bare handler's throughput, measured just before this row
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    rss_mb: float = 0.0
    served: int = 0
    first_s: float = 0.0
    has_targets: bool = False
    misses: list[str] = field(default_factory=list)
    median_ratio: float = 1.0
    spread: tuple[float, float] = (1.0, 1.0)  # lowest and highest ratio of the rounds

    @property
    def ratio(self) -> float:
        """The median over rounds of (req/s / the bare handler's req/s just before)."""
        return self.median_ratio


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------------
# setup


def ensure_wrk() -> str:
    """The path of wrk, installed from the Debian packages when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if not shutil.which("apt-get"):
        sys.exit("bench: wrk is missing and apt-get is not available; install wrk and retry")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    for step in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        print(f"bench: wrk is missing; running: {' '.join(sudo + step)}", flush=True)
        subprocess.run([*sudo, *step], check=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit("bench: apt-get installed wrk but it is not on PATH")
    return found


def prism_command(openapi: Path) -> tuple[str, ...] | None:
    """Prism's command line, installed from npm into bench/.prism; None (and why) if it can't."""
    if not openapi.is_file():
        print(
            f"bench: Prism skipped: no OpenAPI document at {openapi} "
            "(generate it with `smspartner-mock openapi` once that command exists)"
        )
        return None
    if not (shutil.which("node") and shutil.which("npm")):
        print("bench: Prism skipped: node and npm are needed to run @stoplight/prism-cli")
        return None
    prism = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not prism.exists():
        step = ["npm", "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund"]
        step.append("@stoplight/prism-cli@5")
        print(f"bench: installing Prism: {' '.join(step)}", flush=True)
        PRISM_DIR.mkdir(parents=True, exist_ok=True)
        if subprocess.run(step, check=False).returncode != 0:
            print("bench: Prism skipped: npm install failed")
            return None
    return (str(prism), "mock", "--host", HOST, "--port", "{port}", str(openapi.resolve()))


# ---------------------------------------------------------------------------------------------
# measuring


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> WrkResult:
    """req/s, p50, p99, request count and errors (socket errors + non-2xx) from wrk --latency."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = 0
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return WrkResult(rps, p50, p99, requests, errors)


def run_wrk(wrk: str, url: str, seconds: float, connections: int, lua: str | None) -> WrkResult:
    argv = [wrk, "-t1", f"-c{connections}", f"-d{max(1, math.ceil(seconds))}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua or "")
    try:
        if lua:
            argv += ["-s", script.name]
        done = subprocess.run([*argv, url], capture_output=True, text=True, check=True)
    finally:
        os.unlink(script.name)
    return parse_wrk(done.stdout)


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the process and its descendants (Prism runs under node), in MB (10^6 bytes)."""
    total_kb = 0
    for member in _tree(pid):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{member}/status").read_text()
            total_kb += int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
    return total_kb * 1024 / 1e6


def first_answer(port: int, target: str, started: float, limit: float = 60.0) -> float:
    """Seconds from process start until the server's first complete HTTP answer."""
    while time.perf_counter() - started < limit:
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            connection.request("GET", target)
            connection.getresponse().read()
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.005)
        finally:
            connection.close()
    raise RuntimeError(f"no answer on {HOST}:{port} within {limit:.0f} s")


@contextlib.contextmanager
def running(server: Server, port: int) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """The server's process, and the time it was started (perf_counter)."""
    argv = [arg.replace("{port}", str(port)) for arg in server.argv]
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log if server.log_to_file else subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            yield process, started
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def combine(server: str, label: str, pairs: list[tuple[WrkResult, WrkResult]]) -> Row:
    """One row from rounds of (server run, bare run just before): medians of throughput, of
    the ratio and of p50; the worst p99; every request and error."""
    ratios = [run.rps / bare.rps for run, bare in pairs]
    return Row(
        server,
        label,
        statistics.median(run.rps for run, _ in pairs),
        statistics.median(bare.rps for _, bare in pairs),
        statistics.median(run.p50_ms for run, _ in pairs),
        max(run.p99_ms for run, _ in pairs),
        sum(run.requests for run, _ in pairs),
        sum(run.errors for run, _ in pairs),
        median_ratio=statistics.median(ratios),
        spread=(min(ratios), max(ratios)),
    )


def measure(server: Server, wrk: str, args: argparse.Namespace, bare: Bare) -> list[Row]:
    """One server's rows; each kind's throughput is paired with the bare handler's, measured
    just before it, because a shared 2-core machine drifts by 20% or more within minutes."""
    port = free_port()
    rows: list[Row] = []
    print(f"bench: {server.name}", flush=True)
    with running(server, port) as (process, started):
        first_s = first_answer(port, server.kinds[0].target, started)
        served = 1
        for kind in server.kinds:
            url = f"http://{HOST}:{port}{kind.target}"
            served += run_wrk(wrk, url, args.warmup, args.connections, kind.lua).requests
            pairs = []
            for _ in range(args.rounds):
                paired = bare.measure()
                result = run_wrk(wrk, url, args.duration, args.connections, kind.lua)
                served += result.requests
                pairs.append((result, paired))
            row = combine(server.name, kind.label, pairs)
            row.first_s, row.has_targets = first_s, server.has_targets and kind.judged
            rows.append(row)
            print(
                f"bench:   {kind.label:38} {row.rps:9.0f} req/s ({row.ratio:.2f}x bare)"
                f"  p50 {row.p50_ms:6.2f} ms  p99 {row.p99_ms:6.2f} ms  errors {row.errors}",
                flush=True,
            )
        if served < args.min_requests and rows:
            # peak RSS is judged after at least --min-requests requests: top up on the first kind
            seconds = (args.min_requests - served) / max(rows[0].rps, 1.0) + 1
            url = f"http://{HOST}:{port}{server.kinds[0].target}"
            served += run_wrk(wrk, url, seconds, args.connections, server.kinds[0].lua).requests
        rss = peak_rss_mb(process.pid)
        for row in rows:
            row.rss_mb, row.served = rss, served
    return rows


class Bare:
    """The ceiling: bench/bare.py, running for the whole benchmark, measured on demand."""

    def __init__(self, wrk: str, args: argparse.Namespace, process: subprocess.Popen[bytes],
                 port: int, first_s: float) -> None:  # fmt: skip
        self.wrk, self.args, self.process, self.first_s = wrk, args, process, first_s
        self.url = f"http://{HOST}:{port}{JSON_OK.target}"
        self.runs: list[WrkResult] = []
        self.served = 1 + run_wrk(wrk, self.url, args.warmup, args.connections, None).requests

    def measure(self) -> WrkResult:
        result = run_wrk(self.wrk, self.url, self.args.duration, self.args.connections, None)
        self.runs.append(result)
        self.served += result.requests
        return result

    def row(self) -> Row:
        """The bare handler's own row: its median run (by throughput)."""
        low, high = min(r.rps for r in self.runs), max(r.rps for r in self.runs)
        median = sorted(self.runs, key=lambda run: run.rps)[len(self.runs) // 2]
        return Row(BARE, JSON_OK.label + f", median of {len(self.runs)} runs", median.rps,
                   median.rps, median.p50_ms, median.p99_ms, median.requests, median.errors,
                   rss_mb=peak_rss_mb(self.process.pid), served=self.served,
                   first_s=self.first_s, spread=(low / median.rps, high / median.rps))  # fmt: skip


# ---------------------------------------------------------------------------------------------
# reporting


def judge(rows: list[Row], min_requests: int) -> None:
    for row in rows:
        if not row.has_targets:
            continue
        if row.ratio < TARGET_RATIO:
            row.misses.append(f"throughput < {TARGET_RATIO}x")
        if row.p99_ms > TARGET_P99_MS:
            row.misses.append(f"p99 > {TARGET_P99_MS:g} ms")
        if row.rss_mb > TARGET_RSS_MB or row.served < min_requests:
            row.misses.append(f"RSS > {TARGET_RSS_MB:g} MB")
        if row.first_s > TARGET_FIRST_S:
            row.misses.append(f"first answer > {TARGET_FIRST_S:g} s")
        if row.errors:
            row.misses.append("errors")


def machine() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem = re.search(r"MemTotal:\s+(\d+) kB", meminfo)
    import aiohttp  # the version the mock runs with: this interpreter's

    wrk_run = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    wrk_version = re.search(r"wrk (\S+)", wrk_run.stdout + wrk_run.stderr)
    return [
        f"- CPU: {cpu.group(1).strip() if cpu else platform.processor()}, "
        f"{os.cpu_count()} cores; memory {int(mem.group(1)) / 2**20:.0f} GiB"
        if mem
        else f"- CPU: {platform.processor()}, {os.cpu_count()} cores",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}, aiohttp {aiohttp.__version__}, "
        f"wrk {wrk_version.group(1) if wrk_version else '?'}",
    ]


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| server | request | req/s | bare req/s, paired | x bare (rounds' range) | p50 ms "
        "| p99 ms | peak RSS MB (after N req) | first answer s | errors | targets |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in rows:
        verdict = "missed: " + ", ".join(row.misses) if row.misses else "met"
        if not row.has_targets:
            verdict = "—"
        lines.append(
            f"| {row.server} | {row.path} | {row.rps:,.0f} | {row.bare_rps:,.0f} "
            f"| {row.ratio:.2f} ({row.spread[0]:.2f}-{row.spread[1]:.2f}) "
            f"| {row.p50_ms:.2f} | {row.p99_ms:.2f} | {row.rss_mb:.1f} ({row.served:,}) "
            f"| {row.first_s:.2f} | {row.errors} | {verdict} |"
        )
    return lines


def report(rows: list[Row], args: argparse.Namespace, argv: Sequence[str]) -> str:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark: the mock against a bare aiohttp handler",
        "",
        f"Run on {now} with `{' '.join(['bench/run.py', *argv])}`: each server its own "
        f"process on {HOST}, `wrk -t1 -c{args.connections} -d{args.duration:g}s --latency` "
        f"per request kind after a {args.warmup:g} s warm-up, {args.rounds} rounds each, every "
        f"round right after the same run against the bare handler.",
        "",
        *table(rows),
        "",
        f"Targets (issue 5), for the mock with `--quiet` on the issue's three requests: "
        f"throughput ≥ {TARGET_RATIO}x the bare handler (median over rounds of the ratio to "
        f"the bare run just before; the range shows the machine's noise), "
        f"p99 ≤ {TARGET_P99_MS:g} ms at "
        f"{args.connections} connections, peak RSS ≤ {TARGET_RSS_MB:g} MB after "
        f"{args.min_requests:,} requests, first answer ≤ {TARGET_FIRST_S:g} s after start. "
        "Peak RSS is VmHWM after every request that process served (N, warm-ups included); "
        "first answer is from process start to the first complete response. "
        "The access-log rows log one line per request to a file. The 'every query distinct' "
        "row defeats the mock's answer cache (a new query string per request): it shows the "
        "cost of deciding, rendering and validating every answer, and is not one of the "
        "issue's target rows.",
        "",
        "Machine:",
        "",
        *machine(),
        "",
    ]
    return "\n".join(lines)


def chart(rows: list[Row], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: chart skipped: matplotlib is missing (pip install -e '.[bench]')")
        return
    labels = [f"{r.server}\n{r.path}" for r in rows]
    colours = ["#888888" if r.server.startswith(BARE) else
               ("#1f77b4" if r.has_targets else "#ff7f0e") for r in rows]  # fmt: skip
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 0.5 * len(rows) + 2.5))
    positions = list(range(len(rows)))[::-1]
    left.barh(positions, [r.ratio for r in rows], color=colours)
    left.axvline(TARGET_RATIO, color="red", linestyle="--", label=f"target {TARGET_RATIO}x")
    left.set_xlabel("throughput / bare aiohttp measured just before")
    left.set_yticks(positions, labels, fontsize=8)
    left.legend(loc="lower right")
    right.barh(positions, [r.p99_ms for r in rows], color=colours)
    right.axvline(TARGET_P99_MS, color="red", linestyle="--", label=f"target {TARGET_P99_MS:g} ms")
    right.set_xlabel("p99 latency, ms")
    right.set_yticks(positions, [""] * len(rows))
    right.legend(loc="lower right")
    figure.suptitle(f"wrk -t1 -c50, {os.cpu_count()} cores: the mock against a bare handler")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


BARE_ARGV = (PY, "bench/bare.py", "--host", HOST, "--port", "{port}")


def servers(prism: tuple[str, ...] | None, with_distinct: bool) -> list[Server]:
    mock = (PY, "-m", "mock_server", "serve", "--host", HOST, "--port", "{port}", *MOCK_FLAGS)
    quiet_paths = (*ISSUE_PATHS, DISTINCT) if with_distinct else ISSUE_PATHS
    chosen = [
        Server("mock --quiet", (*mock, "--quiet"), quiet_paths, has_targets=True),
        Server("mock, access log", mock, ISSUE_PATHS, has_targets=False, log_to_file=True),
    ]  # fmt: skip
    if prism:
        # Prism serves the document's paths as they are written, without the server's /v1
        prism_paths = tuple(replace(k, target=k.target.removeprefix("/v1")) for k in ISSUE_PATHS)
        chosen.append(Server("Prism 5", prism, prism_paths, has_targets=False))
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=3, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="bare/server alternations per request kind (default 3)")  # fmt: skip
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=50, help="wrk -c (default 50)")
    parser.add_argument("--min-requests", type=int, default=100_000,
                        help="requests a server has served when its peak RSS is read")  # fmt: skip
    parser.add_argument("--no-prism", action="store_true", help="do not run Prism")
    parser.add_argument("--openapi", type=Path, default=OPENAPI,
                        help="the document Prism mocks (default: openapi.json)")  # fmt: skip
    parser.add_argument("--no-distinct", action="store_true",
                        help="skip the cache-miss row (every query distinct)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.md/png go")
    args = parser.parse_args(argv)

    wrk = ensure_wrk()
    prism = None if args.no_prism else prism_command(args.openapi)
    rows: list[Row] = []
    bare_server = Server(BARE, BARE_ARGV, (JSON_OK,), has_targets=False)
    port = free_port()
    with running(bare_server, port) as (process, started):
        bare = Bare(wrk, args, process, port, first_answer(port, JSON_OK.target, started))
        for server in servers(prism, not args.no_distinct):
            rows += measure(server, wrk, args, bare)
        rows.insert(0, bare.row())
    judge(rows, args.min_requests)

    args.out.mkdir(parents=True, exist_ok=True)
    text = report(rows, args, argv)
    (args.out / "latest.md").write_text(text, encoding="utf-8")
    chart(rows, args.out / "latest.png")
    print()
    print(text)
    print(f"bench: wrote {args.out / 'latest.md'} and {args.out / 'latest.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
