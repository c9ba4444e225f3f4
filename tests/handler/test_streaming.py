"""lambgate's streaming runtime, started through its exec wrapper as Lambda starts it, driven
against the emulator's Runtime API on 127.0.0.1: what it posts is what Lambda would read."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import lambgate
from lambgate.local.front.server import Limits, start_server
from lambgate.local.lambda_service.execution_environment import RUNTIME_API_MAX_BODY
from lambgate.local.lambda_service.response_stream import StreamEnd
from lambgate.local.lambda_service.runtime_api import InvocationRequest, RuntimeAPI, RuntimeReply
from lambgate.streaming.prelude import prelude_to_response
from tests.factories import make_alb_event, make_function_url_event, make_http_v2_event

WRAPPER = Path(lambgate.__file__).parent / "streaming" / "exec-wrapper"
ROOT = Path(__file__).resolve().parents[2]
FASTAPI = "tests.handler.apps.streaming_apps:fastapi_app"
FLASK = "tests.handler.apps.streaming_apps:flask_app"
REQUEST_ID = "8f507cfc-0000-4000-8000-000000000001"


@dataclass
class Reply:
    """What the runtime posted: the reply, and for a streamed one its body and its end."""

    reply: RuntimeReply
    body: bytes
    end: StreamEnd | None

    @property
    def error_type(self) -> str | None:
        return self.end.error_type if self.end is not None else self.reply.error_type


async def _invoke(
    app: str,
    event: dict[str, Any],
    deadline_s: float = 30,
    *,
    cut_after_first_chunk: bool = False,
    **variables: str,
) -> tuple[Reply, str]:
    """Invoke ``app`` through the wrapper; ``cut_after_first_chunk`` closes the runtime's
    stream once its first chunk came, as Lambda does when it ends a stream early."""
    api = RuntimeAPI()
    server = await start_server(
        api.handle,
        limits=Limits(max_body=RUNTIME_API_MAX_BODY, idle_timeout=60),
        streams_body=RuntimeAPI.streams_body,
    )
    env = {
        **os.environ,
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.port}",
        "_HANDLER": "lambgate.lambda_handler",
        "LAMBGATE_APP": app,
        "LAMBDA_TASK_ROOT": str(ROOT),
        **variables,
        "AWS_LAMBDA_FUNCTION_NAME": "streaming",
    }
    # As Lambda runs a wrapper: the interpreter, then the managed runtime's own arguments.
    process = await asyncio.create_subprocess_exec(
        str(WRAPPER),
        sys.executable,
        "/var/runtime/bootstrap.py",
        env=env,
        cwd=ROOT,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, reply = api.submit(
            InvocationRequest(
                request_id=REQUEST_ID,
                payload=json.dumps(event).encode(),
                deadline_ms=int((time.time() + deadline_s) * 1000),
                invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:streaming",
                trace_id="Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
            )
        )
        answer = await asyncio.wait_for(reply, 60)
        if answer.stream is None:
            result = Reply(answer, answer.body, None)
        elif cut_after_first_chunk:
            first = await asyncio.wait_for(answer.stream.read(), 60)
            answer.stream.fail("Sandbox.Timedout", b"{}")
            await asyncio.wait_for(api.next_poll(), 60)  # the runtime is done with it
            result = Reply(answer, first, answer.stream.ended.result())
        else:
            body = await asyncio.wait_for(answer.stream.read_all(), 60)
            result = Reply(answer, body, answer.stream.ended.result())
    finally:
        process.kill()
        assert process.stderr is not None
        log = (await process.stderr.read()).decode()
        await process.wait()
        await server.close()
    return result, log


def invoke(app: str, event: dict[str, Any], deadline_s: float = 30) -> Reply:
    return asyncio.run(_invoke(app, event, deadline_s))[0]


def streamed(reply: Reply) -> tuple[int, list[tuple[str, str]], bytes]:
    assert reply.reply.kind == "response" and reply.reply.streamed
    parsed = prelude_to_response(reply.body)
    assert parsed is not None
    return parsed


def test_sse_events_stream_with_status_and_headers_in_the_prelude() -> None:
    reply = invoke(FASTAPI, make_function_url_event(path="/sse"))
    status, headers, body = streamed(reply)
    assert status == 200
    assert ("content-type", "text/event-stream; charset=utf-8") in headers
    assert body.replace(b"\r\n", b"\n").count(b"data: ") == 3
    assert reply.end is not None and reply.end.error_type is None


def test_cookies_go_in_the_prelude_each_as_its_own_set_cookie() -> None:
    status, headers, body = streamed(invoke(FASTAPI, make_function_url_event(path="/cookies")))
    assert status == 201
    cookies = [value for name, value in headers if name == "set-cookie"]
    assert [cookie.split(";")[0] for cookie in cookies] == ["a=1", "b=2"]
    assert ("x-app", "streams") in headers
    assert body == b"first,second"


def test_a_body_over_the_buffered_6_mb_limit_streams_whole() -> None:
    _, _, body = streamed(invoke(FASTAPI, make_function_url_event(path="/big")))
    assert len(body) == 7 * 1024 * 1024


def test_an_error_after_the_first_chunk_ends_the_stream_with_lambda_error_trailers() -> None:
    reply, log = asyncio.run(_invoke(FASTAPI, make_function_url_event(path="/boom")))
    _, _, body = streamed(reply)
    assert body == b"partial"
    assert reply.error_type == "RuntimeError"  # the class name, as Lambda's runtimes say
    assert reply.end is not None and reply.end.error_body is not None
    error = json.loads(reply.end.error_body)
    assert (error["errorMessage"], error["errorType"]) == ("the model went away", reply.error_type)
    assert "GET /boom: app raised after the stream began" in log


def test_the_deadline_ends_an_endless_stream_cleanly_with_a_timeout_error() -> None:
    started = time.monotonic()
    # The deadline counts from the submission, the runtime's start-up included (FastAPI's
    # import takes seconds on a loaded machine): leave the app time to send its first ticks.
    reply, log = asyncio.run(_invoke(FASTAPI, make_function_url_event(path="/forever"), 6))
    took = time.monotonic() - started
    _, _, body = streamed(reply)
    assert body.startswith(b"tick\n") and body.endswith(b"tick\n")
    # Ended by lambgate's margin (500 ms) before Lambda's deadline, not by Lambda killing it.
    assert reply.error_type == "Sandbox.Timedout"
    assert took < 6 + 5
    assert "GET /forever timed out" in log and "the stream was ended" in log


def test_an_error_before_the_first_byte_answers_500() -> None:
    reply = invoke(FASTAPI, make_function_url_event(path="/fails-early"))
    status, _, body = streamed(reply)
    assert (status, body, reply.error_type) == (500, b"Internal Server Error", None)


def test_an_app_that_does_not_stream_still_answers_through_the_stream() -> None:
    status, headers, body = streamed(invoke(FASTAPI, make_function_url_event(path="/plain")))
    assert (status, body) == (200, b"not streamed")
    assert ("x-kind", "plain") in headers


def test_a_flask_generator_streams() -> None:
    status, _, body = streamed(invoke(FLASK, make_function_url_event(path="/stream")))
    assert (status, body) == (200, b"line 0\nline 1\nline 2\n")


def test_an_http_api_event_gets_a_buffered_result_since_http_apis_cannot_stream() -> None:
    reply, log = asyncio.run(_invoke(FASTAPI, make_http_v2_event(path="/cookies")))
    assert "the http event source cannot stream" in log
    assert reply.reply.kind == "response" and not reply.reply.streamed
    result = json.loads(reply.body)
    assert result["statusCode"] == 201
    assert result["body"] == "first,second"


def test_an_alb_event_is_buffered_and_the_log_gives_albs_1_mb_limit() -> None:
    reply, log = asyncio.run(_invoke(FASTAPI, make_alb_event(path="/cookies")))
    assert "the alb event source cannot stream" in log
    assert "1 MB at most" in log and "6 MB" not in log
    assert json.loads(reply.body)["statusCode"] == 201
    _, log = asyncio.run(_invoke(FASTAPI, make_http_v2_event(path="/cookies")))
    assert "6 MB at most" in log


def test_a_websocket_event_is_answered_as_usual_without_talk_of_a_buffered_response() -> None:
    """A WebSocket route's answer is no HTTP response to stream: nothing to warn about."""
    event = json.loads((ROOT / "tests/handler/events/apigw-websocket-request.json").read_text())
    reply, log = asyncio.run(_invoke(FASTAPI, event))
    assert reply.reply.kind == "response" and not reply.reply.streamed
    assert "statusCode" in json.loads(reply.body)
    assert "cannot stream" not in log and "buffered" not in log


