"""Execution environments: each function runs in worker processes the way Lambda runs it.

An :class:`ExecutionEnvironment` is one worker process plus the Runtime API endpoint
(:mod:`local_server.runtime_api`) it is driven through, on its own 127.0.0.1 port. The worker
runs ``python -m local_server.bootstrap`` (or any Runtime API client, such as AWS's
``awslambdaric``) with the function's ``CodeUri`` as working directory and first on
``sys.path``, and the environment variables Lambda sets
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).

:class:`FunctionRuntime` keeps a function's pool of environments as Lambda does: the handler is
imported once per environment (a cold start, reported as ``Init Duration``), each environment
serves one invocation at a time and is reused warm, new ones start while all are busy up to
``max_concurrency`` (then invocations queue), and an environment that times out or crashes is
ended and replaced by a fresh one on the next invocation
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
Two functions never share a process, so modules with the same name never meet.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import math
import os
import signal
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from local_server.http import HTTPServer, Limits, start_server
from local_server.runtime_api import (
    MAX_RESPONSE_BYTES,
    InvocationRequest,
    RuntimeAPI,
    RuntimeReply,
)

__all__ = [
    "DEFAULT_REGION",
    "ExecutionEnvironment",
    "FunctionConfig",
    "FunctionRuntime",
    "Invocation",
    "LogSink",
    "RuntimeClosed",
]

DEFAULT_REGION = "us-east-1"
ACCOUNT_ID = "123456789012"

#: "The Init phase is limited to 10 seconds. If all three tasks [extensions, runtime, function
#: init] do not complete within 10 seconds, Lambda retries the Init phase at the time of the
#: first function invocation with the configured function timeout."
#: (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib)
INIT_TIMEOUT_S = 10.0

#: Lambda's largest function timeout (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
MAX_TIMEOUT_S = 900.0

#: The largest body the Runtime API endpoint reads before its own 413 takes over.
RUNTIME_API_MAX_BODY = 128 * 1024 * 1024

#: How long a worker gets to exit after SIGKILL before we stop waiting for it.
KILL_WAIT_S = 5.0

#: ``X-Amz-Log-Type: Tail`` returns "the last 4 KB of the execution log"
#: (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
LOG_TAIL_BYTES = 4096

#: Called with each log line of every environment (the function's own output and the
#: ``START``/``END``/``REPORT`` lines the service adds), without the line break.
LogSink = Callable[[str], None]

FunctionError = Literal["Unhandled"]


class RuntimeClosed(RuntimeError):
    """The function's runtime was closed while an invocation waited for an environment."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionConfig:
    """What the template says about one function, resolved: the environment is built from it."""

    name: str
    code_uri: Path
    handler: str
    runtime: str = "python3.11"
    timeout: float = 3.0
    memory_size: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    max_concurrency: int = 10
    region: str = DEFAULT_REGION

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Invocation:
    """How one invocation went, as the Invoke API and CloudWatch would tell it."""

    request_id: str
    #: The function's result, or the error document when ``function_error`` is set.
    payload: bytes
    function_error: FunctionError | None
    cold: bool
    init_duration_ms: float | None
    duration_ms: float
    billed_ms: int
    max_memory_mb: int
    report_line: str
    #: The last 4 KB of this invocation's log (``START`` … ``REPORT``).
    log_tail: bytes


def runtime_environment(config: FunctionConfig, runtime_api: str, stream: str) -> dict[str, str]:
    """The environment variables of a worker: the function's own plus those Lambda sets.

    Reserved names win over the template's; ``PATH``, ``LANG`` and ``PYTHONPATH`` are not
    reserved and the template may set them, with ``CodeUri`` kept first on the path
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
    """
    code_uri = str(config.code_uri.resolve())
    python = config.runtime.removeprefix("python")
    extra_path = config.environment.get("PYTHONPATH")
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        **config.environment,
        "PYTHONPATH": os.pathsep.join(filter(None, (code_uri, extra_path))),
        # Output reaches the log as it is printed, as in Lambda, not when a buffer fills.
        "PYTHONUNBUFFERED": "1",
        "AWS_LAMBDA_FUNCTION_NAME": config.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{python}",
        "AWS_REGION": config.region,
        "AWS_DEFAULT_REGION": config.region,
        **developer_credentials(os.environ),
        # SAM CLI's "Variable that says this function is running in Local Lambda".
        "AWS_SAM_LOCAL": "true",
        "_HANDLER": config.handler,
        "LAMBDA_TASK_ROOT": code_uri,
        # Where the runtime client lives (/var/runtime in Lambda): ours is this package.
        "LAMBDA_RUNTIME_DIR": str(Path(__file__).resolve().parent),
        "TZ": ":UTC",
    }


