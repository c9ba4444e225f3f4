"""A neutral Request through an ASGI 3 app (HTTP spec 2.4) into a neutral Response.

The cycle is an explicit state machine: ``receive()`` hands over the whole body once, then
reports ``http.disconnect`` only after the response is complete (an app that listens for a
disconnect while streaming must not be cut short); ``send()`` accepts messages only in the
order the spec allows, and its errors name the message and the state.
"""

from __future__ import annotations

import asyncio
import contextvars
import types
from asyncio import _enter_task, _get_running_loop, _leave_task, _set_running_loop
from contextvars import copy_context
from sys import get_asyncgen_hooks, set_asyncgen_hooks
from types import CoroutineType

from .errors import AppTimeout, CompletedWithError, ProtocolError
from .model import Headers, Request, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Generator, Sized
    from typing import Any, Protocol

    from .types import ASGIApp, LifespanMode, Message, Scope

    class Cycle(Protocol):
        """What :meth:`ASGIRunner.run` drives: the app's ``receive``/``send`` for one request."""

        @property
        def complete(self) -> bool: ...
        async def receive(self) -> Message: ...
        async def send(self, message: Message) -> None: ...
        def response(self) -> Response: ...


__all__ = ["ASGIRunner", "HTTPCycle", "request_to_scope"]

_ASGI = {"version": "3.0", "spec_version": "2.4"}

# Header names as ASGI wants them (lower-case bytes) by their spelling in the model,
# remembered (bounded) since names repeat across requests.
_NAMES: dict[str, bytes] = {}
_NAMES_MAX = 1024


def _name(name: str) -> bytes:
    encoded = name.lower().encode("latin-1")
    if len(_NAMES) < _NAMES_MAX:
        _NAMES[name] = encoded
    return encoded


