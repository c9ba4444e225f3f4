"""A real ``lambgate serve`` emulator, started in-process on 127.0.0.1 port 0 for tests.

It runs on its own event loop in a background thread, so tests talk to it with ordinary
synchronous clients (httpx, boto3) exactly as a developer's tools would. Stopping it closes
every front and ends every worker; :meth:`RunningEmulator.stop` waits a bounded time.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from lambgate.local.cli.plan import ServeOptions
from lambgate.local.cli.serve import Emulator, start_emulator
from lambgate.local.gateway.access_log import AccessLog

APPS = Path(__file__).resolve().parent / "apps"
STOP_TIMEOUT_S = 30.0


class LogCapture(io.StringIO):
    """The emulator's log, readable while it is written (writes come from its thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            return super().write(text)

    def text(self) -> str:
        with self.lock:
            return self.getvalue()

    def mark(self) -> int:
        """Where the log ends now: :meth:`wait_for` looks only after it."""
        return len(self.text())

    def wait_for(self, needle: str, *, after: int = 0, timeout: float = 10.0) -> str:
        """The log written after ``after`` once ``needle`` is in it (bounded wait)."""
        deadline = time.monotonic() + timeout
        while needle not in self.text()[after:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not logged within {timeout} s:\n{self.text()}")
            time.sleep(0.02)
        return self.text()[after:]


class RunningEmulator:
    def __init__(self, **options: Any) -> None:
        settings: dict[str, Any] = {"port": 0, "lambda_port": 0, "inspect_port": 0}
        self.options = ServeOptions(**(settings | options))
        self.log = LogCapture()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        try:
            self.emulator: Emulator = self.call(
                start_emulator(self.options, log=AccessLog(self.log, color=False))
            )
        except BaseException:  # start_emulator stopped what it started; so does its loop
            self._stop_loop()
            raise

    def call(self, coroutine: Any, timeout: float = STOP_TIMEOUT_S) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def url(self, name: str) -> str:
        """Base URL of the front serving API ``name`` or the function URL of function ``name``."""
        return self.emulator.url(self.emulator.front(name))

    @property
    def invoke_url(self) -> str:
        assert self.emulator.invoke is not None
        return f"http://127.0.0.1:{self.emulator.invoke.port}"

    def stop(self) -> set[int]:
        """Stop everything; the worker PIDs that were alive just before."""
        pids = self.emulator.pids
        try:
            self.call(self.emulator.close())
        finally:
            self._stop_loop()
        return pids

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(STOP_TIMEOUT_S)
        self.loop.close()