def test_a_handler_that_is_not_lambgates_is_an_init_error() -> None:
    async def run() -> RuntimeReply:
        api = RuntimeAPI()
        server = await start_server(api.handle)
        env = {
            **os.environ,
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.port}",
            "_HANDLER": "json.dumps",
            "LAMBDA_TASK_ROOT": str(ROOT),
        }
        process = await asyncio.create_subprocess_exec(
            str(WRAPPER), sys.executable, env=env, cwd=ROOT, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            return await asyncio.wait_for(api.init_error, 30)
        finally:
            process.kill()
            await process.wait()
            await server.close()

    reply = asyncio.run(run())
    assert reply.error_type == "Runtime.ImportModuleError"
    assert "not lambgate's" in json.loads(reply.body)["errorMessage"]


def test_an_app_that_stops_by_itself_when_its_stream_is_cut_is_logged_as_stopped() -> None:
    """sse-starlette takes ``http.disconnect`` and returns normally: the cut is still logged."""
    event = make_function_url_event(path="/slow-sse")
    _, log = asyncio.run(_invoke(FASTAPI, event, cut_after_first_chunk=True))
    assert "GET /slow-sse: the response stream was closed early; the app was stopped" in log


def _sys_path_of_the_app() -> dict[str, Any]:
    _, _, body = streamed(invoke(FASTAPI, make_function_url_event(path="/sys-path")))
    document: dict[str, Any] = json.loads(body)
    return document


def test_the_layers_folders_follow_the_code_on_sys_path_as_in_lambdas_python_runtime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lambda's Python runtime puts LAMBDA_TASK_ROOT, then the layers'
    /opt/python/lib/python3.X/site-packages, then /opt/python first on sys.path when the
    function does not set PYTHONPATH
    (https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths)."""
    monkeypatch.delenv("PYTHONPATH", raising=False)
    seen = _sys_path_of_the_app()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = f"/opt/python/lib/python{version}/site-packages"
    assert seen["path"][:3] == [str(ROOT), site_packages, "/opt/python"]
    # The function's environment is as Lambda gives it: no PYTHONPATH of the wrapper's.
    assert seen["PYTHONPATH"] is None


def test_a_function_that_sets_pythonpath_keeps_it_and_gets_no_layer_folders(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    seen = _sys_path_of_the_app()
    assert seen["path"][0] == str(ROOT) and str(tmp_path) in seen["path"]
    assert not [entry for entry in seen["path"] if entry.startswith("/opt/")]
    assert seen["PYTHONPATH"] == str(tmp_path)


def test_the_wrapper_lambda_runs_is_executable() -> None:
    assert os.access(WRAPPER, os.X_OK)


def test_the_app_logs_as_in_lambdas_python_runtime_warning_and_up_unless_the_level_says() -> None:
    event = make_function_url_event(path="/logs")
    _, log = asyncio.run(_invoke(FASTAPI, event))
    warning = next(line for line in log.splitlines() if "a warning line" in line)
    level, stamp, request_id, message = warning.split("\t")
    assert (level, request_id, message) == ("[WARNING]", REQUEST_ID, "a warning line")
    assert stamp.endswith("Z")
    assert "an info line" not in log
    _, log = asyncio.run(_invoke(FASTAPI, event, AWS_LAMBDA_LOG_LEVEL="INFO"))
    assert "[INFO]\t" in log and "an info line" in log
