"""The ceiling: a bare aiohttp handler that answers every request with one constant body.

It runs the same aiohttp, the same way (AppRunner, TCPSite, no access log) as the mock with
--quiet, so the ratio between the two is the cost of the mock's own work per request.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import web

BODY = (
    b'{"success":true,"code":200,"number":"0600000000","messageId":"1111","stopSms":false,'
    b'"date":"2015-02-07 22:39:46","statut":"Delivered","cost":0.045,"countryCode":"FR",'
    b'"currency":"EUR"}'
)


async def constant(request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/json", charset="utf-8")


async def serve(host: str, port: int) -> None:
    app = web.Application()
    app.router.add_get("/v1/message-status", constant)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    bound = runner.addresses[0][1]
    print(f"bare aiohttp serving http://{host}:{bound}/v1/message-status", flush=True)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
