"""A neutral Request through an ASGI 3 app (HTTP spec 2.4) into a neutral Response.

The cycle is an explicit state machine: ``receive()`` hands over the whole body once, then
reports ``http.disconnect`` only after the response is complete (an app that listens for a
disconnect while streaming must not be cut short); ``send()`` accepts messages only in the
order the spec allows, and its errors name the message and the state.
"""

from __future__ import annotations

import asyncio
import enum

from .errors import AppTimeout, CompletedWithError, ProtocolError
from .model import Request, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .types import ASGIApp, Message, Scope

__all__ = ["ASGIRunner", "HTTPCycle", "request_to_scope"]

_ASGI = {"version": "3.0", "spec_version": "2.4"}


def request_to_scope(
    request: Request, state: dict[str, Any] | None, *, root_in_path: bool = True
) -> Scope:
    """The HTTP connection scope. ``path`` and ``raw_path`` include ``root_path``: "PATH_INFO
    can be derived by stripping root_path from path" (ASGI HTTP spec 2.5, as uvicorn >= 0.26
    and Starlette >= 0.35 do), so routing strips it and ``url_for`` adds it back.

    ``root_in_path=False`` is for frameworks that still read ``path`` as relative to
    ``root_path`` (Falcon's ASGI app builds its URLs as ``root_path + path``).
    """
    root = request.root_path if root_in_path else ""
    scope: Scope = {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": root + request.path if root else request.path,
        "raw_path": root.encode("utf-8") + request.raw_path if root else request.raw_path,
        "query_string": request.query_string,
        "root_path": request.root_path,
        "headers": request.headers,
        "client": request.client,
        "server": request.server,
        "extensions": {},
        "aws.event": request.event,
        "aws.context": request.context,
    }
    if state is not None:
        # Each request gets a shallow copy, as uvicorn does: what a request stores stays its own.
        scope["state"] = state.copy()
    return scope


class _State(enum.Enum):
    REQUEST = "before http.response.start"
    BODY = "after http.response.start"
    DONE = "after the final http.response.body"


