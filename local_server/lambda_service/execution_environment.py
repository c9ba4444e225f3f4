"""One execution environment: a worker process and the Runtime API it is driven through.

The worker runs ``bootstrap.py`` (or any Runtime API client, such as AWS's
``awslambdaric``) with the function's ``CodeUri`` as working directory and first on
``sys.path``, and the environment variables Lambda sets (:mod:`.runtime_variables`). Its
Runtime API endpoint (:mod:`.runtime_api`) listens on its own 127.0.0.1 port. The
handler is imported once (the cold start, reported as ``Init Duration``); a timeout or a crash
ends the worker and its children, as Lambda resets such an environment
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from lambgate.lambda_limits import STREAMED_RESPONSE_LIMIT
from lambgate.local.front.server import HTTPServer, Limits, start_server

from .exec_wrapper import wrapped_command
from .function import LATEST, FunctionConfig, InvocationResult
from .function_errors import (
    error_payload,
    exit_description,
    response_too_large_document,
    runtime_exit_document,
    timeout_document,
)
from .report import Outcome, PeakMemory, milliseconds, report_line
from .response_stream import TOO_LARGE, InvocationStream
from .runtime_api import InvocationRequest, RuntimeAPI, RuntimeReply
from .runtime_variables import log_stream_name, runtime_variables
from .waiting import first_done
from .worker.debugger import DEBUGGING
from .worker_log import LOG_TAIL_BYTES, LogSink, WorkerLog
from .worker_options import WorkerOptions, worker_variables

__all__ = [
    "KILL_WAIT_S",
    "MAX_TIMEOUT_S",
    "RUNTIME_API_MAX_BODY",
    "ExecutionEnvironment",
    "StreamTaker",
]

#: Takes a streamed response as soon as the runtime starts posting it, to read it while it is
#: written (an ``InvokeWithResponseStream`` caller: a function URL in ``RESPONSE_STREAM`` mode,
#: a REST API in ``STREAM`` mode, the Invoke API's streaming call).
StreamTaker = Callable[[InvocationStream], None]

#: Lambda's largest function timeout (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
MAX_TIMEOUT_S = 900.0

#: The largest body the Runtime API endpoint reads before its own 413 takes over.
RUNTIME_API_MAX_BODY = STREAMED_RESPONSE_LIMIT + 1024 * 1024

#: How long a worker gets to exit after SIGKILL before we stop waiting for it.
KILL_WAIT_S = 5.0


class ExecutionEnvironment:
    """One worker process and its Runtime API; serves one invocation at a time.

    Started lazily by its first invocation (the cold start). After a timeout, a crash or an init
    error it is :attr:`dead` and the pool drops it.
    """

    def __init__(
        self,
        config: FunctionConfig,
        command: Sequence[str],
        sink: LogSink,
        *,
        init_timeout: float,
        options: WorkerOptions | None = None,
    ) -> None:
        self.config = config
        self.options = options or WorkerOptions()
        #: Untimed: a debugger holds this invocation (``--debug-port``, or a ``breakpoint()``
        #: the worker reported); neither init nor the invocation times out meanwhile.
        self.debugging = self.options.debug_port is not None
        #: How long init may take before Lambda retries it within the invocation.
        self.init_timeout = init_timeout
        self.command = list(command)
        self.sink = sink
        self.api: RuntimeAPI | None = None
        self.server: HTTPServer | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.log: WorkerLog | None = None
        self.exited: asyncio.Task[int] | None = None
        self.initialized = False
        self.dead = False
        #: Set by :meth:`FunctionRuntime.recycle`: serve the invocation in hand, then end.
        self.retired = False
        self.max_memory_mb = 0
        self.memory: PeakMemory | None = None
        #: What the inspector's environments view shows: when the worker started (wall
        #: clock), how many invocations it has served, whether one runs now.
        self.started_at: float | None = None
        self.invocations = 0
        self.busy = False

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    async def _spawn(self) -> float:
        self.api = RuntimeAPI()
        self.server = await start_server(
            self.api.handle,
            host="127.0.0.1",
            port=0,
            # Kept-alive runtime connections sit idle while the handler runs (up to Lambda's
            # 900 s maximum timeout), and must not be dropped meanwhile.
            # Oversized responses must reach the Runtime API to be refused as Lambda does
            # (413, then Function.ResponseSizeTooLarge), not by the HTTP layer.
            limits=Limits(max_body=RUNTIME_API_MAX_BODY, idle_timeout=MAX_TIMEOUT_S + 60),
            # lambgate's runtime client posts a result with its next /next behind it: the 202
            # leaves with the next event, one wake-up of the worker for both.
            coalesce_pipelined=True,
            # A streamed response is read as the function writes it (response_stream.py).
            streams_body=RuntimeAPI.streams_body,
        )
        self.log = WorkerLog(self.sink, on_control=self._control)
        self.started_at = time.time()
        variables = runtime_variables(
            self.config, f"127.0.0.1:{self.server.port}", log_stream_name()
        )
        variables |= await asyncio.to_thread(worker_variables, self.config, self.options)
        started = asyncio.get_running_loop().time()
        try:
            self.process = await asyncio.create_subprocess_exec(
                # Behind the function's AWS_LAMBDA_EXEC_WRAPPER, as Lambda starts it.
                *wrapped_command(self.config, self.command),
                cwd=self.config.code_uri,
                env=variables,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=self.log.write_fd,
                stderr=self.log.write_fd,
                # Its own process group, so a timeout ends the function's children too.
                start_new_session=True,
            )
        finally:
            self.log.start()
        self.exited = asyncio.create_task(self.process.wait())
        self.memory = PeakMemory(self.process.pid)
        return started

    async def invoke(
        self, request: InvocationRequest, on_stream: StreamTaker | None = None
    ) -> InvocationResult:
        """Run one invocation; a streamed response goes to ``on_stream`` as it begins (and is
        buffered whole without it, as ``Invoke`` buffers it)."""
        self.busy = True
        self.invocations += 1
        try:
            return await self._invoke(request, on_stream)
        finally:
            self.busy = False

    async def _invoke(
        self, request: InvocationRequest, on_stream: StreamTaker | None
    ) -> InvocationResult:
        loop = asyncio.get_running_loop()
        self.debugging = self.options.debug_port is not None
        cold = self.process is None
        init_duration: float | None = None
        if cold:
            spawned = await self._spawn()
            outcome_or_ready = await self._await_init(spawned, request.request_id)
            if isinstance(outcome_or_ready, Outcome):
                return self._finish(request, outcome_or_ready, spawned, None, cold=True)
            init_duration = milliseconds(outcome_or_ready - spawned)
        assert self.api is not None and self.exited is not None
        self._say_start(request.request_id)
        timeout = self.config.timeout
        request = _with_deadline(request, timeout)
        delivered, reply = self.api.submit(request)
        if not delivered.done():
            # The runtime is parked in /next, so delivery is immediate unless it has not asked
            # yet, or died meanwhile (or never asks again: then the deadline ends it like any
            # stuck invocation).
            first: set[asyncio.Future[Any]] = {delivered, self.exited}
            await self._wait(first, timeout)
        start = delivered.result() if delivered.done() else loop.time()
        remaining = max(start + timeout - loop.time(), 0)
        second: set[asyncio.Future[Any]] = {reply, self.exited}
        await self._wait(second, remaining)
        streamed: int | None = None
        if reply.done() and (stream := reply.result().stream) is not None:
            outcome = await self._follow(request.request_id, stream, on_stream, start + timeout)
            streamed = stream.size if on_stream is not None else None
        else:
            outcome = await self._judge(request.request_id, reply, timeout)
        result = self._finish(request, outcome, start, init_duration, cold=cold)
        return result if streamed is None else replace(result, streamed=streamed)

    async def _follow(
        self,
        request_id: str,
        stream: InvocationStream,
        on_stream: StreamTaker | None,
        deadline: float,
    ) -> Outcome:
        """A streamed response, from its head to its end: handed to ``on_stream`` to read as
        it is written, or buffered whole; the function's deadline still holds."""
        assert self.exited is not None
        loop = asyncio.get_running_loop()
        buffered: asyncio.Task[bytes] | None = None
        if on_stream is not None:
            on_stream(stream)
        else:
            buffered = asyncio.create_task(stream.read_all())
        waiting: set[asyncio.Future[Any]] = {stream.ended, self.exited}
        await self._wait(waiting, max(deadline - loop.time(), 0))
        timeout = self.config.timeout
        if not stream.ended.done():
            # The runtime died mid-stream, or the deadline came: Lambda ends the stream with
            # the invocation's error, and the environment with it.
            if not self.exited.done():
                stream.fail("Sandbox.Timedout", timeout_document(request_id, timeout))
            else:
                status = exit_description(self.exited.result())
                stream.fail("Runtime.ExitError", runtime_exit_document(request_id, status))
            if buffered is not None:
                await buffered
            return await self._judge(request_id, None, timeout)
        end = stream.ended.result()
        if buffered is not None:
            await buffered
        if end.broken:  # the runtime's connection dropped before the stream's end
            await first_done(self.exited, timeout=1.0)
            return await self._judge(request_id, None, timeout)
        self._sample_memory()
        if end.error_type == TOO_LARGE:
            self._say(
                f"RequestId: {request_id} Error: the streamed response passed Lambda's "
                f"{stream.limit}-byte limit for streamed responses and was ended there "
                "(Function.ResponseSizeTooLarge)"
            )
        if end.error_type is not None and end.error_body is not None:
            return Outcome(end.error_body, "Unhandled", end.at, "error")
        payload = buffered.result() if buffered is not None else b""
        return Outcome(payload, None, end.at)

    async def initialize(self) -> tuple[str, str] | None:
        """Start the worker and import the handler now, before any invocation (SAM's
        ``--warm-containers EAGER``); ``(error type, message)`` when that fails.

        Init gets what it would get within a first invocation: Lambda's 10 s, then the
        function's timeout for the retry. The next invocation is then warm.
        """
        spawned = await self._spawn()
        assert self.api is not None and self.exited is not None
        ready, failed = self.api.initialized, self.api.init_error
        waiting: set[asyncio.Future[Any]] = {ready, failed, self.exited}
        await asyncio.wait(
            waiting,
            timeout=self.init_timeout + self.config.timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready.done():
            self.initialized = True
            self._sample_memory()
            return None
        exited = self.exited.result() if self.exited.done() else None
        failure: tuple[str, str]
        if failed.done():
            document = json.loads(error_payload(failed.result()))
            failure = str(document.get("errorType")), str(document.get("errorMessage"))
        elif exited is not None:
            failure = "Runtime.ExitError", f"Runtime exited with error: {exit_description(exited)}"
        else:
            seconds = self.init_timeout + self.config.timeout
            failure = "Sandbox.Timedout", f"the handler was not imported within {seconds:g} s"
        elapsed = milliseconds(asyncio.get_running_loop().time() - spawned)
        await self._kill()
        self._say(
            f"INIT_REPORT Init Duration: {elapsed:.2f} ms\tPhase: init\tStatus: error\t"
            f"Error Type: {failure[0]}"
        )
        return failure

    async def _await_init(self, spawned: float, request_id: str) -> float | Outcome:
        """The loop time the runtime became ready, or why the invocation fails instead."""
        assert self.api is not None and self.exited is not None
        ready, failed = self.api.initialized, self.api.init_error
        waiting: set[asyncio.Future[Any]] = {ready, failed, self.exited}
        await self._wait(waiting, self.init_timeout)
        if not any(future.done() for future in waiting):
            # Lambda retries a slow init within the invocation, under the function's timeout.
            self._say(
                f"INIT_REPORT Init Duration: {self.init_timeout * 1000:.2f} ms\t"
                "Phase: init\tStatus: timeout"
            )
            await asyncio.wait(
                waiting, timeout=self.config.timeout, return_when=asyncio.FIRST_COMPLETED
            )
        if ready.done():
            self.initialized = True
            self._sample_memory()
            return ready.result()
        if failed.done():
            init_error = failed.result()
            self._sample_memory()
            await self._kill()
            self._say(
                f"INIT_REPORT Init Duration: {milliseconds(init_error.at - spawned):.2f} ms\t"
                f"Phase: init\tStatus: error\tError Type: {init_error.error_type}"
            )
            self._say_start(request_id)
            return Outcome(error_payload(init_error), "Unhandled", init_error.at, "error")
        self._say_start(request_id)
        return await self._judge(request_id, None, self.config.timeout)

    async def _wait(self, futures: set[asyncio.Future[Any]], timeout: float) -> None:
        """Until the first of ``futures`` is done, for ``timeout`` seconds, and then on for as
        long as a debugger holds the invocation."""
        await first_done(*futures, timeout=timeout)
        if self.debugging and not any(future.done() for future in futures):
            await first_done(*futures, timeout=None)

    def _control(self, message: str) -> None:
        """A line the worker wrote for the emulator (:data:`.worker.debugger.CONTROL`)."""
        if message == DEBUGGING:
            self.debugging = True

    async def _judge(
        self, request_id: str, reply: asyncio.Future[RuntimeReply] | None, timeout: float
    ) -> Outcome:
        """Turn what happened (reply, exit, or nothing before the deadline) into the result."""
        assert self.exited is not None
        now = asyncio.get_running_loop().time()
        if reply is not None and reply.done():
            answer = reply.result()
            self._sample_memory()
            if answer.kind == "response":
                return Outcome(answer.body, None, answer.at)
            if answer.kind == "too_large":
                return Outcome(response_too_large_document(), "Unhandled", answer.at, "error")
            return Outcome(error_payload(answer), "Unhandled", answer.at, "error")
        if self.exited.done():
            self.dead = True
            status = exit_description(self.exited.result())
            self._say(f"RequestId: {request_id} Error: Runtime exited with error: {status}")
            await self._kill()
            return Outcome(runtime_exit_document(request_id, status), "Unhandled", now, "error")
        # Lambda ends the environment at the deadline and answers Sandbox.Timedout.
        self._sample_memory()
        await self._kill()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        self._say(f"{stamp}Z {request_id} Task timed out after {timeout:.2f} seconds")
        return Outcome(timeout_document(request_id, timeout), "Unhandled", now, "timeout")

    def _finish(
        self,
        request: InvocationRequest,
        outcome: Outcome,
        start: float,
        init_duration: float | None,
        *,
        cold: bool,
    ) -> InvocationResult:
        duration = milliseconds(max(outcome.end - start, 0))
        # Since August 2025 the init phase is billed for every runtime, so a cold invocation
        # bills both (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/);
        # billing rounds up to the millisecond.
        billed = math.ceil(duration + (init_duration or 0.0))
        report = report_line(
            request_id=request.request_id,
            duration_ms=duration,
            billed_ms=billed,
            memory_size=self.config.memory_size,
            max_memory_mb=self.max_memory_mb,
            init_duration_ms=init_duration,
            status=outcome.status,
        )
        if self.log is not None:
            self.log.drain()
        self._say(f"END RequestId: {request.request_id}")
        self._say(report)
        log_tail = self.log.take()[-LOG_TAIL_BYTES:] if self.log is not None else b""
        return InvocationResult(
            request_id=request.request_id,
            payload=outcome.payload,
            function_error=outcome.function_error,
            cold=cold,
            init_duration_ms=init_duration,
            duration_ms=duration,
            billed_ms=billed,
            max_memory_mb=self.max_memory_mb,
            report_line=report,
            log_tail=log_tail,
        )

    def _sample_memory(self) -> None:
        if self.memory is not None:
            peak = self.memory.megabytes()
            if peak is not None:
                self.max_memory_mb = max(self.max_memory_mb, peak)

    def _say(self, line: str) -> None:
        """A line of the service's own (START, END, REPORT, …), logged in order with the
        function's lines."""
        if self.log is not None:
            self.log.write(line.encode())
        else:
            self.sink(line)

    def _say_start(self, request_id: str) -> None:
        """The ``START`` line Lambda writes as an invocation begins, after any init lines."""
        self._say(f"START RequestId: {request_id} Version: {LATEST}")

    def exited_while_idle(self) -> bool:
        return self.exited is not None and self.exited.done()

    async def _kill(self) -> None:
        """End the worker and everything it started, then its Runtime API endpoint."""
        self.dead = True
        if self.process is not None and self.exited is not None:
            if not self.exited.done():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.exited), KILL_WAIT_S)
            else:
                # The leader is gone; its group may not be.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)
        if self.log is not None:
            self.log.drain()
            self.log.close()
        if self.memory is not None:
            self.memory.close()
        if self.server is not None:
            server, self.server = self.server, None
            # grace=0: the runtime's long-poll /next never finishes on its own.
            await server.close(grace=0)

    async def close(self) -> None:
        await self._kill()


def _with_deadline(request: InvocationRequest, timeout: float) -> InvocationRequest:
    deadline_ms = int((time.time() + timeout) * 1000)
    return InvocationRequest(
        request_id=request.request_id,
        payload=request.payload,
        deadline_ms=deadline_ms,
        invoked_function_arn=request.invoked_function_arn,
        trace_id=request.trace_id,
        client_context=request.client_context,
        cognito_identity=request.cognito_identity,
    )
