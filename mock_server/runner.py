"""Running the app: in the foreground for the CLI, or in a background thread for tests.

Both bind with aiohttp's AppRunner, log one line per request with API keys redacted, and
shut down gracefully: in-flight requests complete before the process or thread ends.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import TracebackType

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from .app import create_app
from .errors import BodyViolation
from .faults import FAULTS
from .journal import JOURNAL
from .redaction import redact_query
from .settings import SETTINGS, STORE, VIOLATIONS, Settings

access_log = logging.getLogger("mock_server.access")


class AccessLogger(AbstractAccessLogger):
    """One line per request: method, path with API keys redacted, status, size, time."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.1fms',
            request.remote,
            request.method,
            redact_query(request.rel_url.raw_path_qs),
            response.status,
            response.body_length,
            time * 1000,
        )


class RedactingFilter(logging.Filter):
    """aiohttp logs a rejected request with its request line: keep the message, drop the key."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            detail = redact_query(str(record.exc_info[1]))
            record.msg, record.args = f"{record.getMessage()}: {detail}", ()
            record.exc_info = record.exc_text = None
        return True


def _redact_server_log() -> None:
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, RedactingFilter) for f in server_log.filters):
        server_log.addFilter(RedactingFilter())


async def start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Start serving app; returns the runner and the base URL ('http://host:port/v1')."""
    settings = app[SETTINGS]
    _redact_server_log()
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log_class=AccessLogger,
        access_log=access_log if settings.access_log else None,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
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
        announce(f"Admin API: {root}/_mock/clock, /_mock/faults, /_mock/requests, /_mock/reset")
    await stop.wait()
    announce("Shutting down")
    await runner.cleanup()


class ServerThread:
    """The mock on 127.0.0.1:<free port> in a background thread with its own event loop.

    Use as a context manager. `base_url` is 'http://127.0.0.1:PORT/v1'; `app` is the live
    application, whose state the owning test may change between requests.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings(access_log=False)
        self.app = create_app(self.settings)
        self.base_url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="smspartner-mock", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        try:
            runner, self.base_url = await start(self.app, self.settings.host, 0)
        except BaseException as exc:  # surfaced in the starting thread
            self._error = exc
            self._ready.set()
            return
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def start(self) -> ServerThread:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()

    @property
    def api_keys(self) -> frozenset[str]:
        """The API keys this mock accepts."""
        return self.app[STORE].api_keys

    def violations(self) -> list[BodyViolation]:
        """Bodies the mock refused to send because they broke their schema."""
        return self.app[VIOLATIONS].copy()

    def reset(self) -> None:
        """Back to the fixtures, with no recorded violation: no sent message, real time,
        an empty journal and no fault rule."""
        self.app[STORE].reset()
        self.app[VIOLATIONS].clear()
        self.app[JOURNAL].clear()
        self.app[FAULTS].clear()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
