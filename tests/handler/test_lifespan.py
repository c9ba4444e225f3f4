"""ASGI lifespan once per execution environment: startup during init, its state in every
request, shutdown when the environment ends (runner.close(), interpreter exit or SIGTERM).

Lifespan spec: https://asgi.readthedocs.io/en/latest/specs/lifespan.html
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from lambgate import ConfigurationError, LifespanError, make_handler
from lambgate.asgi import ASGIRunner
from lambgate.events import DEFAULT_OPTIONS, get_source
from tests.factories import make_http_v2_event, make_lambda_context

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ROOT = Path(__file__).resolve().parents[2]
TEXT = [(b"content-type", b"text/plain")]


class LifespanApp:
    """An ASGI app that speaks lifespan and records what it was asked to do."""

    def __init__(self, *, startup_answer: Message | None = None) -> None:
        self.startup_answer = startup_answer or {"type": "lifespan.startup.complete"}
        self.startups = 0
        self.shutdowns = 0
        self.request_states: list[dict[str, Any] | None] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.startups += 1
                    scope["state"]["pool"] = f"pool #{self.startups}"
                    await send(self.startup_answer)
                elif message["type"] == "lifespan.shutdown":
                    self.shutdowns += 1
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        state = scope.get("state")
        self.request_states.append(dict(state) if state is not None else None)
        if state is not None:
            # A request writing to its state must not be seen by the next request.
            state["written by"] = scope["path"]
        await send({"type": "http.response.start", "status": 200, "headers": TEXT})
        await send({"type": "http.response.body", "body": b"ok"})


async def http_only_app(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that never heard of lifespan: it fails on any other scope type."""
    if scope["type"] != "http":
        raise ValueError(f"cannot handle {scope['type']!r}")
    await send({"type": "http.response.start", "status": 200, "headers": TEXT})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize("mode", ["auto", "on"])
def test_startup_runs_once_during_init_for_many_requests(mode: str) -> None:
    app = LifespanApp()

    lambda_handler = make_handler(app, lifespan=mode)
    assert app.startups == 1  # during init, before any request
    results = [
        lambda_handler(make_http_v2_event(path=f"/{number}"), make_lambda_context())
        for number in range(5)
    ]

    assert [result["statusCode"] for result in results] == [200] * 5
    assert (app.startups, app.shutdowns) == (1, 0)


def test_state_reaches_every_request_and_each_request_gets_its_own_copy() -> None:
    app = LifespanApp()
    lambda_handler = make_handler(app, lifespan="on")

    for path in ("/first", "/second", "/third"):
        lambda_handler(make_http_v2_event(path=path), make_lambda_context())

    # Each request saw the startup state only, never what an earlier request wrote.
    assert app.request_states == [{"pool": "pool #1"}] * 3


def test_off_never_sends_lifespan_and_requests_have_no_state() -> None:
    app = LifespanApp()
    lambda_handler = make_handler(app, lifespan="off")

    result = lambda_handler(make_http_v2_event(), make_lambda_context())

    assert result["statusCode"] == 200
    assert app.startups == 0
    assert app.request_states == [None]


def test_auto_serves_an_app_without_lifespan() -> None:
    lambda_handler = make_handler(http_only_app, lifespan="auto")

    result = lambda_handler(make_http_v2_event(), make_lambda_context())

    assert (result["statusCode"], result["body"]) == (200, "ok")


def test_on_fails_init_for_an_app_without_lifespan() -> None:
    with pytest.raises(LifespanError) as caught:
        make_handler(http_only_app, lifespan="on")

    assert str(caught.value) == (
        "ASGI lifespan 'lifespan.startup' raised: ValueError(\"cannot handle 'lifespan'\")"
    )


@pytest.mark.parametrize("mode", ["auto", "on"])
def test_reported_startup_failure_fails_init_with_the_apps_message(mode: str) -> None:
    app = LifespanApp(
        startup_answer={"type": "lifespan.startup.failed", "message": "database unreachable"}
    )

    with pytest.raises(LifespanError) as caught:
        make_handler(app, lifespan=mode)

    assert str(caught.value) == "ASGI lifespan startup failed: database unreachable"


def test_on_fails_init_when_the_app_returns_without_answering_startup() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

    with pytest.raises(LifespanError) as caught:
        make_handler(app, lifespan="on")

    assert "returned from lifespan without answering startup" in str(caught.value)


def test_failed_init_leaves_no_event_loop_open() -> None:
    # Lambda retries a failed init in a fresh process, but a test suite or a process that
    # makes handlers in a loop would leak a loop and its self-pipe sockets each time.
    with pytest.raises(LifespanError):
        make_handler(http_only_app, lifespan="on")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.set_event_loop(None)  # drop the thread's reference to the failed loop
        gc.collect()

    assert [str(warning.message) for warning in caught] == []


def test_unknown_mode_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_handler(LifespanApp(), lifespan="yes")

    assert str(caught.value) == "lifespan must be 'auto', 'on' or 'off', not 'yes'"


