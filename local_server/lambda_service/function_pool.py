"""The Lambda service for each function: its pool of execution environments.

:class:`FunctionRuntime` keeps a function's pool as Lambda does: each environment
(:class:`~.execution_environment.ExecutionEnvironment`, one worker process) imports the
handler once (a cold start, reported as ``Init Duration``), serves one invocation at a time and
is reused warm, new ones start while all are busy up to ``max_concurrency`` (then invocations
queue), and an environment that times out or crashes is ended and replaced by a fresh one on the
next invocation (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
Two functions never share a process, so modules with the same name never meet.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import deque
from collections.abc import Sequence

from .execution_environment import ExecutionEnvironment, StreamTaker
from .function import FunctionConfig, InitFailed, InvocationResult
from .runtime_api import InvocationRequest
from .runtime_variables import RUNTIME_DIR
from .tracing import new_request_id, trace_header
from .worker_log import HeldLog, LogSink, default_sink
from .worker_options import WorkerOptions, as_debugged

__all__ = ["COLD_STARTS_KEPT", "WORKER_COMMAND", "FunctionRuntime", "RuntimeClosed"]

#: How many cold starts of a function the inspector's chart can show (the latest ones).
COLD_STARTS_KEPT = 1000

#: "The Init phase is limited to 10 seconds. If all three tasks [extensions, runtime, function
#: init] do not complete within 10 seconds, Lambda retries the Init phase at the time of the
#: first function invocation with the configured function timeout."
#: (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib)
INIT_TIMEOUT_S = 10.0


class RuntimeClosed(RuntimeError):
    """The function's runtime was closed while an invocation waited for an environment."""


#: The runtime client each worker runs: bootstrap.py as a script, with ``-P`` so that its own
#: folder stays off ``sys.path``. Nothing of lambgate is imported before the function's code,
#: whose CodeUri leads ``sys.path`` (``PYTHONPATH``) as ``/var/task`` does in Lambda; a function
#: that imports ``lambgate`` gets the one its CodeUri ships, else the installed one.
WORKER_COMMAND = (
    sys.executable,
    "-P",
    os.path.join(RUNTIME_DIR, "bootstrap.py"),
)


class FunctionRuntime:
    """The Lambda service for one function: its pool of execution environments.

    ``command`` replaces the runtime client run in each worker (default: lambgate's own lean
    :data:`WORKER_COMMAND`); any Runtime API client works, e.g.
    ``[sys.executable, "-m", "awslambdaric", config.handler]``. ``options`` are the emulator's
    own settings for its workers (:mod:`.worker_options`).
    """

    def __init__(
        self,
        config: FunctionConfig,
        *,
        command: Sequence[str] | None = None,
        log: LogSink | None = None,
        options: WorkerOptions | None = None,
    ) -> None:
        self.options = options or WorkerOptions()
        self.config = as_debugged(config) if self.options.debug_port is not None else config
        self.command = list(command or WORKER_COMMAND)
        self.sink = log or default_sink(config.name)
        self.environments: set[ExecutionEnvironment] = set()
        self._idle: list[ExecutionEnvironment] = []
        self._waiters: deque[asyncio.Future[ExecutionEnvironment]] = deque()
        self._closed = False
        #: When each environment was started (wall clock), for the inspector's chart.
        self.cold_starts: deque[float] = deque(maxlen=COLD_STARTS_KEPT)

    @property
    def debugging(self) -> bool:
        """Whether a debugger holds one of its invocations: their timeouts are lifted."""
        return any(environment.debugging for environment in self.environments)

    @property
    def pids(self) -> set[int]:
        """Worker PIDs currently alive (or not yet reaped)."""
        return {env.pid for env in self.environments if env.pid is not None and not env.dead}

    async def invoke(
        self,
        payload: bytes,
        *,
        request_id: str | None = None,
        client_context: str | None = None,
        on_stream: StreamTaker | None = None,
    ) -> InvocationResult:
        """One invocation; a streamed response is handed to ``on_stream`` as it begins
        (``InvokeWithResponseStream``), and buffered whole without it (``Invoke``)."""
        request = InvocationRequest(
            request_id=request_id or new_request_id(),
            payload=payload,
            deadline_ms=0,
            invoked_function_arn=self.config.arn,
            trace_id=trace_header(),
            client_context=client_context,
        )
        environment = await self._acquire()
        try:
            return await environment.invoke(request, on_stream)
        except BaseException:
            # Cancelled mid-invocation (the caller went away, or close()): an environment in
            # an unknown state is not reused.
            await asyncio.shield(environment.close())
            raise
        finally:
            if environment.retired and not environment.dead:
                await asyncio.shield(environment.close())
            self._release(environment)

    async def _acquire(self) -> ExecutionEnvironment:
        if self._closed:
            raise RuntimeClosed(f"function {self.config.name} is closed")
        while self._idle:
            # Most recently used first: the warmest environment, as Lambda tends to pick.
            environment = self._idle.pop()
            if not environment.exited_while_idle():
                return environment
            # Its runtime exited after its last reply (e.g. awslambdaric after a 413): Lambda
            # resets such an environment, so the next invocation starts a fresh one.
            self.environments.discard(environment)
            await environment.close()
        if len(self.environments) < self.config.max_concurrency:
            return self._new_environment()
        waiter: asyncio.Future[ExecutionEnvironment] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())
            raise

    def _new_environment(self, sink: LogSink | None = None) -> ExecutionEnvironment:
        # Read at each start, so the init limit can be shortened where waiting 10 s is too long.
        environment = ExecutionEnvironment(
            self.config,
            self.command,
            sink or self.sink,
            init_timeout=INIT_TIMEOUT_S,
            options=self.options,
        )
        self.environments.add(environment)
        self.cold_starts.append(time.time())
        return environment

    async def start_environment(self) -> None:
        """Start one environment now and import the handler, ready for the first invocation:
        SAM's ``--warm-containers EAGER``, and ``lambgate serve APP``, whose broken import
        stops the server before it says it is serving.

        Raises :class:`InitFailed` (the environment ended) with the init log held back, for
        the caller to show or not; once up, its log flows as any environment's.
        """
        held = HeldLog(self.sink)
        environment = self._new_environment(held)
        try:
            failure = await environment.initialize()
        except BaseException:
            self.environments.discard(environment)
            await asyncio.shield(environment.close())
            raise
        if failure is not None:
            self.environments.discard(environment)
            raise InitFailed(self.config.name, *failure, held.take())
        held.release()
        self._release(environment)

    def _release(self, environment: ExecutionEnvironment) -> None:
        if environment.dead or self._closed:
            self.environments.discard(environment)
            environment = self._new_environment() if self._has_waiter() else environment
            if environment.dead or self._closed:
                return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(environment)
                return
        self._idle.append(environment)

    def _has_waiter(self) -> bool:
        return not self._closed and any(not waiter.done() for waiter in self._waiters)

    async def recycle(self) -> None:
        """Retire every environment, so the next invocations cold-start on the current code.

        What ``--reload`` does after a change under ``CodeUri``: idle environments end now,
        busy ones as soon as their invocation is answered.
        """
        idle, self._idle = self._idle, []
        for environment in self.environments:
            environment.retired = True
        self.environments.difference_update(idle)
        await asyncio.gather(*(environment.close() for environment in idle))

    async def close(self) -> None:
        """Stop every worker of this function; invocations still waiting get RuntimeClosed."""
        self._closed = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(RuntimeClosed(f"function {self.config.name} is closed"))
        self._waiters.clear()
        self._idle.clear()
        environments, self.environments = list(self.environments), set()
        await asyncio.gather(*(environment.close() for environment in environments))
