"""ASGI lifespan, once per execution environment.

Startup runs during Lambda's init phase, on the environment's one persistent event loop, and
shutdown when the environment ends. Running them per invocation (as Mangum does) tears down
connection pools on every request (Kludex/mangum#342).

The lifespan coroutine stays suspended in ``receive()`` between invocations: the loop is not
running then, and resumes it only for shutdown.
"""

from __future__ import annotations

import asyncio
import logging

from .errors import ConfigurationError, LifespanError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .types import ASGIApp, Message

__all__ = ["Lifespan"]

logger = logging.getLogger("lambgate")

#: Lambda gives the runtime about 500 ms after SIGTERM before it is killed.
SHUTDOWN_TIMEOUT_S = 0.4


class Lifespan:
    """Drives the lifespan protocol for ``mode`` ``"auto"``, ``"on"`` or ``"off"``.

    ``auto``: an app that raises before answering startup does not speak lifespan; requests
    then get no ``state``. ``on``: that is an error that fails the init. A reported
    ``lifespan.startup.failed`` fails the init in both modes.
    """

    def __init__(self, app: ASGIApp, loop: asyncio.AbstractEventLoop, *, mode: str) -> None:
        if mode not in ("auto", "on", "off"):
            raise ConfigurationError(f"lifespan must be 'auto', 'on' or 'off', not {mode!r}")
        self.app = app
        self.loop = loop
        self.mode = mode
        #: ``scope["state"]`` of the lifespan, copied into every request scope; ``None`` when
        #: the app has no lifespan.
        self.state: dict[str, Any] | None = None
        self._inbox: asyncio.Queue[Message] | None = None
        self._answer: asyncio.Future[Message] | None = None
        self._task: asyncio.Task[None] | None = None
        self._shut_down = False

    def startup(self) -> None:
        if self.mode == "off":
            return
        self.state = {}
        self._inbox = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        scope["state"] = self.state
        self._task = self.loop.create_task(self._main(scope))
        answer = self._exchange({"type": "lifespan.startup"})
        if answer is None:
            self.state = None
            return
        if answer["type"] == "lifespan.startup.failed":
            raise LifespanError(f"ASGI lifespan startup failed: {answer.get('message', '')}")
        if answer["type"] != "lifespan.startup.complete":
            raise LifespanError(f"ASGI lifespan answered startup with {answer['type']!r}")

    def shutdown(self) -> None:
        if self._task is None or self._shut_down or self.state is None:
            return
        self._shut_down = True
        try:
            answer = self._exchange({"type": "lifespan.shutdown"}, SHUTDOWN_TIMEOUT_S)
        except LifespanError as exc:
            logger.error("%s", exc)
            return
        if answer is not None and answer["type"] == "lifespan.shutdown.failed":
            logger.error("ASGI lifespan shutdown failed: %s", answer.get("message", ""))

    def _exchange(self, message: Message, timeout: float | None = None) -> Message | None:
        """Send ``message`` to the app, run the loop until it answers; ``None`` if the
        lifespan coroutine ended without answering (an app with no lifespan)."""
        assert self._inbox is not None and self._task is not None
        self._answer = self.loop.create_future()
        self._inbox.put_nowait(message)
        pending: set[asyncio.Future[Any]] = {self._answer, self._task}
        waiter = asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        self.loop.run_until_complete(waiter)
        if self._answer.done():
            return self._answer.result()
        if not self._task.done():
            raise LifespanError(f"ASGI lifespan did not answer {message['type']!r} in {timeout} s")
        error = self._task.exception()
        if error is None:
            if message["type"] == "lifespan.startup" and self.mode == "on":
                raise LifespanError("ASGI app returned from lifespan without answering startup")
            return None
        if self.mode == "on" or message["type"] != "lifespan.startup":
            raise LifespanError(f"ASGI lifespan {message['type']!r} raised: {error!r}") from error
        logger.warning(
            "ASGI lifespan startup raised %r: serving without lifespan (lifespan='auto'; "
            "set lifespan='on' to make this fail the init)",
            error,
        )
        return None

    async def _main(self, scope: dict[str, Any]) -> None:
        await self.app(scope, self._receive, self._send)

    async def _receive(self) -> Message:
        assert self._inbox is not None
        return await self._inbox.get()

    async def _send(self, message: Message) -> None:
        kind = message.get("type")
        if not isinstance(kind, str) or not kind.startswith("lifespan."):
            # An app that ignores scope["type"] answers as if to a request: it does not speak
            # lifespan. Raising into it ends its lifespan coroutine, as uvicorn does.
            raise LifespanError(f"ASGI app sent {kind!r} to a lifespan scope")
        if self._answer is None or self._answer.done():
            raise LifespanError(f"ASGI lifespan sent {kind!r} unasked")
        self._answer.set_result(message)
