"""The Invoke API answers boto3's real Lambda client as AWS does.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html. boto3 talks HTTP to
127.0.0.1 from a thread while the emulator's event loop serves it; every worker is stopped by
PID at the end of each test.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from lambgate.local.lambda_service.function import FunctionConfig
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.lambda_service.invoke_api import InvokeServer, start_invoke_api

from .processes import still_alive
from .test_runtime import FUNCTIONS, TOOLBOX, Log, event


class Emulator:
    """``start-lambda`` on a background event loop, with a boto3 client pointed at it."""

    def __init__(self) -> None:
        self.log = Log()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runtimes = {
            "Toolbox": FunctionRuntime(
                FunctionConfig(name="Toolbox", code_uri=TOOLBOX, handler="app.handler"),
                log=self.log,
            ),
            "Broken": FunctionRuntime(
                FunctionConfig(
                    name="Broken", code_uri=FUNCTIONS / "broken_import", handler="app.handler"
                ),
                log=self.log,
            ),
        }
        self.server: InvokeServer = self.call(start_invoke_api(self.runtimes))
        self.client = boto3.client(
            "lambda",
            endpoint_url=f"http://127.0.0.1:{self.server.port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}, read_timeout=30),
        )

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def pids(self) -> set[int]:
        return {pid for runtime in self.runtimes.values() for pid in runtime.pids}

    def close(self) -> set[int]:
        pids = self.pids()
        self.call(self.server.close())
        for runtime in self.runtimes.values():
            self.call(runtime.close())
        self.client.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()
        return pids


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    running = Emulator()
    try:
        yield running
    finally:
        pids = running.close()
        assert not still_alive(pids)


def read(response: dict[str, Any]) -> Any:
    return json.loads(response["Payload"].read())


def test_request_response_returns_the_result(emulator: Emulator) -> None:
    response = emulator.client.invoke(FunctionName="Toolbox", Payload=event("echo", n=1))
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response and "LogResult" not in response
    assert read(response) == {"action": "echo", "n": 1}


def test_function_named_by_arn_or_with_latest_qualifier(emulator: Emulator) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:Toolbox"
    by_arn = emulator.client.invoke(FunctionName=arn, Payload=event("echo"))
    qualified = emulator.client.invoke(
        FunctionName="Toolbox", Qualifier="$LATEST", Payload=event("echo")
    )
    assert read(by_arn) == read(qualified) == {"action": "echo"}


def test_no_payload_hands_the_function_an_empty_object(emulator: Emulator) -> None:
    assert read(emulator.client.invoke(FunctionName="Toolbox")) == {}


def test_function_error_is_200_with_x_amz_function_error(emulator: Emulator) -> None:
    response = emulator.client.invoke(FunctionName="Toolbox", Payload=event("raise"))
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    document = read(response)
    assert document["errorMessage"] == "boom"
    assert document["errorType"] == "ValueError"
    assert document["stackTrace"][0].startswith(f'  File "{TOOLBOX / "app.py"}", line ')


def test_init_error_is_a_function_error_too(emulator: Emulator) -> None:
    response = emulator.client.invoke(FunctionName="Broken", Payload=b"{}")
    assert (response["StatusCode"], response["FunctionError"]) == (200, "Unhandled")
    assert read(response)["errorType"] == "Runtime.ImportModuleError"


def test_unknown_function_is_resource_not_found(emulator: Emulator) -> None:
    with pytest.raises(emulator.client.exceptions.ResourceNotFoundException) as raised:
        emulator.client.invoke(FunctionName="Nope", Payload=b"{}")
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope"
    )
    assert error["Type"] == "User"


def test_unknown_version_is_resource_not_found(emulator: Emulator) -> None:
    with pytest.raises(emulator.client.exceptions.ResourceNotFoundException) as raised:
        emulator.client.invoke(FunctionName="Toolbox", Qualifier="7", Payload=b"{}")
    assert raised.value.response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Toolbox:7"
    )


def test_dry_run_is_204_and_runs_nothing(emulator: Emulator) -> None:
    response = emulator.client.invoke(
        FunctionName="Toolbox", InvocationType="DryRun", Payload=event("count")
    )
    assert response["StatusCode"] == 204
    assert emulator.pids() == set()


def test_event_is_202_and_runs_in_the_background(emulator: Emulator) -> None:
    response = emulator.client.invoke(
        FunctionName="Toolbox", InvocationType="Event", Payload=event("print", text="queued!")
    )
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    wait_until(lambda: "queued!" in emulator.log.lines)
    wait_until(lambda: any(line.startswith("REPORT ") for line in emulator.log.lines))


def test_log_type_tail_returns_the_last_4_kb_of_the_log(emulator: Emulator) -> None:
    response = emulator.client.invoke(
        FunctionName="Toolbox", LogType="Tail", Payload=event("print", text="hello log")
    )
    request_id = response["ResponseMetadata"]["RequestId"]
    lines = base64.b64decode(response["LogResult"]).decode().splitlines()
    assert lines[-4:-2] == [f"START RequestId: {request_id} Version: $LATEST", "hello log"]
    assert lines[-2] == f"END RequestId: {request_id}"
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")

    noisy = emulator.client.invoke(
        FunctionName="Toolbox", LogType="Tail", Payload=event("print", text="y" * 10_000)
    )
    tail = base64.b64decode(noisy["LogResult"])
    assert len(tail) == 4096 and tail.endswith(b"\t\n") and b"REPORT RequestId" in tail


def test_client_context_reaches_the_handler(emulator: Emulator) -> None:
    client_context = {"custom": {"tenant": "t-1"}, "env": {"platform": "test"}}
    response = emulator.client.invoke(
        FunctionName="Toolbox",
        ClientContext=base64.b64encode(json.dumps(client_context).encode()).decode(),
        Payload=event("inspect"),
    )
    assert read(response)["context"]["client_context"] == client_context


def test_payload_that_is_not_json_is_invalid_request_content(emulator: Emulator) -> None:
    with pytest.raises(emulator.client.exceptions.InvalidRequestContentException) as raised:
        emulator.client.invoke(FunctionName="Toolbox", Payload=b"not json")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raised.value.response["Error"]["Message"].startswith(
        "Could not parse request body into json"
    )


def test_payload_over_6_mb_is_request_entity_too_large(emulator: Emulator) -> None:
    """AWS: "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 6 MB)."""
    payload = json.dumps("z" * (6 * 1024 * 1024)).encode()
    with pytest.raises(emulator.client.exceptions.RequestTooLargeException) as raised:
        emulator.client.invoke(FunctionName="Toolbox", Payload=payload)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert raised.value.response["Error"]["Message"] == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.02)
