"""Scale: 100,000 sandbox sends with wrk, then message-status while the admin API lists.

    make bench-scale              # or: .venv/bin/python bench/scale.py [--sends 100000 ...]

One mock process on 127.0.0.1 (--quiet, the journal on, the default --max-messages).
1. Sends: wrk -c50 posts sandbox sends (one recipient each, no credit cap) in runs of
   --window-seconds until --sends have been answered. Per run: sends/s, p50 and p99, and the
   server's RSS. The per-send cost is flat when the last window's mean latency is within
   1.2x the first's, and memory is bounded when RSS stops growing once the outbox is full.
2. Listing: with the outbox full, wrk measures message-status alone, then again while
   another process pages through 50,000 messages of GET /_mock/messages (500 a page,
   over and over). The ratio of the two p99s says whether a listing holds the event loop.
Writes bench/results/scale.md. Only loopback is ever targeted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import HOST, PY, QUERY, ROOT, ensure_wrk, first_answer, free_port, machine, run_wrk

RESULTS = ROOT / "bench" / "results"
TARGET_LATENCY_RATIO = 1.2
SEND_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"apiKey": "YOUR_API_KEY", "phoneNumbers": "0600000000", "message": "Bench", '
    .. '"sandbox": 1}'
"""


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB (10^6 bytes)."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = {k: int(v) for k, v in re.findall(r"(VmRSS|VmHWM):\s+(\d+) kB", status)}
    return found["VmRSS"] * 1024 / 1e6, found["VmHWM"] * 1024 / 1e6


def mean_latency_ms(connections: int, rps: float) -> float:
    """Little's law: with a closed loop of c connections, mean latency = c / throughput."""
    return connections / rps * 1000


def page_through(port: int, total: int, stop_at: float) -> None:
    """GET /_mock/messages page by page over `total` messages, again and again, until stop_at."""
    while time.time() < stop_at:
        for offset in range(0, total, 500):
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            connection.request("GET", f"/_mock/messages?offset={offset}&limit=500")
            connection.getresponse().read()
            connection.close()
            if time.time() >= stop_at:
                return


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=100_000)
    parser.add_argument("--window-seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--listing", type=int, default=50_000, help="messages paged through")
    parser.add_argument("--duration", type=float, default=5, help="seconds per status run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    wrk = ensure_wrk()
    port = free_port()
    base = f"http://{HOST}:{port}"
    process = subprocess.Popen(
        [PY, "-m", "mock_server", "serve", "--port", str(port), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        first_answer(port, f"/v1/message-status?{QUERY}", time.perf_counter())
        windows = []
        sent = 0
        started = time.perf_counter()
        while sent < args.sends:
            run = run_wrk(wrk, f"{base}/v1/send", args.window_seconds, args.connections, SEND_LUA)
            sent += run.requests
            rss, hwm = rss_mb(process.pid)
            windows.append((sent, run, rss, hwm))
            print(
                f"scale: {sent:>7} sends, {run.rps:>6.0f}/s, p50 {run.p50_ms:.1f} ms, "
                f"p99 {run.p99_ms:.1f} ms, errors {run.errors}, RSS {rss:.0f} MB",
                flush=True,
            )
        elapsed = time.perf_counter() - started
        first, last = windows[0][1], windows[-1][1]
        ratio = first.rps / last.rps  # = last mean latency / first (Little's law)
        status_url = f"{base}/v1/message-status?{QUERY}"
        alone = run_wrk(wrk, status_url, args.duration, 10, None)
        listing = multiprocessing.Process(
            target=page_through, args=(port, args.listing, time.time() + args.duration + 2)
        )
        listing.start()
        time.sleep(0.5)
        during = run_wrk(wrk, status_url, args.duration, 10, None)
        listing.join()
        page_started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        connection.request("GET", "/_mock/messages?offset=49500&limit=500")
        page = json.loads(connection.getresponse().read())
        page_ms = (time.perf_counter() - page_started) * 1000
        rss, hwm = rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    errors = sum(run.errors for _, run, _, _ in windows)
    lines += [
        "# Scale benchmark",
        "",
        f"Generated by `bench/scale.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        *machine(),
        "",
        f"## {sent:,} sandbox sends (wrk -c{args.connections}, runs of {args.window_seconds:g} s)",
        "",
        "| sends so far | sends/s | mean ms (c/throughput) | p50 ms | p99 ms | RSS MB |",
        "|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {n:,} | {run.rps:.0f} | {mean_latency_ms(args.connections, run.rps):.1f} "
            f"| {run.p50_ms:.1f} | {run.p99_ms:.1f} | {r:.0f} |"
            for n, run, r, _ in windows
        ),
        "",
        f"- {sent:,} sends in {elapsed:.0f} s, {errors} errors; outbox bound "
        f"(--max-messages) 100,000 recipients.",
        f"- Last window's mean latency / first window's: **{ratio:.2f}** "
        f"(target <= {TARGET_LATENCY_RATIO}).",
        f"- RSS at the end {rss:.0f} MB, peak {hwm:.0f} MB.",
        "",
        "## message-status while the admin API lists",
        "",
        "| message-status (wrk -c10) | req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
        f"| alone | {alone.rps:.0f} | {alone.p50_ms:.2f} | {alone.p99_ms:.2f} |",
        f"| while paging through {args.listing:,} messages | {during.rps:.0f} "
        f"| {during.p50_ms:.2f} | {during.p99_ms:.2f} |",
        "",
        f"- p99 ratio (during / alone): **{during.p99_ms / alone.p99_ms:.2f}**; one page of "
        f"500 messages at offset 49,000 took {page_ms:.0f} ms ({len(page['messages'])} shown, "
        f"{page['total']:,} in all).",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if ratio <= TARGET_LATENCY_RATIO and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
