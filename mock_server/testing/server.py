"""The mock in a background thread with its own event loop, for tests in any process.

The thread binds port 0 with the same start() the CLI uses; the owning test talks to it
over HTTP or through its MockState.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from mock_server._http.app import create_app
from mock_server._http.faults import FAULTS
from mock_server._http.journal import JOURNAL
from mock_server._http.runner import start
from mock_server.errors import BodyViolation
from mock_server.settings import STORE, VIOLATIONS, Settings


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
