"""How lambgate runs an ASGI app's coroutine: what asyncio, anyio and the app can tell.

A request's first step runs outside any turn of the event loop (most requests finish in it),
inside the environment's one request task, which carries on a request that suspends. To the
app that must look like a task of its own running on a running loop: ``current_task()`` is a
task and the same one all the request long (anyio's cancel scopes and ``asyncio.timeout``
refuse to exit in another task), a cancellation ends with the request, context variables stay
the request's, and what the app starts without awaiting still runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import anyio

from lambgate import make_handler
from tests.factories import make_http_v2_event, make_lambda_context

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ROOT = Path(__file__).resolve().parents[2]


async def send_text(send: Send, text: str) -> None:
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": text.encode()})


def body(result: dict[str, Any]) -> str:
    assert result["statusCode"] == 200, result
    text: str = result["body"]
    return text


def test_the_app_runs_in_one_task_from_its_first_step_to_its_end() -> None:
    seen: list[object] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        first = asyncio.current_task()
        asyncio.get_running_loop()  # raises outside a running loop
        await asyncio.sleep(0)  # a bare yield: the task's next step
        after_yield = asyncio.current_task()
        await asyncio.sleep(0.01)  # a future: the task waits for it
        seen.extend([first, after_yield, asyncio.current_task()])
        await send_text(send, "ok")

    handle = make_handler(app, lifespan="off")

    assert body(handle(make_http_v2_event(), make_lambda_context())) == "ok"
    first, after_yield, last = seen
    assert isinstance(first, asyncio.Task)
    assert first is after_yield is last


def test_anyio_cancel_scopes_work_across_suspensions_and_leave_the_next_request_alone() -> None:
    """Starlette and FastAPI run every request inside anyio cancel scopes, which record the
    task they are entered in; a scope entered in the first step is left after a suspension."""
    outcomes: list[object] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/timeout":
            with anyio.move_on_after(0.01) as timed_out:
                await anyio.sleep(5)
            outcomes.append(timed_out.cancelled_caught)
        else:
            with anyio.CancelScope():
                await anyio.sleep(0)
            task = asyncio.current_task()
            assert task is not None
            outcomes.append(task.cancelling())
        await send_text(send, "ok")

    handle = make_handler(app, lifespan="off")

    assert body(handle(make_http_v2_event(path="/timeout"), make_lambda_context())) == "ok"
    assert body(handle(make_http_v2_event(path="/next"), make_lambda_context())) == "ok"
    # The first request's scope caught its own cancellation; the next one starts uncancelled.
    assert outcomes == [True, 0]


def test_asyncio_timeout_and_task_groups_work_in_a_request() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(5)
        except TimeoutError:
            timed_out = "timed out"
        async with asyncio.TaskGroup() as group:
            child = group.create_task(asyncio.sleep(0, "child"))
        await send_text(send, f"{timed_out}, {child.result()}")

    handle = make_handler(app, lifespan="off")

    for _ in range(2):
        assert body(handle(make_http_v2_event(), make_lambda_context())) == "timed out, child"


def test_a_cancelled_request_is_a_504_and_the_next_one_is_not_cancelled() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/slow":
            await asyncio.sleep(30)
        await asyncio.sleep(0.01)  # the task would be cancelled here if it still were
        await send_text(send, "ok")

    handle = make_handler(app, lifespan="off", timeout_margin_ms=500)

    timed_out = handle(make_http_v2_event(path="/slow"), make_lambda_context(remaining_ms=600))
    served = handle(make_http_v2_event(path="/next"), make_lambda_context(remaining_ms=600))

    assert timed_out["statusCode"] == 504
    assert body(served) == "ok"


def test_each_request_runs_in_its_own_copy_of_the_context() -> None:
    user: contextvars.ContextVar[str] = contextvars.ContextVar("user", default="nobody")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        before = user.get()
        user.set(scope["path"])
        if scope["path"] == "/suspends":
            await asyncio.sleep(0)
        await send_text(send, f"{before} {user.get()}")

    handle = make_handler(app, lifespan="off")

    answers = [
        body(handle(make_http_v2_event(path=path), make_lambda_context()))
        for path in ("/a", "/suspends", "/b")
    ]

    assert answers == ["nobody /a", "nobody /suspends", "nobody /b"]
    assert user.get() == "nobody"


def test_a_task_the_app_starts_and_does_not_await_runs_before_the_invocation_ends() -> None:
    """A request that finishes in its first step gets no turn of the loop unless something
    is due: here a task was queued, so it runs before the handler returns."""
    ran: list[str] = []

    async def log_it(path: str) -> None:
        ran.append(path)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        asyncio.get_running_loop().create_task(log_it(scope["path"]))
        await send_text(send, "ok")

    handle = make_handler(app, lifespan="off")

    body(handle(make_http_v2_event(path="/first"), make_lambda_context()))
    assert ran == ["/first"]


def test_an_async_generator_left_unfinished_is_closed_by_the_loop() -> None:
    """The loop's async-generator hooks are set while the app's first step runs, as
    run_forever sets them: a generator the app drops unfinished is closed (``aclose``) on the
    loop, whose ``finally`` may await, instead of being thrown GeneratorExit outside it."""
    closed: list[str] = []

    async def numbers() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            await asyncio.sleep(0)
            closed.append("closed")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        generator = numbers()
        number = await anext(generator)
        del generator  # unfinished
        await send_text(send, str(number))

    handle = make_handler(app, lifespan="off")

    for _ in range(4):
        assert body(handle(make_http_v2_event(), make_lambda_context())) == "1"
    # Each aclose runs as a task of its own, a step per turn: the first have finished.
    assert closed[:2] == ["closed", "closed"]


def test_a_request_cannot_run_inside_a_running_event_loop() -> None:
    """As ``run_forever`` refuses to: a 500, and the loop that was running is left as it was."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send_text(send, "ok")

    handle = make_handler(app, lifespan="off")

    async def main() -> int:
        status: int = handle(make_http_v2_event(), make_lambda_context())["statusCode"]
        asyncio.get_running_loop()  # still this one's
        await asyncio.sleep(0)
        return status

    other = asyncio.new_event_loop()  # not asyncio.run: it would unset the current loop
    try:
        assert other.run_until_complete(main()) == 500
    finally:
        other.close()
    assert body(handle(make_http_v2_event(), make_lambda_context())) == "ok"


def test_the_interpreter_exits_after_requests_that_used_worker_threads() -> None:
    """anyio stops the worker threads a request started (Starlette runs a plain ``def``
    endpoint in one) when the task it takes for its root ends; one that outlived its request
    would keep the interpreter from exiting."""
    script = textwrap.dedent(
        """
        from starlette.applications import Starlette
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route

        from lambgate import make_handler
        from tests.factories import make_http_v2_event, make_lambda_context

        def hello(request):
            return PlainTextResponse("hello from a thread")

        handle = make_handler(Starlette(routes=[Route("/", hello)]))
        for _ in range(3):
            print(handle(make_http_v2_event(), make_lambda_context())["body"])
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["hello from a thread"] * 3