#: Where the developer's SDK finds credentials: forwarded so the function calls AWS as them.
CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)

#: Keys that only keep SDK clients constructible when the developer has no credentials.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIALAMBGATELOCAL000",
    "AWS_SECRET_ACCESS_KEY": "lambgate-local-secret-access-key",
    "AWS_SESSION_TOKEN": "lambgate-local-session-token",
}


def developer_credentials(shell: Mapping[str, str]) -> dict[str, str]:
    """The credentials a function runs with: the developer's own, as SAM CLI gives them.

    In Lambda these are the execution role's keys; ``sam local`` passes the developer's
    (``samcli/local/lambdafn/env_vars.py``, ``_get_aws_variables``), so code calling DynamoDB
    or S3 works locally. The profile and files are forwarded with ``HOME`` for the SDK to read
    them itself; dummy keys only when the developer has none anywhere.
    """
    forwarded = {name: shell[name] for name in CREDENTIAL_VARIABLES if shell.get(name)}
    home = shell.get("HOME") or ""
    if home:
        forwarded["HOME"] = home
    has_files = bool(home) and any(
        (Path(home) / ".aws" / name).is_file() for name in ("credentials", "config")
    )
    if not forwarded.keys() & set(CREDENTIAL_VARIABLES) and not has_files:
        forwarded |= DUMMY_CREDENTIALS
    return forwarded


def log_stream_name() -> str:
    """``YYYY/MM/DD/[$LATEST]<32 hex>``, the shape of Lambda's log stream names."""
    return f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"


def exit_description(returncode: int) -> str:
    """The process status as Lambda words it: ``exit status 3``, ``signal: segmentation fault``.

    Lambda's service is written in Go and prints Go's ``ProcessState`` (seen in function
    errors such as "Runtime exited with error: signal: killed"); Linux's ``strsignal`` gives
    the same words as Go's signal table once lower-cased.
    """
    if returncode >= 0:
        return f"exit status {returncode}"
    number = -returncode
    try:
        name = signal.strsignal(signal.Signals(number)) or f"signal {number}"
    except ValueError:
        name = f"signal {number}"
    return f"signal: {name.lower()}"


