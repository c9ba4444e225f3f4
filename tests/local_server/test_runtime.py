"""Execution environments behave as Lambda's: real worker processes over a real Runtime API.

Every test starts real workers (lambgate's ``lambda_service/worker/bootstrap.py``, and once
AWS's own ``awslambdaric``) on 127.0.0.1 and stops them by PID with bounded waits. The function
code is in ``tests/local_server/functions``.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from lambgate.local.front.server import start_server
from lambgate.local.lambda_service.function import FunctionConfig, InvocationResult
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.lambda_service.runtime_api import InvocationRequest, RuntimeAPI, RuntimeReply

from .processes import still_alive

FUNCTIONS = Path(__file__).resolve().parent / "functions"
TOOLBOX = FUNCTIONS / "toolbox"
AWSLAMBDARIC = (sys.executable, "-m", "awslambdaric", "app.handler")

T = TypeVar("T")

#: AWS's REPORT line, fields tab-separated with a trailing tab, e.g. "REPORT RequestId: x\t
#: Duration: 5.56 ms\tBilled Duration: 6 ms\tMemory Size: 512 MB\tMax Memory Used: 58 MB\t
#: Init Duration: 144.10 ms\t" (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
REPORT = re.compile(
    r"REPORT RequestId: (?P<id>[^\t]+)\tDuration: (?P<duration>\d+\.\d\d) ms\t"
    r"Billed Duration: (?P<billed>\d+) ms\tMemory Size: (?P<memory>\d+) MB\t"
    r"Max Memory Used: (?P<used>\d+) MB\t(?:Init Duration: (?P<init>\d+\.\d\d) ms\t)?"
    r"(?:Status: (?P<status>\w+)\t)?"
)


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(scenario(), 60))


def toolbox(**overrides: Any) -> FunctionConfig:
    settings: dict[str, Any] = {
        "name": "Toolbox",
        "code_uri": TOOLBOX,
        "handler": "app.handler",
        "timeout": 5.0,
    }
    return FunctionConfig(**(settings | overrides))


def event(action: str, **fields: Any) -> bytes:
    return json.dumps({"action": action, **fields}).encode()


class Log:
    """A log sink that keeps every line, as CloudWatch would."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)


async def invoke_once(config: FunctionConfig, payload: bytes, **options: Any) -> InvocationResult:
    runtime = FunctionRuntime(config, log=Log(), **options)
    try:
        return await runtime.invoke(payload)
    finally:
        await runtime.close()


# -- context and environment ---------------------------------------------------------------


def inspect(command: tuple[str, ...] | None) -> tuple[str, dict[str, Any]]:
    config = toolbox(
        memory_size=256,
        variables={
            "STAGE": "test",
            "AWS_LAMBDA_FUNCTION_NAME": "overridden?",
            "PYTHONPATH": "/opt/extra",
        },
    )

    async def scenario() -> tuple[str, dict[str, Any]]:
        runtime = FunctionRuntime(config, log=Log(), command=command)
        try:
            invocation = await runtime.invoke(event("inspect"), request_id="req-inspect-1")
        finally:
            await runtime.close()
        assert invocation.function_error is None, invocation.payload
        return invocation.request_id, json.loads(invocation.payload)

    return run(scenario)


@pytest.mark.parametrize("command", [None, AWSLAMBDARIC], ids=["lean", "awslambdaric"])
def test_handler_sees_lambdas_context_and_environment(command: tuple[str, ...] | None) -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/python-context.html and
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime"""
    request_id, seen = inspect(command)
    context = seen["context"]
    remaining = context.pop("remaining_ms")
    assert 4000 < remaining <= 5000  # Timeout: 5 s, counted from delivery
    stream = context.pop("log_stream_name")
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", stream)
    assert context == {
        "aws_request_id": "req-inspect-1",
        "function_name": "Toolbox",
        "function_version": "$LATEST",
        "memory_limit_in_mb": "256",  # a string, as AWS's runtime passes the variable
        "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:Toolbox",
        "log_group_name": "/aws/lambda/Toolbox",
        "client_context": None,
    }
    assert seen["event"] == {"action": "inspect"}
    environ = seen["environ"]
    port = environ["AWS_LAMBDA_RUNTIME_API"].removeprefix("127.0.0.1:")
    assert port.isdigit()
    assert {name: environ.get(name) for name in STANDARD_VARIABLES} == {
        "AWS_LAMBDA_FUNCTION_NAME": "Toolbox",  # reserved: the template cannot override it
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/Toolbox",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "_HANDLER": "app.handler",
        "LAMBDA_TASK_ROOT": str(TOOLBOX),
        "TZ": ":UTC",
        "STAGE": "test",
        "PYTHONPATH": f"{TOOLBOX}:/opt/extra",  # not reserved: extended, CodeUri first
    }
    assert environ["AWS_ACCESS_KEY_ID"] and environ["AWS_SECRET_ACCESS_KEY"]
    assert re.fullmatch(
        r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0",
        environ["_X_AMZN_TRACE_ID"],
    )
    assert seen["cwd"] == str(TOOLBOX)
    assert seen["module_file"] == str(TOOLBOX / "app.py")
    assert seen["sys_path_head"][0] == str(TOOLBOX)


CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "HOME",
    "AWS_SAM_LOCAL",
)


def test_function_runs_with_the_developers_credentials_as_under_sam_local(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """samcli/local/lambdafn/env_vars.py (_get_aws_variables): the developer's keys, and
    AWS_SAM_LOCAL=true, "Variable that says this function is running in Local Lambda"."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_PROFILE", "dev")
    environ = inspect(None)[1]["environ"]

    assert {name: environ.get(name) for name in CREDENTIAL_VARIABLES} == {
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": "dev",
        "AWS_CONFIG_FILE": None,
        "AWS_SHARED_CREDENTIALS_FILE": None,
        "HOME": str(tmp_path),
        "AWS_SAM_LOCAL": "true",
    }