def test_runner_close_runs_shutdown_once() -> None:
    app = LifespanApp()
    runner = ASGIRunner(app, lifespan="on", timeout_margin_ms=500)

    runner.close()
    runner.close()

    assert (app.startups, app.shutdowns) == (1, 1)
    assert runner.loop.is_closed()


def test_failed_shutdown_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.failed", "message": "pool did not drain"})

    runner = ASGIRunner(app, lifespan="on", timeout_margin_ms=500)
    with caplog.at_level(logging.ERROR, logger="lambgate"):
        runner.close()

    assert [record.getMessage() for record in caplog.records] == [
        "ASGI lifespan shutdown failed: pool did not drain"
    ]


def test_starlette_lifespan_state_reaches_requests_and_shuts_down() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, str]]:
        events.append("startup")
        yield {"greeting": "hello from startup"}
        events.append("shutdown")

    async def greet(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse(request.state.greeting)

    app = Starlette(routes=[Route("/", greet)], lifespan=lifespan)
    runner = ASGIRunner(app, lifespan="on", timeout_margin_ms=500)

    http_api = get_source("http")
    bodies = [
        runner(http_api.event_to_request(make_http_v2_event(), None, DEFAULT_OPTIONS)).body
        for _ in range(3)
    ]
    runner.close()

    assert bodies == [b"hello from startup"] * 3
    assert events == ["startup", "shutdown"]


LIFESPAN_SCRIPT = """
import signal, sys, time
from lambgate import make_handler

async def app(scope, receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            print("startup", flush=True)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            print("shutdown", flush=True)
            await send({"type": "lifespan.shutdown.complete"})
            return
"""


class Script:
    """A Python process running ``source``, its stdout read line by line with a deadline."""

    def __init__(self, source: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", source],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("<EOF>")

    def read_line(self, timeout: float = 20) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            self.process.kill()
            self.process.communicate(timeout=5)
            pytest.fail(f"no output within {timeout} s")

    def rest(self, timeout: float = 20) -> tuple[list[str], int, str]:
        """Every further line of stdout, the exit status and stderr, once the process ends."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate(timeout=5)
            raise
        lines = []
        while (line := self.read_line()) != "<EOF>":
            lines.append(line)
        assert self.process.stdout is not None and self.process.stderr is not None
        with self.process.stdout, self.process.stderr:
            return lines, self.process.returncode, self.process.stderr.read()


def test_sigterm_runs_shutdown_and_exits_cleanly() -> None:
    # Lambda sends SIGTERM before it shuts an execution environment down (with an extension
    # registered): https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
    script = Script(
        LIFESPAN_SCRIPT
        + """
lambda_handler = make_handler(app)
print("ready", flush=True)
while True:
    time.sleep(0.05)  # waiting for the next invocation
"""
    )
    assert script.read_line() == "startup"
    assert script.read_line() == "ready"

    script.process.send_signal(signal.SIGTERM)
    lines, status, stderr = script.rest()

    assert (lines, status) == (["shutdown"], 0), stderr


def test_sigterm_still_reaches_a_handler_installed_before() -> None:
    script = Script(
        LIFESPAN_SCRIPT
        + """
def runtime_handler(signum, frame):
    print("runtime handler", flush=True)
    sys.exit(3)

signal.signal(signal.SIGTERM, runtime_handler)
lambda_handler = make_handler(app)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""
    )
    assert script.read_line() == "startup"
    assert script.read_line() == "ready"

    script.process.send_signal(signal.SIGTERM)
    lines, status, stderr = script.rest()

    assert (lines, status) == (["shutdown", "runtime handler"], 3), stderr


def test_interpreter_exit_runs_shutdown() -> None:
    script = Script(LIFESPAN_SCRIPT + "\nlambda_handler = make_handler(app)\n")

    lines, status, stderr = script.rest()

    assert (lines, status) == (["startup", "shutdown"], 0), stderr


async def scope_blind_app(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that answers every scope as a request, as many hand-written apps do."""
    await send({"type": "http.response.start", "status": 200, "headers": TEXT})
    await send({"type": "http.response.body", "body": b"ok"})


def test_auto_serves_an_app_that_answers_lifespan_as_a_request() -> None:
    # uvicorn's lifespan="auto" treats this as "lifespan unsupported" and serves the app.
    lambda_handler = make_handler(scope_blind_app, lifespan="auto")

    result = lambda_handler(make_http_v2_event(), make_lambda_context())

    assert (result["statusCode"], result["body"]) == (200, "ok")


def test_on_fails_init_for_an_app_that_answers_lifespan_as_a_request() -> None:
    with pytest.raises(LifespanError) as caught:
        make_handler(scope_blind_app, lifespan="on")

    assert str(caught.value) == (
        "ASGI lifespan 'lifespan.startup' raised: "
        "LifespanError(\"ASGI app sent 'http.response.start' to a lifespan scope\")"
    )