class HTTPCycle:
    """``receive``/``send`` for one request, collecting the response."""

    __slots__ = ("_body", "_chunks", "_done", "_headers", "_state", "_status")

    def __init__(self, body: bytes) -> None:
        self._body: bytes | None = body
        self._state = _State.REQUEST
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._chunks: list[bytes] = []
        self._done: asyncio.Event | None = None

    async def receive(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        if self._state is not _State.DONE:
            # Nothing more will come in: wait until the app has answered, like a client that
            # stays connected until the response ends.
            if self._done is None:
                self._done = asyncio.Event()
            await self._done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        state = self._state
        if kind == "http.response.start" and state is _State.REQUEST:
            status = message.get("status")
            if not isinstance(status, int) or not 100 <= status <= 999:
                raise ProtocolError(f"'http.response.start' has an invalid status: {status!r}")
            self._status = status
            self._headers = [
                (bytes(name), bytes(value)) for name, value in message.get("headers", ())
            ]
            self._state = _State.BODY
        elif kind == "http.response.body" and state is _State.BODY:
            body = message.get("body", b"")
            if not isinstance(body, bytes | bytearray | memoryview):
                raise ProtocolError(
                    f"'http.response.body' body must be bytes, got {type(body).__name__}"
                )
            if body:
                self._chunks.append(bytes(body))
            if not message.get("more_body", False):
                self._state = _State.DONE
                if self._done is not None:
                    self._done.set()
        else:
            raise ProtocolError(f"ASGI app sent {kind!r} {state.value}")

    async def run(self, app: ASGIApp, scope: Scope) -> Response:
        """Run ``app`` and return what it answered; a broken cycle is a ProtocolError."""
        try:
            await app(scope, self.receive, self.send)
        except asyncio.CancelledError:
            if self._state is not _State.DONE:
                raise
            # Cancelled at the deadline while finishing background work (a Starlette
            # BackgroundTask): the response the app already gave stands.
            return self.response()
        except Exception as exc:
            if self._state is not _State.DONE:
                raise
            # The response was complete: the client gets it; the caller only logs this.
            raise CompletedWithError(self.response()) from exc
        if self._state is _State.REQUEST:
            raise ProtocolError("ASGI app returned without sending 'http.response.start'")
        if self._state is _State.BODY:
            raise ProtocolError(
                "ASGI app returned before the final 'http.response.body' (more_body=False)"
            )
        return self.response()

    def response(self) -> Response:
        chunks = self._chunks
        return Response(
            status=self._status,
            headers=self._headers,
            body=chunks[0] if len(chunks) == 1 else b"".join(chunks),
        )


class ASGIRunner:
    """Runs an ASGI app for one execution environment: one persistent event loop, lifespan
    started once on it, and every request run to completion on it.

    A request is cancelled ``timeout_margin_ms`` before the invocation's deadline
    (``context.get_remaining_time_in_millis()``), so the caller can answer 504 instead of
    Lambda killing the environment mid-request.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        lifespan: str,
        timeout_margin_ms: int,
        root_in_path: bool | None = None,
    ) -> None:
        from .lifespan import Lifespan

        self.app = app
        self.loop = asyncio.new_event_loop()
        # Libraries that still call asyncio.get_event_loop() outside a coroutine find this one.
        asyncio.set_event_loop(self.loop)
        self.timeout_margin_ms = timeout_margin_ms
        self.root_in_path = (
            not _reads_path_as_relative(app) if root_in_path is None else root_in_path
        )
        try:
            self.lifespan = Lifespan(app, self.loop, mode=lifespan)
            self.lifespan.startup()
        except BaseException:
            # The init fails: leave no open loop and no suspended lifespan task behind.
            tasks = asyncio.all_tasks(self.loop)
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.close()
            asyncio.set_event_loop(None)
            raise

    def __call__(self, request: Request) -> Response:
        cycle = HTTPCycle(request.body)
        scope = request_to_scope(request, self.lifespan.state, root_in_path=self.root_in_path)
        loop = self.loop
        task = loop.create_task(cycle.run(self.app, scope))
        remaining = getattr(request.context, "get_remaining_time_in_millis", None)
        deadline = None
        if remaining is not None:
            deadline = _Deadline(loop, task, remaining, self.timeout_margin_ms)
            # Most requests finish in the task's first step; the timer is armed only for one
            # still waiting after it, which keeps the loop's timer heap (and a syscall-heavy
            # select with a timeout) off the common path.
            loop.call_soon(deadline.arm)
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if deadline is not None and deadline.expired:
                raise AppTimeout(
                    f"ASGI app cancelled {self.timeout_margin_ms} ms before the Lambda "
                    "deadline (context.get_remaining_time_in_millis())"
                ) from None
            # CancelledError is a BaseException: left alone it would escape the handler.
            raise ProtocolError(
                "ASGI app raised CancelledError (not cancelled by lambgate)"
            ) from None
        finally:
            if deadline is not None:
                deadline.disarm()

    def close(self) -> None:
        """Run lifespan shutdown and close the loop (the environment is ending), cancelling
        whatever the app left running so nothing is destroyed while pending."""
        loop = self.loop
        if loop.is_closed():
            return
        self.lifespan.shutdown()
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


# Frameworks whose ASGI apps route on ``scope["path"]`` without stripping ``root_path``,
# reading the spec as before its 2.5 clarification. Under a stage prefix they would answer
# 404 to everything, as they do under ``uvicorn --root-path``.
_RELATIVE_PATH_FRAMEWORKS = frozenset({"falcon"})


def _reads_path_as_relative(app: object) -> bool:
    """Whether ``app``, or an app it wraps (middleware keeps it as ``.app``), is one of them."""
    for _ in range(8):
        if type(app).__module__.partition(".")[0] in _RELATIVE_PATH_FRAMEWORKS:
            return True
        app = getattr(app, "app", None)
        if app is None:
            return False
    return False


class _Deadline:
    """Cancels a request's task ``margin_ms`` before the invocation's deadline."""

    __slots__ = ("expired", "loop", "margin_ms", "remaining", "task", "timer")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        task: asyncio.Task[Response],
        remaining: Callable[[], int],
        margin_ms: int,
    ) -> None:
        self.loop = loop
        self.task = task
        self.remaining = remaining
        self.margin_ms = margin_ms
        self.expired = False
        self.timer: asyncio.TimerHandle | None = None

    def arm(self) -> None:
        if not self.task.done():
            delay = max(0, self.remaining() - self.margin_ms) / 1000
            self.timer = self.loop.call_later(delay, self.expire)

    def expire(self) -> None:
        self.expired = True
        self.task.cancel()

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