def request_to_scope(
    request: Request, state: dict[str, Any] | None, *, root_in_path: bool = True
) -> Scope:
    """The HTTP connection scope, where the request's text is encoded, once.

    ``path`` and ``raw_path`` include ``root_path``: "PATH_INFO can be derived by stripping
    root_path from path" (ASGI HTTP spec 2.5, as uvicorn >= 0.26 and Starlette >= 0.35 do),
    so routing strips it and ``url_for`` adds it back. ``root_in_path=False`` is for
    frameworks that still read ``path`` as relative to ``root_path`` (Falcon's ASGI app builds
    its URLs as ``root_path + path``).
    """
    root = request.root_path if root_in_path else ""
    names = _NAMES
    scope: Scope = {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": root + request.path if root else request.path,
        "raw_path": (root + request.raw_path).encode("utf-8"),
        "query_string": request.query_string.encode("latin-1"),
        "root_path": request.root_path,
        # Model values are native strings: latin-1 gives back the bytes the client sent.
        "headers": [
            (names.get(name) or _name(name), value.encode("latin-1"))
            for name, value in request.headers
        ],
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


# The states of a cycle, named as its errors describe them.
_REQUEST = "before http.response.start"
_BODY = "after http.response.start"
_DONE = "after the final http.response.body"


class HTTPCycle:
    """``receive``/``send`` for one request, collecting the response."""

    __slots__ = ("_body", "_chunks", "_done", "_headers", "_state", "_status")

    def __init__(self, body: bytes) -> None:
        self._body: bytes | None = body
        self._state = _REQUEST
        self._status = 0
        self._headers: Headers = []
        self._chunks: list[bytes] = []
        self._done: asyncio.Event | None = None

    async def receive(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        if self._state is not _DONE:
            # Nothing more will come in: wait until the app has answered, like a client that
            # stays connected until the response ends.
            if self._done is None:
                self._done = asyncio.Event()
            await self._done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        state = self._state
        if kind == "http.response.start" and state is _REQUEST:
            status = message.get("status")
            if not isinstance(status, int) or not 100 <= status <= 999:
                raise ProtocolError(f"'http.response.start' has an invalid status: {status!r}")
            self._status = status
            try:
                self._headers = [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in message.get("headers", ())
                ]
            except (AttributeError, TypeError, ValueError):
                raise ProtocolError(
                    "'http.response.start' headers must be pairs of byte strings, got "
                    f"{message.get('headers')!r}"
                ) from None
            self._state = _BODY
        elif kind == "http.response.body" and state is _BODY:
            body = message.get("body", b"")
            if body:
                if body.__class__ is not bytes:
                    body = _body_bytes(body)
                self._chunks.append(body)
            elif body.__class__ is not bytes:
                _body_bytes(body)
            if not message.get("more_body", False):
                self._state = _DONE
                if self._done is not None:
                    self._done.set()
        else:
            raise ProtocolError(f"ASGI app sent {kind!r} {state}")

    def response(self) -> Response:
        """What the app answered, once it has returned; a broken cycle is a ProtocolError."""
        state = self._state
        if state is _REQUEST:
            raise ProtocolError("ASGI app returned without sending 'http.response.start'")
        if state is _BODY:
            raise ProtocolError(
                "ASGI app returned before the final 'http.response.body' (more_body=False)"
            )
        chunks = self._chunks
        return Response(
            self._status, self._headers, chunks[0] if len(chunks) == 1 else b"".join(chunks)
        )

    @property
    def complete(self) -> bool:
        """Whether the final ``http.response.body`` has been sent."""
        return self._state is _DONE


async def _awaited(awaitable: Awaitable[None]) -> None:
    """A coroutine around an awaitable (an app's that is not a coroutine, a future)."""
    await awaitable


def _body_bytes(body: object) -> bytes:
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    raise ProtocolError(f"'http.response.body' body must be bytes, got {type(body).__name__}")


class ASGIRunner:
    """Runs an ASGI app for one execution environment: one persistent event loop, lifespan
    started once on it, and every request run to completion on it.

    Most requests finish in the first step of the app's coroutine (it sends its response
    without waiting for anything), and a task and a turn of the loop per request would cost
    them as much as the rest of the bridge. So the first step is taken directly, in the
    invocation's thread, with the loop set as the running loop and the environment's one
    request task (:meth:`_carry`, idle between requests) made the current task: to the app,
    and to ``asyncio.current_task()``, which anyio's cancel scopes (Starlette, FastAPI) and
    ``asyncio.timeout`` record, it is running in that task. A request that suspends is handed
    to that same task, which resumes its coroutine where it stopped and runs it to its end, so
    a cancel scope is left in the task it was entered in. Each request runs in a copy of the
    caller's context, as a task of its own would. The loop takes a turn after a request that
    finished in its first step only when something is due: callbacks the app queued (a task it
    started, a future's callbacks) or a timer whose time has come.

    A request is cancelled ``timeout_margin_ms`` before the invocation's deadline
    (``context.get_remaining_time_in_millis()``), so the caller can answer 504 instead of
    Lambda killing the environment mid-request. One watchdog timer does it for every request:
    armed at the first request's deadline, it stays in the loop between invocations; the next
    request's deadline is later (each is its start plus the function's timeout), so when the
    watchdog fires it re-arms itself at the current request's deadline, or cancels the request
    if that has come. Nothing is scheduled per request. Only a request that suspended can be
    cancelled: one that finishes in its first step never gives the loop a chance to run.
    Callbacks the app leaves queued after the loop's last turn run in the next turn, at a
    later invocation: Lambda freezes the environment in between, as it does any work that
    outlives its request.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        lifespan: LifespanMode,
        timeout_margin_ms: int,
        root_in_path: bool | None = None,
    ) -> None:
        from .lifespan import Lifespan

        self.app = app
        self.loop = loop = asyncio.new_event_loop()
        # Libraries that still call asyncio.get_event_loop() outside a coroutine find this one.
        asyncio.set_event_loop(loop)
        self.timeout_margin_ms = timeout_margin_ms
        self.root_in_path = (
            not _reads_path_as_relative(app) if root_in_path is None else root_in_path
        )
        # The deadline of the request in flight, read by the watchdog.
        self._remaining: Callable[[], int] | None = None
        self._watchdog: asyncio.Handle | None = None
        self._expired = False
        # A request handed to the request task: (coroutine, context, what its step yielded),
        # until the task takes it; then whether it is still running, and how it ended.
        self._pending: tuple[Coroutine[Any, Any, None], contextvars.Context, Any] | None = None
        self._in_flight = False
        self._outcome: BaseException | None = None
        self._finished: asyncio.Future[None] | None = None
        self._wake: asyncio.Future[None] | None = None
        self._closing = False
        # What run_forever sets around a turn, set around a first step too. The loop's own
        # async-generator hooks let it finalise, and close at shutdown, generators the app
        # leaves unfinished; selector loops keep their ready queue and timers where a first
        # step can see whether a turn is needed (other loops always get a turn).
        self._agen_hooks = (
            getattr(loop, "_asyncgen_firstiter_hook", None),
            getattr(loop, "_asyncgen_finalizer_hook", None),
        )
        self._ready: Sized | None = getattr(loop, "_ready", None)
        self._timers: list[asyncio.TimerHandle] | None = getattr(loop, "_scheduled", None)
        # Queued when a turn is needed: bound once, and run in a context of its own rather
        # than a copy of the caller's (stopping the loop reads no context variable).
        self._stop = loop.stop
        self._stop_context = contextvars.Context()
        try:
            self.lifespan = Lifespan(app, loop, mode=lifespan)
            self.lifespan.startup()
        except BaseException:
            # The init fails: leave no open loop and no suspended lifespan task behind.
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()
            asyncio.set_event_loop(None)
            raise
        self._host = loop.create_task(self._carry())
        self._host.add_done_callback(self._host_ended)
        self._turn()  # the request task starts, and waits for a request

    def __call__(self, request: Request) -> Response:
        cycle = HTTPCycle(request.body)
        self.run(request, cycle)
        return cycle.response()

    def run(self, request: Request, cycle: Cycle) -> None:
        """Run the app for ``request`` through ``cycle`` (buffered, or one that streams) on
        this environment's loop, under the deadline watchdog."""
        scope = request_to_scope(request, self.lifespan.state, root_in_path=self.root_in_path)
        loop = self.loop
        call = self.app(scope, cycle.receive, cycle.send)
        if call.__class__ is not CoroutineType:
            call = _awaited(call)
        self._remaining = remaining = getattr(request.context, "get_remaining_time_in_millis", None)
        if self._watchdog is None and remaining is not None:
            # Queued, so the loop's first turn arms it.
            self._watchdog = loop.call_soon(self._watch)
        if _get_running_loop() is not None:
            call.close()
            raise RuntimeError("Cannot run the event loop while another loop is running")
        context = copy_context()
        host = self._host
        hooks = get_asyncgen_hooks()
        set_asyncgen_hooks(*self._agen_hooks)
        _set_running_loop(loop)
        _enter_task(loop, host)
        outcome: BaseException | None = None
        try:
            yielded = context.run(call.send, None)
        except StopIteration:
            pass
        except BaseException as exc:
            outcome = exc
        else:
            # It waits for something: the request task carries it on, to its end.
            self._pending = (call, context, yielded)
            self._in_flight = True
        finally:
            _leave_task(loop, host)
            _set_running_loop(None)
            set_asyncgen_hooks(*hooks)
        expired = False
        if self._in_flight:
            try:
                outcome = self._carried_on()
            finally:
                expired, self._expired = self._expired, False
        else:
            # A turn only when the loop has something to run: queued callbacks, or a timer
            # whose time has come (the soonest may be cancelled: the turn drops it).
            ready, timers = self._ready, self._timers
            if (
                ready is None
                or timers is None
                or ready
                or (timers and timers[0].when() <= loop.time())
            ):
                self._turn()
        self._remaining = None
        if outcome is not None:
            self._raise(outcome, cycle, expired)

    def _turn(self) -> None:
        """One turn of the loop: what is queued now runs, what that queues waits."""
        self.loop.call_soon(self._stop, context=self._stop_context)
        self.loop.run_forever()

    def _carried_on(self) -> BaseException | None:
        """Wake the request task for the pending request and run the loop until it ends."""
        self._finished = finished = self.loop.create_future()
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)
        # Until a task that waits for it ends, rather than the future itself: anyio takes the
        # task run_until_complete runs as its root task, whose end stops the worker threads
        # the request started (to_thread), as a request's own task did. Bound to the request
        # task instead, they would outlive it and hold up the interpreter's exit.
        self.loop.run_until_complete(_awaited(finished))
        outcome, self._outcome = self._outcome, None
        return outcome

    def _raise(self, outcome: BaseException, cycle: Cycle, expired: bool) -> None:
        """Raise what the caller makes of a request that ended with ``outcome`` (``expired``:
        cancelled by the watchdog)."""
        if isinstance(outcome, asyncio.CancelledError):
            if cycle.complete:
                # Cancelled at the deadline while finishing background work (a Starlette
                # BackgroundTask): the response the app already gave stands.
                return
            if expired:
                raise AppTimeout(
                    f"ASGI app cancelled {self.timeout_margin_ms} ms before the Lambda "
                    "deadline (context.get_remaining_time_in_millis())"
                ) from None
            # CancelledError is a BaseException: left alone it would escape the handler.
            raise ProtocolError(
                "ASGI app raised CancelledError (not cancelled by lambgate)"
            ) from None
        if isinstance(outcome, Exception) and cycle.complete:
            # The response was complete: the client gets it; the caller only logs this.
            raise CompletedWithError(cycle.response()) from outcome
        raise outcome

    async def _carry(self) -> None:
        """The environment's request task: idle between requests, it runs each request that
        suspended in its first step on to its end, and lives until the environment closes."""
        host = self._host
        while True:
            self._wake = wake = self.loop.create_future()
            thrown: BaseException | None = None
            try:
                await wake
            except asyncio.CancelledError as exc:
                if self._closing:
                    raise
                # Cancelled while the request's first step ran (what a task would throw into
                # its coroutine at the next step), or while idle (nothing to cancel).
                thrown = exc
            pending, self._pending = self._pending, None
            if pending is not None:
                try:
                    await _resumed(*pending, thrown)
                except BaseException as exc:
                    if exc.__class__ is GeneratorExit:
                        raise
                    self._outcome = exc
            # A cancellation the request ended with (or swallowed) is spent: the next request
            # starts in a task that is not being cancelled.
            while host.cancelling():
                host.uncancel()
            if pending is not None:
                self._in_flight = False
                finished = self._finished
                if finished is not None and not finished.done():
                    finished.set_result(None)
            del pending, thrown

    def _host_ended(self, host: asyncio.Task[None]) -> None:
        """The request task ends only when the environment closes; should it end otherwise,
        a request waiting for it must not wait for ever."""
        finished = self._finished
        if finished is not None and not finished.done():
            self._outcome = RuntimeError(f"lambgate's request task ended: {host!r}")
            finished.set_result(None)

    def _watch(self) -> None:
        """Cancel the request in flight if its deadline (less the margin) has come, and wait
        for it, or for the deadline of a request to come, otherwise."""
        self._watchdog = None
        remaining = self._remaining
        if remaining is None:  # no request, or one without a deadline: a later one re-arms
            return
        left_ms = remaining() - self.timeout_margin_ms
        if left_ms <= 0 and self._in_flight:
            self._expired = True
            self._host.cancel()
        else:
            self._watchdog = self.loop.call_later(max(left_ms, 0) / 1000, self._watch)

    def close(self) -> None:
        """Run lifespan shutdown and close the loop (the environment is ending), cancelling
        whatever the app left running so nothing is destroyed while pending."""
        loop = self.loop
        if loop.is_closed():
            return
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.lifespan.shutdown()
        self._closing = True
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@types.coroutine
def _resumed(
    coro: Coroutine[Any, Any, None],
    context: contextvars.Context,
    yielded: Any,
    thrown: BaseException | None,
) -> Generator[Any, None, None]:
    """A request's coroutine, carried on inside the request task from where its first step,
    taken outside, stopped (having yielded ``yielded``, or with ``thrown`` to throw into it).

    What the coroutine yields goes to the task as it is (a future to wait for, or ``None`` for
    a bare yield), and what the task throws in (a cancellation) is thrown into the coroutine:
    the task drives it as if it had been its own from the start, each step in the request's
    context."""
    send, throw, run = coro.send, coro.throw, context.run
    step: Any = throw if thrown is not None else None
    value: Any = thrown
    while True:
        if step is None:
            try:
                value = yield yielded
            except BaseException as exc:
                step, value = throw, exc
            else:
                step = send
        try:
            yielded = run(step, value)
        except StopIteration:
            return
        step = value = None


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
