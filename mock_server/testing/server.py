"""The mock in a background thread with its own event loop, for tests in any process.

The thread binds port 0 with the same start() the CLI uses; the owning test talks to it
over HTTP, or changes its MockState through call(), which runs on the server's loop so that
no request ever sees a change half made. serve_app() runs any small aiohttp application the
same way: the webhook handler of a test, receiving the mock's callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TypeVar

from aiohttp import web

from mock_server._http.app import create_app
from mock_server._http.runner import start
from mock_server._http.state import STATE, MockBug, MockState
from mock_server.contract import spec
from mock_server.errors import BodyViolation
from mock_server.settings import Settings

_T = TypeVar("_T")
_Self = TypeVar("_Self", bound="AppThread")


class AppThread:
    """An aiohttp application on 127.0.0.1:<free port> in a background thread with its own
    event loop; `base_url` is 'http://127.0.0.1:PORT' once started."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
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

    async def _start(self) -> tuple[web.AppRunner, str]:
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def _main(self) -> None:
        try:
            runner, self.base_url = await self._start()
        except BaseException as exc:  # surfaced in the starting thread
            self._error = exc
            self._ready.set()
            return
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def start(self: _Self) -> _Self:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()

    def __enter__(self: _Self) -> _Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.contextmanager
def serve_app(app: web.Application) -> Iterator[str]:
    """Serve a small aiohttp application of a test (a webhook handler, say) on 127.0.0.1
    in a background thread; yields its root URL ('http://127.0.0.1:PORT'). Its handlers
    run on the thread's own loop, so the test may block while they answer."""
    with AppThread(app) as running:
        yield running.base_url


class ServerThread(AppThread):
    """The mock on 127.0.0.1:<free port> in a background thread with its own event loop.

    Use as a context manager. `base_url` is 'http://127.0.0.1:PORT/v1'; `state` is the live
    MockState, which the owning test changes through call().
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings(access_log=False)
        super().__init__(create_app(self.settings))

    async def _start(self) -> tuple[web.AppRunner, str]:
        return await start(self.app, self.settings.host, 0)

    @property
    def state(self) -> MockState:
        """The mock's state; change it only through call() while the server runs."""
        return self.app[STATE]

    def call(self, function: Callable[[], _T]) -> _T:
        """function() run on the server's loop, between two requests, under the mock's
        calibration; its result or error."""

        def calibrated() -> _T:
            with spec.use_overlay(self.settings.overlay):
                return function()

        if not self._loop.is_running():
            return calibrated()

        async def run() -> _T:
            return calibrated()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result()

    @property
    def api_keys(self) -> frozenset[str]:
        """The API keys this mock accepts."""
        return self.state.store.api_keys

    def violations(self) -> list[BodyViolation]:
        """Bodies the mock refused to send because they broke their schema."""
        return self.state.violations.copy()

    def bugs(self) -> list[MockBug]:
        """Exceptions the mock's handlers raised (answered with a 500), API keys redacted."""
        return self.state.bugs.copy()

    def take_problems(self) -> tuple[list[BodyViolation], list[MockBug]]:
        """The violations and bugs recorded so far, which the mock then forgets."""
        return self.call(self.state.take_problems)

    def reset(self) -> None:
        """Back to the fixtures (MockState.reset): no sent message, real time, an empty
        journal, no fault rule. Recorded violations and bugs stay until taken."""
        self.call(self.state.reset)
