"""The mock in a background thread with its own event loop, for tests in any process.

The thread binds port 0 with the same start() the CLI uses; the owning test talks to it
over HTTP, or changes its MockState through call(), which runs on the server's loop so that
no request ever sees a change half made.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from mock_server._http.app import create_app
from mock_server._http.runner import start
from mock_server._http.state import STATE, MockBug, MockState
from mock_server.contract import spec
from mock_server.errors import BodyViolation
from mock_server.settings import Settings

_T = TypeVar("_T")


class ServerThread:
    """The mock on 127.0.0.1:<free port> in a background thread with its own event loop.

    Use as a context manager. `base_url` is 'http://127.0.0.1:PORT/v1'; `state` is the live
    MockState, which the owning test changes through call().
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

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