def test_a_developer_with_no_credentials_gets_keys_that_keep_sdk_clients_constructible(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.aws there
    environ = inspect(None)[1]["environ"]

    assert environ["AWS_ACCESS_KEY_ID"] and environ["AWS_SECRET_ACCESS_KEY"]
    assert "AWS_PROFILE" not in environ


def test_a_credentials_file_is_read_by_the_function_not_masked_by_dummy_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With ~/.aws/credentials the SDK in the function finds the developer's keys itself."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAFROMFILE\naws_secret_access_key = s\n"
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    environ = inspect(None)[1]["environ"]

    assert (environ["HOME"], environ.get("AWS_ACCESS_KEY_ID")) == (str(tmp_path), None)


STANDARD_VARIABLES = (
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "_HANDLER",
    "LAMBDA_TASK_ROOT",
    "TZ",
    "STAGE",
    "PYTHONPATH",
)


# -- lifecycle: cold start, warm reuse, REPORT ---------------------------------------------


def test_cold_start_once_then_warm_reuse_with_one_report_line_each() -> None:
    log = Log()

    async def scenario() -> list[InvocationResult]:
        runtime = FunctionRuntime(toolbox(), log=log)
        try:
            return [await runtime.invoke(event("count")) for _ in range(3)]
        finally:
            await runtime.close()

    invocations = run(scenario)
    results = [json.loads(invocation.payload) for invocation in invocations]
    pid = results[0]["pid"]
    # One environment, its module imported once: state survives between invocations.
    assert results == [
        {"pid": pid, "init_pid": pid, "invocations": 1},
        {"pid": pid, "init_pid": pid, "invocations": 2},
        {"pid": pid, "init_pid": pid, "invocations": 3},
    ]
    assert [invocation.cold for invocation in invocations] == [True, False, False]
    reports = [REPORT.fullmatch(invocation.report_line) for invocation in invocations]
    assert all(reports), [invocation.report_line for invocation in invocations]
    first, *warm = [match for match in reports if match]
    assert first["init"] is not None and float(first["init"]) > 0
    assert invocations[0].init_duration_ms == float(first["init"])
    assert [match["init"] for match in warm] == [None, None]
    for invocation, match in zip(invocations, reports, strict=True):
        assert match is not None
        assert match["id"] == invocation.request_id
        assert match["memory"] == "128"
        assert int(match["used"]) == invocation.max_memory_mb > 0
        assert float(match["duration"]) == invocation.duration_ms
        # Billed: rounded up to the ms; a cold start bills its init too (since August 2025).
        billed = invocation.duration_ms + (invocation.init_duration_ms or 0)
        assert int(match["billed"]) == invocation.billed_ms == int(-(-billed // 1))
    # Exactly one REPORT per invocation in the log, each after its END.
    reported = [line for line in log.lines if line.startswith("REPORT ")]
    assert reported == [invocation.report_line for invocation in invocations]
    for invocation in invocations:
        start = log.lines.index(f"START RequestId: {invocation.request_id} Version: $LATEST")
        end = log.lines.index(f"END RequestId: {invocation.request_id}")
        assert start < end and log.lines[end + 1] == invocation.report_line


def test_log_tail_holds_the_invocations_own_lines() -> None:
    async def scenario() -> tuple[InvocationResult, InvocationResult]:
        runtime = FunctionRuntime(toolbox(), log=Log())
        try:
            first = await runtime.invoke(event("print", text="first invocation"))
            second = await runtime.invoke(event("print", text="second invocation"))
            return first, second
        finally:
            await runtime.close()

    first, second = run(scenario)
    lines = second.log_tail.decode().splitlines()
    assert lines == [
        f"START RequestId: {second.request_id} Version: $LATEST",
        "second invocation",
        f"END RequestId: {second.request_id}",
        second.report_line,
    ]
    # The cold invocation's log starts with what the module printed during init.
    assert first.log_tail.decode().splitlines()[:3] == [
        "toolbox: init done",
        f"START RequestId: {first.request_id} Version: $LATEST",
        "first invocation",
    ]


# -- errors as Lambda reports them ---------------------------------------------------------


@pytest.mark.parametrize("command", [None, AWSLAMBDARIC], ids=["lean", "awslambdaric"])
def test_function_error_is_the_python_runtimes_error_document(
    command: tuple[str, ...] | None,
) -> None:
    async def scenario() -> tuple[InvocationResult, InvocationResult]:
        runtime = FunctionRuntime(toolbox(), log=Log(), command=command)
        try:
            failed = await runtime.invoke(event("raise", detail="here"), request_id="req-err")
            after = await runtime.invoke(event("count"))
            return failed, after
        finally:
            await runtime.close()

    failed, after = run(scenario)
    assert failed.function_error == "Unhandled"
    document = json.loads(failed.payload)
    source = (TOOLBOX / "app.py").read_text().splitlines()
    line = next(number for number, text in enumerate(source, 1) if "raise ValueError" in text)
    assert document == {
        "errorMessage": "boom here",
        "errorType": "ValueError",
        "requestId": "req-err",
        "stackTrace": [
            f'  File "{TOOLBOX / "app.py"}", line {line}, in handler\n'
            "    raise ValueError(f\"boom {event.get('detail', '')}\".strip())\n"
        ],
    }
    # A function error does not end the environment: the next invocation is warm.
    assert not after.cold and after.function_error is None
    assert json.loads(after.payload)["invocations"] == 2


@pytest.mark.parametrize("command", [None, AWSLAMBDARIC], ids=["lean", "awslambdaric"])
@pytest.mark.parametrize(
    ("code_uri", "handler", "expected"),
    [
        (
            FUNCTIONS / "broken_import",
            "app.handler",
            {
                "errorMessage": "Unable to import module 'app': "
                "No module named 'not_a_module_anyone_installed'",
                "errorType": "Runtime.ImportModuleError",
                "requestId": "",
                "stackTrace": [],
            },
        ),
        (
            TOOLBOX,
            "app.missing",
            {
                "errorMessage": "Handler 'missing' missing on module 'app'",
                "errorType": "Runtime.HandlerNotFound",
                "requestId": "",
                "stackTrace": [],
            },
        ),
    ],
    ids=["import-error", "handler-not-found"],
)
def test_init_error_is_reported_and_retried_on_the_next_invocation(
    command: tuple[str, ...] | None, code_uri: Path, handler: str, expected: dict[str, Any]
) -> None:
    if command is not None:
        command = (*command[:-1], handler)
    config = toolbox(code_uri=code_uri, handler=handler)

    async def scenario() -> list[InvocationResult]:
        runtime = FunctionRuntime(config, log=Log(), command=command)
        try:
            return [await runtime.invoke(b"{}") for _ in range(2)]
        finally:
            await runtime.close()

    invocations = run(scenario)
    for invocation in invocations:
        assert invocation.function_error == "Unhandled"
        assert json.loads(invocation.payload) == expected
        # The failed environment is dropped: each invocation starts a new one.
        assert invocation.cold


def test_timeout_ends_the_environment_and_the_next_invocation_is_cold() -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html"""

    async def scenario() -> tuple[InvocationResult, InvocationResult, InvocationResult]:
        runtime = FunctionRuntime(toolbox(timeout=1.0), log=Log())
        try:
            warm = await runtime.invoke(event("count"))
            timed_out = await runtime.invoke(event("sleep", seconds=30), request_id="req-slow")
            after = await runtime.invoke(event("count"))
            return warm, timed_out, after
        finally:
            await runtime.close()

    started = time.monotonic()
    warm, timed_out, after = run(scenario)
    assert time.monotonic() - started < 10
    assert timed_out.function_error == "Unhandled"
    assert json.loads(timed_out.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: req-slow Error: Task timed out after 1.00 seconds",
    }
    assert 1000 <= timed_out.duration_ms < 3000
    report = REPORT.fullmatch(timed_out.report_line)
    assert report is not None and report["status"] == "timeout"
    old_pid = json.loads(warm.payload)["pid"]
    assert not still_alive([old_pid])
    assert after.cold and json.loads(after.payload)["pid"] != old_pid


def test_timeout_also_ends_processes_the_function_started() -> None:
    async def scenario() -> InvocationResult:
        return await invoke_once(toolbox(timeout=1.0), event("spawn_and_sleep", seconds=30))

    timed_out = run(scenario)
    assert json.loads(timed_out.payload)["errorType"] == "Sandbox.Timedout"
    match = re.search(rb"child pid (\d+)", timed_out.log_tail)
    assert match is not None
    assert not still_alive([int(match[1])])


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (event("exit", code=3), "exit status 3"),
        (event("segfault"), "signal: segmentation fault"),
    ],
    ids=["os._exit", "segfault"],
)
def test_crashed_environment_is_reported_as_lambda_does_and_replaced(
    payload: bytes, status: str
) -> None:
    """Lambda answers a runtime that died mid-invocation with Runtime.ExitError, e.g.
    ``"RequestId: … Error: Runtime exited with error: signal: killed"``."""

    async def scenario() -> tuple[InvocationResult, InvocationResult, InvocationResult]:
        runtime = FunctionRuntime(toolbox(), log=Log())
        try:
            before = await runtime.invoke(event("count"))
            crashed = await runtime.invoke(payload, request_id="req-crash")
            after = await runtime.invoke(event("count"))
            return before, crashed, after
        finally:
            await runtime.close()

    before, crashed, after = run(scenario)
    assert crashed.function_error == "Unhandled"
    assert json.loads(crashed.payload) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: req-crash Error: Runtime exited with error: {status}",
    }
    assert after.function_error is None and after.cold
    assert json.loads(after.payload)["pid"] != json.loads(before.payload)["pid"]


@pytest.mark.parametrize("command", [None, AWSLAMBDARIC], ids=["lean", "awslambdaric"])
def test_response_over_6_mb_is_function_response_size_too_large(
    command: tuple[str, ...] | None,
) -> None:
    """The limit is 6 MiB + 100 bytes = 6,291,556 bytes of JSON: a string of n characters
    is n + 2 bytes (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)."""

    async def scenario() -> tuple[InvocationResult, InvocationResult]:
        runtime = FunctionRuntime(toolbox(), log=Log(), command=command)
        try:
            fits = await runtime.invoke(event("big", size=6_291_554))
            too_big = await runtime.invoke(event("big", size=6_291_555))
            return fits, too_big
        finally:
            await runtime.close()

    fits, too_big = run(scenario)
    assert fits.function_error is None and len(fits.payload) == 6_291_556
    assert too_big.function_error == "Unhandled"
    assert json.loads(too_big.payload) == {
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        "(6291556 bytes).",
    }


def test_unserializable_result_is_a_marshal_error() -> None:
    invocation = run(lambda: invoke_once(toolbox(), event("unserializable")))
    document = json.loads(invocation.payload)
    assert invocation.function_error == "Unhandled"
    assert document == {
        "errorMessage": "Unable to marshal response: Object of type object is not JSON "
        "serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": invocation.request_id,
        "stackTrace": [],
    }


@pytest.mark.parametrize("command", [None, AWSLAMBDARIC], ids=["lean", "awslambdaric"])
@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        # awslambdaric's marshaller escapes non-ASCII up to python3.11 and writes UTF-8 from
        # python3.12 (lambda_runtime_marshaller.py, keyed on AWS_EXECUTION_ENV).
        ("python3.11", b'{"price": 9.99, "qty": 3, "name": "caf\\u00e9"}'),
        ("python3.12", b'{"price": 9.99, "qty": 3, "name": "caf\xc3\xa9"}'),
    ],
)
def test_decimals_and_text_marshal_as_awss_runtime_writes_them(
    command: tuple[str, ...] | None, runtime: str, expected: bytes
) -> None:
    """DynamoDB numbers are Decimals: AWS's runtime writes them as JSON numbers."""
    invocation = run(
        lambda: invoke_once(toolbox(runtime=runtime), event("dynamodb_item"), command=command)
    )
    assert (invocation.function_error, invocation.payload) == (None, expected)


@pytest.mark.parametrize("command", [None, AWSLAMBDARIC], ids=["lean", "awslambdaric"])
def test_returned_bytes_are_the_response_unchanged(command: tuple[str, ...] | None) -> None:
    invocation = run(lambda: invoke_once(toolbox(), event("raw_bytes"), command=command))
    assert (invocation.function_error, invocation.payload) == (None, b"\x00raw")


@pytest.mark.parametrize("command", [None, AWSLAMBDARIC], ids=["lean", "awslambdaric"])
def test_client_context_is_an_object_with_custom_env_and_client(
    command: tuple[str, ...] | None,
) -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/python-context.html: client_context.custom,
    .env and .client, as boto3's ``invoke(ClientContext=...)`` sends them."""
    client_context = {
        "custom": {"tenant": "t1"},
        "env": {"locale": "fr"},
        "client": {"app_title": "Shop"},
    }

    async def scenario() -> InvocationResult:
        runtime = FunctionRuntime(toolbox(), log=Log(), command=command)
        try:
            return await runtime.invoke(
                event("client_context"), client_context=json.dumps(client_context)
            )
        finally:
            await runtime.close()

    invocation = run(scenario)
    assert invocation.function_error is None, invocation.payload
    assert json.loads(invocation.payload) == {
        "custom": {"tenant": "t1"},
        "env": {"locale": "fr"},
        "app_title": "Shop",
    }


# -- isolation and concurrency -------------------------------------------------------------


def test_functions_with_same_module_name_never_see_each_other() -> None:
    configs = [
        FunctionConfig(
            name=f"Fn{side}",
            code_uri=FUNCTIONS / f"same_name_{side.lower()}",
            handler="shared.handler",
        )
        for side in ("A", "B")
    ]

    async def scenario() -> list[dict[str, str]]:
        runtimes = [FunctionRuntime(config, log=Log()) for config in configs]
        try:
            results = []
            for _ in range(2):  # warm too: neither import leaks into the other
                for runtime in runtimes:
                    results.append(json.loads((await runtime.invoke(b"{}")).payload))
            return results
        finally:
            await asyncio.gather(*(runtime.close() for runtime in runtimes))

    a = {"who": "A", "file": str(FUNCTIONS / "same_name_a" / "shared.py")}
    b = {"who": "B", "file": str(FUNCTIONS / "same_name_b" / "shared.py")}
    assert run(scenario) == [a, b, a, b]


def test_concurrent_invocations_start_environments_up_to_the_limit_then_queue() -> None:
    async def scenario() -> tuple[list[InvocationResult], float]:
        runtime = FunctionRuntime(toolbox(max_concurrency=2), log=Log())
        try:
            started = time.monotonic()
            invocations = await asyncio.gather(
                *(runtime.invoke(event("sleep", seconds=0.6)) for _ in range(4))
            )
            return list(invocations), time.monotonic() - started
        finally:
            await runtime.close()

    invocations, elapsed = run(scenario)
    pids = [json.loads(invocation.payload)["pid"] for invocation in invocations]
    assert len(set(pids)) == 2  # two environments, each used twice
    assert sorted(invocation.cold for invocation in invocations) == [False, False, True, True]
    # Queued behind the first two: two rounds of 0.6 s, not one.
    assert elapsed >= 1.2


def test_close_stops_every_worker_even_mid_invocation() -> None:
    async def scenario() -> tuple[set[int], set[int]]:
        runtime = FunctionRuntime(toolbox(max_concurrency=3, timeout=30.0), log=Log())
        busy = [
            asyncio.create_task(runtime.invoke(event("spawn_and_sleep", seconds=30)))
            for _ in range(3)
        ]

        def children() -> set[int]:
            return {
                int(pid)
                for environment in runtime.environments
                if environment.log is not None
                for pid in re.findall(rb"child pid (\d+)", bytes(environment.log.capture))
            }

        async with asyncio.timeout(20):  # every handler has started its child
            while len(children()) < 3:
                await asyncio.sleep(0.02)
        workers, grandchildren = set(runtime.pids), children()
        await asyncio.wait_for(runtime.close(), 10)
        results = await asyncio.gather(*busy, return_exceptions=True)
        assert all(isinstance(result, InvocationResult) for result in results), results
        return workers, grandchildren

    workers, children = run(scenario)
    assert len(workers) == 3 and len(children) == 3
    assert not still_alive(workers | children)


# -- the Runtime API itself -----------------------------------------------------------------


def test_runtime_api_answers_as_the_openapi_spec_says() -> None:
    """Paths, headers and status codes of runtime-api.zip's OpenAPI file
    (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html)."""

    async def scenario() -> None:
        api = RuntimeAPI()
        server = await start_server(api.handle)
        base = f"http://127.0.0.1:{server.port}/2018-06-01/runtime"
        try:
            async with httpx.AsyncClient(base_url=base, timeout=5) as client:
                delivered, reply = api.submit(
                    InvocationRequest(
                        request_id="id-1",
                        payload=b'{"k": 1}',
                        deadline_ms=1_700_000_000_000,
                        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:F",
                        trace_id="Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=0",
                    )
                )
                following = await client.get("/invocation/next")
                assert following.status_code == 200
                assert following.content == b'{"k": 1}'
                assert {
                    name: following.headers[name]
                    for name in following.headers
                    if name.startswith("lambda-runtime-")
                } == {
                    "lambda-runtime-aws-request-id": "id-1",
                    "lambda-runtime-deadline-ms": "1700000000000",
                    "lambda-runtime-invoked-function-arn": (
                        "arn:aws:lambda:us-east-1:123456789012:function:F"
                    ),
                    "lambda-runtime-trace-id": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=0",
                }
                assert delivered.done() and api.initialized.done()

                unknown = await client.post("/invocation/other-id/response", content=b"1")
                assert unknown.status_code == 400
                assert unknown.json()["errorType"] == "InvalidRequestID"

                accepted = await client.post(
                    "/invocation/id-1/error",
                    content=b'{"errorMessage": "m", "errorType": "E"}',
                    headers={"Lambda-Runtime-Function-Error-Type": "E"},
                )
                assert (accepted.status_code, accepted.json()) == (202, {"status": "OK"})
                assert reply.result().kind == "error" and reply.result().error_type == "E"

                again = await client.post("/invocation/id-1/response", content=b"2")
                assert again.status_code == 403
                late_init_error = await client.post("/init/error", content=b"{}")
                assert late_init_error.status_code == 403
                wrong_method = await client.get("/init/error")
                assert wrong_method.status_code == 405
        finally:
            await server.close(grace=0)

    run(scenario)


def invocation(request_id: str, payload: bytes = b"{}") -> InvocationRequest:
    return InvocationRequest(
        request_id=request_id,
        payload=payload,
        deadline_ms=1_700_000_000_000,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:F",
        trace_id="Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=0",
    )


def test_runtime_api_takes_a_reply_and_the_next_poll_in_one_write() -> None:
    """What lambgate's runtime client sends (HTTP/1.1 pipelining): both are answered, in
    order, and the poll waits for the next event as any ``/next`` does."""

    async def scenario() -> tuple[bytes, RuntimeReply]:
        api = RuntimeAPI()
        server = await start_server(api.handle)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            prefix = b"/2018-06-01/runtime/invocation"
            poll = b"GET " + prefix + b"/next HTTP/1.1\r\nHost: api\r\n\r\n"
            _, first_reply = api.submit(invocation("id-1"))
            writer.write(poll)
            async with asyncio.timeout(5):
                await reader.readuntil(b"{}")
                writer.write(
                    b"POST " + prefix + b"/id-1/response HTTP/1.1\r\nHost: api\r\n"
                    b'Content-Length: 4\r\n\r\n"ok"' + poll
                )
                accepted = await reader.readuntil(b'{"status":"OK"}')
                reply = await first_reply
                api.submit(invocation("id-2", b'{"second": true}'))
                following = await reader.readuntil(b'{"second": true}')
        finally:
            writer.close()
            await server.close(grace=0)
        assert accepted.startswith(b"HTTP/1.1 202 Accepted\r\n")
        assert following.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"\r\nlambda-runtime-aws-request-id: id-2\r\n" in following
        return accepted, reply

    _, reply = run(scenario)
    assert (reply.kind, reply.body) == ("response", b'"ok"')


def test_an_event_goes_to_the_poll_of_a_runtime_that_reconnected() -> None:
    """A runtime whose connection was reset while it waited in /next polls again on a new
    one: the next event reaches that poll, not the one left on the broken connection."""

    async def scenario() -> bytes:
        api = RuntimeAPI()
        server = await start_server(api.handle)
        poll = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: api\r\n\r\n"
        try:
            _, broken = await asyncio.open_connection("127.0.0.1", server.port)
            broken.write(poll)
            await broken.drain()
            await asyncio.sleep(0.05)
            # Reset, as the kernel does for a runtime killed mid-poll with bytes unread.
            broken.transport.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            broken.transport.abort()
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(poll)
            await writer.drain()
            await asyncio.sleep(0.05)
            api.submit(invocation("id-after", b'{"after": 1}'))
            async with asyncio.timeout(5):
                following = await reader.readuntil(b'{"after": 1}')
            writer.close()
        finally:
            await server.close(grace=0)
        return following

    following = run(scenario)
    assert b"\r\nlambda-runtime-aws-request-id: id-after\r\n" in following


@pytest.mark.parametrize("parser", ["httptools", "http.client"])
def test_lean_runtime_client_sends_again_when_the_server_drops_its_connection(parser: str) -> None:
    """A kept-alive connection the Runtime API closed before answering: the requests never
    reached it, so the client sends them again on a new one, a pipelined poll included; both
    responses, arriving in one read, are parsed by either of the client's parsers."""
    from lambgate.local.lambda_service.worker.bootstrap import (
        HttpClientReader,
        RuntimeClient,
        default_reader,
    )

    reader = default_reader() if parser == "httptools" else HttpClientReader

    async def scenario() -> tuple[int, int, bytes, list[bytes]]:
        received: list[bytes] = []
        connections = 0

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            if connections == 1:
                received.append(await reader.readuntil(b"\r\n\r\n"))
                writer.close()  # dropped unanswered
                return
            data = await reader.readuntil(b"/next HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port)
            received.append(data)
            writer.write(
                b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}"
                b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: id-2\r\n"
                b"Content-Length: 4\r\n\r\nnext"
            )
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            client = RuntimeClient(f"127.0.0.1:{port}", reader)

            def exchange() -> tuple[int, int, bytes]:
                status = client.post("/invocation/id-1/response", b"1", then_next=True)
                next_status, headers, body = client.next_invocation()
                assert headers["lambda-runtime-aws-request-id"] == "id-2"
                return status, next_status, body

            try:
                async with asyncio.timeout(5):
                    status, next_status, body = await asyncio.to_thread(exchange)
            finally:
                client.close()
        return status, next_status, body, received

    status, next_status, body, received = run(scenario)
    assert (status, next_status, body) == (202, 200, b"next")
    first, resent = received
    assert first.startswith(b"POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1\r\n")
    assert resent.startswith(first + b"1GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n")


@pytest.mark.parametrize("parser", ["httptools", "http.client"])
def test_lean_runtime_client_refuses_an_answer_that_is_not_http(parser: str) -> None:
    """Whichever parser reads it, a Runtime API answer that is not HTTP is the client's one
    error, which ends the worker quietly (below), not a parser's own exception."""
    from lambgate.local.lambda_service.worker.bootstrap import (
        HttpClientReader,
        RuntimeAPIError,
        RuntimeClient,
        default_reader,
    )

    reader = default_reader() if parser == "httptools" else HttpClientReader

    async def scenario() -> BaseException | None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"SPDY/9 what\r\n\r\n")
            await writer.drain()
            await reader.read()  # until the client leaves
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            client = RuntimeClient(f"127.0.0.1:{port}", reader)
            try:
                async with asyncio.timeout(5):
                    await asyncio.to_thread(client.next_invocation)
            except RuntimeAPIError as error:
                return error
            finally:
                client.close()
        return None

    assert isinstance(run(scenario), RuntimeAPIError)


@pytest.mark.parametrize("handler", ["app.handler", "nosuchmodule.handler"])
def test_a_worker_whose_runtime_api_is_not_http_exits_without_a_traceback(handler: str) -> None:
    """Whether it was asking for an event or reporting its init error, a worker whose Runtime
    API answers something that is not HTTP exits 1, printing only what the function's log
    would hold anyway."""
    bootstrap = (
        Path(__file__).resolve().parents[2] / "local_server/lambda_service/worker/bootstrap.py"
    )

    async def scenario() -> tuple[int, bytes]:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"SPDY/9 what\r\n\r\n")
            await writer.drain()
            await reader.read()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            worker = await asyncio.create_subprocess_exec(
                sys.executable,
                "-P",
                str(bootstrap),
                cwd=TOOLBOX,
                env={
                    "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
                    "_HANDLER": handler,
                    "PYTHONPATH": str(TOOLBOX),
                },
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            async with asyncio.timeout(10):
                output, _ = await worker.communicate()
        assert worker.returncode is not None
        return worker.returncode, output

    status, output = run(scenario)
    assert status == 1
    if handler == "app.handler":
        assert output == b"toolbox: init done\n"  # the function's own line, at its import
    else:
        assert output == (
            b"[ERROR] Runtime.ImportModuleError: Unable to import module 'nosuchmodule': "
            b"No module named 'nosuchmodule'\n"
        )


def test_workers_end_when_the_emulator_is_killed() -> None:
    """Even a SIGKILLed emulator, which cannot clean up, leaves no worker running: each
    worker's runtime loses its Runtime API connection and exits."""
    script = textwrap.dedent(
        """
        import asyncio, pathlib, sys
        from lambgate.local.lambda_service.function_pool import FunctionConfig, FunctionRuntime

        async def main():
            config = FunctionConfig(
                name="T", code_uri=pathlib.Path(sys.argv[1]), handler="app.handler"
            )
            runtime = FunctionRuntime(config, log=lambda line: None)
            sleep = b'{"action": "sleep", "seconds": 0.3}'
            await asyncio.gather(*(runtime.invoke(sleep) for _ in range(3)))
            print(*runtime.pids, flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    emulator = subprocess.Popen(
        [sys.executable, "-c", script, str(TOOLBOX)], stdout=subprocess.PIPE
    )
    try:
        assert emulator.stdout is not None
        workers = {int(pid) for pid in emulator.stdout.readline().split()}
        assert len(workers) == 3
    finally:
        emulator.kill()
        emulator.wait(timeout=5)
        if emulator.stdout is not None:
            emulator.stdout.close()
    assert not still_alive(workers)


def test_recycle_makes_the_next_invocation_load_the_changed_code(tmp_path: Path) -> None:
    """What ``--reload`` relies on: no build step, the next invocation imports the new code."""
    module = tmp_path / "app.py"
    module.write_text("import os\ndef handler(event, context):\n    return [1, os.getpid()]\n")
    config = FunctionConfig(name="Changing", code_uri=tmp_path, handler="app.handler")

    async def scenario() -> tuple[InvocationResult, InvocationResult, InvocationResult]:
        runtime = FunctionRuntime(config, log=Log())
        try:
            before = await runtime.invoke(b"{}")
            # A different size too: within one second, Python's .pyc check (source mtime in
            # whole seconds, and size) would take a same-size rewrite for the cached module.
            module.write_text(
                "import os\ndef handler(event, context):\n    return [22, os.getpid()]\n"
            )
            unchanged = await runtime.invoke(b"{}")  # warm: the old module stays loaded
            await runtime.recycle()
            after = await runtime.invoke(b"{}")
            return before, unchanged, after
        finally:
            await runtime.close()

    before, unchanged, after = run(scenario)
    (old, old_pid), (still_old, same_pid), (new, new_pid) = (
        json.loads(invocation.payload) for invocation in (before, unchanged, after)
    )
    assert (old, still_old, new) == (1, 1, 22)
    assert same_pid == old_pid != new_pid
    assert after.cold
    assert not still_alive([old_pid])


def test_recycle_lets_a_busy_environment_finish_its_invocation_first() -> None:
    async def scenario() -> tuple[InvocationResult, InvocationResult]:
        runtime = FunctionRuntime(toolbox(), log=Log())
        try:
            busy = asyncio.create_task(runtime.invoke(event("sleep", seconds=0.5)))
            while not runtime.pids:
                await asyncio.sleep(0.01)
            await runtime.recycle()
            finished = await busy
            after = await runtime.invoke(event("count"))
            return finished, after
        finally:
            await runtime.close()

    finished, after = run(scenario)
    assert finished.function_error is None
    old_pid = json.loads(finished.payload)["pid"]
    assert after.cold and json.loads(after.payload)["pid"] != old_pid
    assert not still_alive([old_pid])


@pytest.mark.parametrize(
    ("init_seconds", "expected", "function_error"),
    [
        (0.6, b'"ready"', None),
        (
            5.0,
            b'{"errorType": "Sandbox.Timedout", "errorMessage": '
            b'"RequestId: req-init Error: Task timed out after 1.00 seconds"}',
            "Unhandled",
        ),
    ],
    ids=["finishes-within-the-timeout", "exceeds-it"],
)
def test_init_past_the_init_limit_gets_the_function_timeout_more(
    monkeypatch: pytest.MonkeyPatch,
    init_seconds: float,
    expected: bytes,
    function_error: str | None,
) -> None:
    """AWS: "If [init does] not complete within 10 seconds, Lambda retries the Init phase at
    the time of the first function invocation with the configured function timeout"
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
    The 10 s limit is shortened to 0.3 s here."""
    monkeypatch.setattr("lambgate.local.lambda_service.function_pool.INIT_TIMEOUT_S", 0.3)
    config = toolbox(
        code_uri=FUNCTIONS / "slow_init",
        timeout=1.0,
        variables={"INIT_SECONDS": str(init_seconds)},
    )
    log = Log()

    async def scenario() -> InvocationResult:
        runtime = FunctionRuntime(config, log=log)
        try:
            return await runtime.invoke(b"{}", request_id="req-init")
        finally:
            await runtime.close()

    invocation = run(scenario)
    assert (invocation.payload, invocation.function_error) == (expected, function_error)
    assert "INIT_REPORT Init Duration: 300.00 ms\tPhase: init\tStatus: timeout" in log.lines