def error_document(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def peak_memory_mb(pid: int) -> int | None:
    """The worker's peak resident memory (``VmHWM``), which Lambda reports as Max Memory Used."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return math.ceil(int(line.split()[1]) / 1024)
    except (OSError, ValueError):
        return None
    return None


def milliseconds(seconds: float) -> float:
    return round(seconds * 1000, 2)


class WorkerLog:
    """The merged stdout/stderr pipe of one worker, read as lines without blocking the loop.

    The worker prints before it posts its reply, so by the time the Runtime API sees the reply
    the lines are in the pipe: :meth:`drain` reads them then, synchronously, and each
    invocation's log holds exactly its own lines.
    """

    def __init__(self, sink: LogSink) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self.sink = sink
        self.partial = b""
        self.capture = bytearray()
        self.closed = False

    def start(self) -> None:
        os.close(self.write_fd)
        asyncio.get_running_loop().add_reader(self.read_fd, self.drain)

    def drain(self) -> None:
        while not self.closed:
            try:
                chunk = os.read(self.read_fd, 65536)
            except BlockingIOError:
                return
            except OSError as error:  # pragma: no cover - the pipe broke under us
                if error.errno != errno.EINTR:
                    self.close()
                    return
                continue
            if not chunk:
                self.flush_partial()
                self.close()
                return
            *lines, self.partial = (self.partial + chunk).split(b"\n")
            for line in lines:
                self.write(line)

    def flush_partial(self) -> None:
        if self.partial:
            self.write(self.partial)
            self.partial = b""

    def write(self, line: bytes) -> None:
        self.capture += line + b"\n"
        del self.capture[: max(len(self.capture) - LOG_TAIL_BYTES, 0)]
        self.sink(line.decode("utf-8", "replace"))

    def take(self) -> bytes:
        """The lines captured since the last call, most recent 4 KB."""
        captured = bytes(self.capture)
        self.capture.clear()
        return captured

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(ValueError, RuntimeError):
            asyncio.get_running_loop().remove_reader(self.read_fd)
        os.close(self.read_fd)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How an invocation ended, before the numbers are attached."""

    payload: bytes
    function_error: FunctionError | None
    end: float
    status: str | None = None  # ``timeout`` / ``error`` in the REPORT line


class ExecutionEnvironment:
    """One worker process and its Runtime API; serves one invocation at a time.

    Started lazily by its first invocation (the cold start). After a timeout, a crash or an init
    error it is :attr:`dead` and the pool drops it.
    """

    def __init__(self, config: FunctionConfig, command: Sequence[str], sink: LogSink) -> None:
        self.config = config
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
        )
        self.log = WorkerLog(self.sink)
        environment = runtime_environment(
            self.config, f"127.0.0.1:{self.server.port}", log_stream_name()
        )
        started = asyncio.get_running_loop().time()
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.command,
                cwd=self.config.code_uri,
                env=environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=self.log.write_fd,
                stderr=self.log.write_fd,
                # Its own process group, so a timeout ends the function's children too.
                start_new_session=True,
            )
        finally:
            self.log.start()
        self.exited = asyncio.create_task(self.process.wait())
        return started

    async def invoke(self, request: InvocationRequest) -> Invocation:
        loop = asyncio.get_running_loop()
        cold = self.process is None
        init_duration: float | None = None
        if cold:
            spawned = await self._spawn()
            outcome_or_ready = await self._await_init(spawned, request.request_id)
            if isinstance(outcome_or_ready, _Outcome):
                return self._finish(request, outcome_or_ready, spawned, None, cold=True)
            init_duration = milliseconds(outcome_or_ready - spawned)
        assert self.api is not None and self.exited is not None
        self._say(f"START RequestId: {request.request_id} Version: $LATEST")
        timeout = self.config.timeout
        request = _with_deadline(request, timeout)
        delivered, reply = self.api.submit(request)
        # The runtime is parked in /next, so delivery is immediate unless it died meanwhile
        # (or never asks again: then the deadline ends it like any stuck invocation).
        first: set[asyncio.Future[Any]] = {delivered, self.exited}
        await asyncio.wait(first, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        start = delivered.result() if delivered.done() else loop.time()
        remaining = max(start + timeout - loop.time(), 0)
        second: set[asyncio.Future[Any]] = {reply, self.exited}
        await asyncio.wait(second, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        outcome = await self._judge(request.request_id, reply, timeout)
        return self._finish(request, outcome, start, init_duration, cold=cold)

    async def _await_init(self, spawned: float, request_id: str) -> float | _Outcome:
        """The loop time the runtime became ready, or why the invocation fails instead."""
        assert self.api is not None and self.exited is not None
        ready, failed = self.api.initialized, self.api.init_error
        waiting: set[asyncio.Future[Any]] = {ready, failed, self.exited}
        await asyncio.wait(waiting, timeout=INIT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
        if not any(future.done() for future in waiting):
            # Lambda retries a slow init within the invocation, under the function's timeout.
            self._say(
                f"INIT_REPORT Init Duration: {INIT_TIMEOUT_S * 1000:.2f} ms\t"
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
            self._say(f"START RequestId: {request_id} Version: $LATEST")
            return _Outcome(_error_payload(init_error), "Unhandled", init_error.at, "error")
        self._say(f"START RequestId: {request_id} Version: $LATEST")
        return await self._judge(request_id, None, self.config.timeout)

    async def _judge(
        self, request_id: str, reply: asyncio.Future[RuntimeReply] | None, timeout: float
    ) -> _Outcome:
        """Turn what happened (reply, exit, or nothing before the deadline) into the result."""
        assert self.exited is not None
        now = asyncio.get_running_loop().time()
        if reply is not None and reply.done():
            answer = reply.result()
            self._sample_memory()
            if answer.kind == "response":
                return _Outcome(answer.body, None, answer.at)
            if answer.kind == "too_large":
                # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
                message = (
                    "Response payload size exceeded maximum allowed payload size "
                    f"({MAX_RESPONSE_BYTES} bytes)."
                )
                payload = error_document("Function.ResponseSizeTooLarge", message)
                return _Outcome(payload, "Unhandled", answer.at, "error")
            return _Outcome(_error_payload(answer), "Unhandled", answer.at, "error")
        if self.exited.done():
            self.dead = True
            status = exit_description(self.exited.result())
            self._say(f"RequestId: {request_id} Error: Runtime exited with error: {status}")
            message = f"RequestId: {request_id} Error: Runtime exited with error: {status}"
            await self._kill()
            return _Outcome(error_document("Runtime.ExitError", message), "Unhandled", now, "error")
        # Lambda ends the environment at the deadline and answers Sandbox.Timedout.
        self._sample_memory()
        await self._kill()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        self._say(f"{stamp}Z {request_id} Task timed out after {timeout:.2f} seconds")
        message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
        return _Outcome(error_document("Sandbox.Timedout", message), "Unhandled", now, "timeout")

    def _finish(
        self,
        request: InvocationRequest,
        outcome: _Outcome,
        start: float,
        init_duration: float | None,
        *,
        cold: bool,
    ) -> Invocation:
        duration = milliseconds(max(outcome.end - start, 0))
        # Since August 2025 the init phase is billed for every runtime, so a cold invocation
        # bills both (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/);
        # billing rounds up to the millisecond.
        billed = math.ceil(duration + (init_duration or 0.0))
        fields = [
            f"REPORT RequestId: {request.request_id}",
            f"Duration: {duration:.2f} ms",
            f"Billed Duration: {billed} ms",
            f"Memory Size: {self.config.memory_size} MB",
            f"Max Memory Used: {self.max_memory_mb} MB",
        ]
        if init_duration is not None:
            fields.append(f"Init Duration: {init_duration:.2f} ms")
        if outcome.status is not None:
            fields.append(f"Status: {outcome.status}")
        report = "\t".join(fields) + "\t"
        if self.log is not None:
            self.log.drain()
        self._say(f"END RequestId: {request.request_id}")
        self._say(report)
        log_tail = self.log.take()[-LOG_TAIL_BYTES:] if self.log is not None else b""
        return Invocation(
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
        if self.process is not None:
            peak = peak_memory_mb(self.process.pid)
            if peak is not None:
                self.max_memory_mb = max(self.max_memory_mb, peak)

    def _say(self, line: str) -> None:
        """A line of the service's own (START, END, REPORT, …), logged in order with the
        function's lines."""
        if self.log is not None:
            self.log.write(line.encode())
        else:
            self.sink(line)

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


def _error_payload(reply: RuntimeReply) -> bytes:
    """The error document the caller sees: the runtime's body, or one built from its header.

    "Lambda's default behavior is to use Lambda-Runtime-Function-Error-Type header value to
    construct an error response when error payload is not provided or can not be read."
    (the Runtime API's OpenAPI file).
    """
    try:
        document = json.loads(reply.body)
    except ValueError:
        document = None
    if isinstance(document, dict):
        return reply.body
    return error_document(reply.error_type or "Runtime.Unknown", "Unknown application error.")


def trace_id() -> str:
    """An X-Ray trace header, ``Root=1-<8 hex time>-<24 hex>;Parent=<16 hex>;Sampled=0``."""
    return (
        f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
        f"Parent={uuid.uuid4().hex[:16]};Sampled=0"
    )


def default_sink(name: str) -> LogSink:
    def write(line: str) -> None:
        print(f"[{name}] {line}", file=sys.stderr, flush=True)

    return write


class FunctionRuntime:
    """The Lambda service for one function: its pool of execution environments.

    ``command`` replaces the runtime client run in each worker (default: lambgate's own lean
    ``local_server.bootstrap``); any Runtime API client works, e.g.
    ``[sys.executable, "-m", "awslambdaric", config.handler]``.
    """

    def __init__(
        self,
        config: FunctionConfig,
        *,
        command: Sequence[str] | None = None,
        log: LogSink | None = None,
    ) -> None:
        self.config = config
        self.command = list(command or (sys.executable, "-m", "local_server.bootstrap"))
        self.sink = log or default_sink(config.name)
        self.environments: set[ExecutionEnvironment] = set()
        self._idle: list[ExecutionEnvironment] = []
        self._waiters: deque[asyncio.Future[ExecutionEnvironment]] = deque()
        self._closed = False

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
    ) -> Invocation:
        request = InvocationRequest(
            request_id=request_id or str(uuid.uuid4()),
            payload=payload,
            deadline_ms=0,
            invoked_function_arn=self.config.arn,
            trace_id=trace_id(),
            client_context=client_context,
        )
        environment = await self._acquire()
        try:
            return await environment.invoke(request)
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

    def _new_environment(self) -> ExecutionEnvironment:
        environment = ExecutionEnvironment(self.config, self.command, self.sink)
        self.environments.add(environment)
        return environment

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
