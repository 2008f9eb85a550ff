"""Serving the app: start() binds it (for the CLI and the test server thread alike) and
serve_forever() runs it in the foreground. Both use aiohttp's AppRunner, log one line per
request with API keys redacted, and shut down gracefully: in-flight requests complete.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from http import HTTPStatus

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from mock_server._http.app import create_app
from mock_server._http.state import STATE
from mock_server.redaction import redact_query, redact_text
from mock_server.settings import Settings

access_log = logging.getLogger("mock_server.access")

# The API keys of every app started in this process: redacted from every log line by value,
# besides the redaction by parameter name.
_SECRETS: set[str] = set()


def _scrub(text: str) -> str:
    return redact_text(redact_query(text), _SECRETS)


class AccessLogger(AbstractAccessLogger):
    """One line per request: method, path with API keys redacted, status, size, time."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.1fms',
            request.remote,
            _scrub(request.method),
            _scrub(request.rel_url.raw_path_qs),
            response.status,
            response.body_length,
            time * 1000,
        )


class RedactingFilter(logging.Filter):
    """aiohttp logs a rejected request with its request line: keep the message, drop the key."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            detail = str(record.exc_info[1])
            record.msg, record.args = f"{record.getMessage()}: {detail}", ()
            record.exc_info = record.exc_text = None
        record.msg, record.args = _scrub(record.getMessage()), ()
        return True


def _redact_server_log() -> None:
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, RedactingFilter) for f in server_log.filters):
        server_log.addFilter(RedactingFilter())


# What the mock answers to bytes that are not an HTTP request it can read (an over-long
# line, a bad method, raw bytes in the URL). aiohttp's own answer quotes the request back,
# API key included; this one says what went wrong and echoes nothing.
UNREADABLE = "400 Bad Request: the request could not be read as HTTP/1.1 (nothing of it is echoed)"


class _RequestHandler(RequestHandler):
    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> StreamResponse:
        if status == HTTPStatus.BAD_REQUEST:
            message = UNREADABLE
        return super().handle_error(request, status, exc, message)


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return _RequestHandler(self, loop=self._loop, **self._kwargs)


class _AppRunner(web.AppRunner):
    """aiohttp's AppRunner whose connections answer unreadable requests with UNREADABLE."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _Server  # the same server, with the request handler above
        return server


async def start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Start serving app; returns the runner and the base URL ('http://host:port/v1')."""
    settings = app[STATE].settings
    _SECRETS.update(app[STATE].store.api_keys)
    _redact_server_log()
    runner = _AppRunner(
        app,
        handle_signals=False,
        access_log_class=AccessLogger,
        access_log=access_log if settings.access_log else None,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:  # the callback senders started with the app: stop them too
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    shown_host = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown_host}:{bound_port}/v1"


async def serve_forever(settings: Settings, announce: Callable[[str], None] = print) -> None:
    """Serve until SIGINT or SIGTERM, then finish in-flight requests and return."""
    app = create_app(settings)
    runner, base_url = await start(app, settings.host, settings.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    announce(f"SMS Partner mock serving {base_url}/message-status (Ctrl+C to stop)")
    if settings.admin:
        root = base_url.removesuffix("/v1")
        announce(
            f"Admin API: {root}/_mock/clock, /_mock/faults, /_mock/requests, /_mock/callbacks, "
            "/_mock/reset"
        )
    await stop.wait()
    announce("Shutting down")
    await runner.cleanup()
