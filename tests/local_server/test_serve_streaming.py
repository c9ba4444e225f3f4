"""Response streaming under ``lambgate serve``: a function URL in ``RESPONSE_STREAM`` mode, a
REST API in ``STREAM`` mode and ``InvokeWithResponseStream`` relay the function's chunks as
its app sends them, through the same Runtime API path (and the same exec wrapper) as Lambda."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from lambgate.local.cli.banner import banner
from lambgate.local.cli.plan import ServeOptions, plan_app, plan_template
from lambgate.local.template.specs import TemplateError
from tests.factories import make_function_url_event

from .processes import still_alive
from .running_emulator import RunningEmulator

ROOT = Path(__file__).resolve().parents[2]
STREAMING_APP = "tests.handler.apps.streaming_apps:fastapi_app"
FLASK_STREAMING_APP = "tests.handler.apps.streaming_apps:flask_app"
APPS_DIR = ROOT / "tests" / "handler" / "apps"
TIMEOUT = httpx.Timeout(30.0)


@pytest.fixture
def serving() -> Iterator[list[RunningEmulator]]:
    started: list[RunningEmulator] = []
    yield started
    for running in started:
        assert not still_alive(running.stop()), "workers outlived the emulator"


def serve(serving: list[RunningEmulator], **options: Any) -> RunningEmulator:
    running = RunningEmulator(**options)
    serving.append(running)
    return running


def serve_streaming_app(
    serving: list[RunningEmulator], fmt: str = "url", app: str = STREAMING_APP
) -> tuple[RunningEmulator, str]:
    running = serve(serving, app=app, app_dir=ROOT, format=fmt, stream=True)
    return running, running.url("App" if fmt == "url" else "ServerlessRestApi")


def test_sse_events_reach_the_client_as_the_app_sends_them(
    serving: list[RunningEmulator],
) -> None:
    _, url = serve_streaming_app(serving)
    arrivals: list[tuple[float, bytes]] = []
    with httpx.stream("GET", f"{url}/slow-sse", timeout=TIMEOUT) as response:
        started = time.monotonic()
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        for chunk in response.iter_raw():
            arrivals.append((time.monotonic() - started, chunk))
    events = [(at, chunk) for at, chunk in arrivals if b"data:" in chunk]
    assert len(events) == 3
    # Each event left as it was sent, 0.4 s apart: the first long before the last was written.
    assert events[2][0] - events[0][0] > 0.6


def test_status_headers_and_each_cookie_come_from_the_prelude(
    serving: list[RunningEmulator],
) -> None:
    _, url = serve_streaming_app(serving)
    got = httpx.get(f"{url}/cookies", timeout=TIMEOUT)
    assert (got.status_code, got.content) == (201, b"first,second")
    assert got.headers["x-app"] == "streams"
    assert [c.split(";")[0] for c in got.headers.get_list("set-cookie")] == ["a=1", "b=2"]
    assert got.headers["x-amzn-requestid"]


def test_a_body_over_the_front_and_buffered_limits_streams_whole(
    serving: list[RunningEmulator],
) -> None:
    """12 MB: past Lambda's 6 MB buffered limit and past the front's 10 MB request limit,
    which the Runtime API's streamed post is not held to."""
    _, url = serve_streaming_app(serving)
    got = httpx.get(f"{url}/megabytes/12", timeout=TIMEOUT)
    assert got.status_code == 200
    assert len(got.content) == 12 * 1024 * 1024


def test_an_error_after_the_first_chunk_cuts_the_response_short_and_says_why(
    serving: list[RunningEmulator],
) -> None:
    running, url = serve_streaming_app(serving)
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("GET", f"{url}/boom", timeout=TIMEOUT) as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_raw():
            received += chunk
    assert received == b"partial"
    log = running.log.wait_for("the client's response was cut short")
    assert "failed after its stream began (RuntimeError)" in log
    running.log.wait_for("GET /boom: app raised after the stream began")


def _leave_after(url: str, ticks: int) -> None:
    with httpx.stream("GET", url, timeout=TIMEOUT) as response:
        seen = 0
        for chunk in response.iter_raw():
            seen += chunk.count(b"tick")
            if seen >= ticks:
                break


def _report_duration_ms(log: str) -> float:
    (duration,) = re.findall(r"REPORT RequestId: \S+\s+Duration: ([\d.]+) ms", log)
    return float(duration)


@pytest.mark.parametrize("app", [STREAMING_APP, FLASK_STREAMING_APP], ids=["fastapi", "flask"])
def test_the_app_runs_to_its_end_after_the_client_leaves_as_on_aws(
    serving: list[RunningEmulator], app: str
) -> None:
    """On AWS "streamed responses are not interrupted or stopped when the invoking client
    connection is broken", and the whole run is billed
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html)."""
    running, url = serve_streaming_app(serving, app=app)
    mark = running.log.mark()
    _leave_after(f"{url}/ticks/20", 3)
    log = running.log.wait_for("sent all 20 ticks", after=mark)
    assert "the client disconnected mid-stream; as on AWS, the function keeps running" in log
    assert "configuration-response-streaming.html" in log
    assert "the app was stopped" not in log
    # The invocation lasted the app's 20 ticks (2 s), not the 3 the client read.
    log = running.log.wait_for("REPORT RequestId", after=mark)
    assert _report_duration_ms(log) >= 1900
    # The environment is free again, and serves the next request warm.
    mark = running.log.mark()
    assert httpx.get(f"{url}/ticks/1", timeout=TIMEOUT).text == "tick\n"
    assert "App warm" in running.log.wait_for("GET /ticks/1 200", after=mark)


def test_an_app_the_client_left_still_ends_at_its_deadline(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    """Left by its client, an endless stream runs until the function's timeout, as on AWS."""
    running = serve(serving, template=write_template(tmp_path, timeout=2))
    mark = running.log.mark()
    _leave_after(f"{running.url('Streamer URL')}/forever", 3)
    log = running.log.wait_for("GET /forever timed out", after=mark)
    assert "the client disconnected mid-stream" in log
    assert _report_duration_ms(running.log.wait_for("REPORT RequestId", after=mark)) >= 1500


def test_an_app_that_does_not_stream_answers_through_the_stream(
    serving: list[RunningEmulator],
) -> None:
    _, url = serve_streaming_app(serving)
    got = httpx.get(f"{url}/plain", timeout=TIMEOUT)
    assert (got.status_code, got.text, got.headers["x-kind"]) == (200, "not streamed", "plain")


def test_a_flask_generator_streams_behind_a_rest_api_in_stream_mode(
    serving: list[RunningEmulator],
) -> None:
    running, url = serve_streaming_app(serving, "rest", FLASK_STREAMING_APP)
    assert "ANY /{proxy+}  -> App  (STREAM)" in banner(running.emulator)
    got = httpx.get(f"{url}/Prod/stream", timeout=TIMEOUT)
    assert (got.status_code, got.text) == (200, "line 0\nline 1\nline 2\n")
    assert got.headers["transfer-encoding"] == "chunked"
    assert got.headers["x-amzn-requestid"]


def test_stream_needs_a_front_that_can_read_a_stream() -> None:
    with pytest.raises(TemplateError, match="--stream: the http format cannot stream"):
        plan_app(ServeOptions(app=STREAMING_APP, format="http", stream=True))
    with pytest.raises(TemplateError, match="--stream: is for APP"):
        plan_template(ServeOptions(template=ROOT / "template.yaml", stream=True))


def test_boto3_invoke_with_response_stream_yields_the_chunks_as_they_come(
    serving: list[RunningEmulator],
) -> None:
    running, _ = serve_streaming_app(serving)
    client = boto3.client(
        "lambda",
        endpoint_url=running.invoke_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 0}, read_timeout=30),
    )
    answer = client.invoke_with_response_stream(
        FunctionName="App",
        Payload=json.dumps(make_function_url_event(path="/slow-sse")).encode(),
        LogType="Tail",
    )
    assert answer["StatusCode"] == 200
    assert answer["ResponseStreamContentType"] == (
        "application/vnd.awslambda.http-integration-response"
    )
    chunks: list[tuple[float, bytes]] = []
    complete: dict[str, str] = {}
    started = time.monotonic()
    for event in answer["EventStream"]:
        if "PayloadChunk" in event:
            chunks.append((time.monotonic() - started, event["PayloadChunk"]["Payload"]))
        else:
            complete = event["InvokeComplete"]
    body = b"".join(chunk for _, chunk in chunks)
    # The payload is the stream as the function wrote it: the prelude, its delimiter, events.
    assert body.startswith(b'{"statusCode":200') and b"\x00" * 8 in body
    assert body.count(b"data: ") == 3
    assert chunks[-1][0] - chunks[0][0] > 0.6
    assert "ErrorCode" not in complete
    assert b"REPORT RequestId" in __import__("base64").b64decode(complete["LogResult"])

    failed = client.invoke_with_response_stream(
        FunctionName="App", Payload=json.dumps(make_function_url_event(path="/boom")).encode()
    )
    events = list(failed["EventStream"])
    assert events[-1]["InvokeComplete"] == {
        "ErrorCode": "RuntimeError",
        "ErrorDetails": "the model went away",
    }


# -- a template's streaming functions --------------------------------------------------------

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Streamer:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code}
      Handler: lambgate.lambda_handler
      Runtime: python3.12
      Timeout: {timeout}
      Environment:
        Variables:
          LAMBGATE_APP: streaming_apps:{app}
{wrapper}      FunctionUrlConfig:
        AuthType: NONE
        InvokeMode: RESPONSE_STREAM
      Events:
        Streamed:
          Type: Api
          Properties:
            Path: /{{proxy+}}
            Method: GET
            ResponseTransferMode: RESPONSE_STREAM
        Buffered:
          Type: HttpApi
          Properties:
            Path: /{{proxy+}}
            Method: GET
"""
WRAPPER = "          AWS_LAMBDA_EXEC_WRAPPER: /var/task/lambgate/streaming/exec-wrapper\n"


def write_template(
    tmp_path: Path, *, wrapper: str = WRAPPER, timeout: int = 30, app: str = "fastapi_app"
) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE.format(code=APPS_DIR, timeout=timeout, wrapper=wrapper, app=app))
    return path


def test_a_template_function_url_and_rest_route_stream_and_its_http_api_buffers(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    running = serve(serving, template=write_template(tmp_path))
    url = running.url("Streamer URL")
    got = httpx.get(f"{url}/cookies", timeout=TIMEOUT)
    assert (got.status_code, got.content, got.headers["transfer-encoding"]) == (
        201,
        b"first,second",
        "chunked",
    )
    api = running.url("ServerlessRestApi")
    assert httpx.get(f"{api}/Prod/megabytes/7", timeout=TIMEOUT).content == b"x" * 7 * 1024**2
    http_api = running.url("ServerlessHttpApi")
    buffered = httpx.get(f"{http_api}/cookies", timeout=TIMEOUT)
    assert (buffered.status_code, buffered.text) == (201, "first,second")
    assert "content-length" in buffered.headers
    running.log.wait_for("the http event source cannot stream")


def test_a_streaming_url_whose_function_does_not_stream_passes_its_result_on(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    """Without the wrapper the managed runtime answers whole; a function URL in
    RESPONSE_STREAM mode then gives the client the result itself, and the log says why."""
    running = serve(serving, template=write_template(tmp_path, wrapper=""))
    for _ in range(2):
        got = httpx.get(f"{running.url('Streamer URL')}/cookies", timeout=TIMEOUT)
        assert got.status_code == 200
        assert json.loads(got.content)["statusCode"] == 201
    log = running.log.wait_for("GET /cookies 200")
    assert log.count("the function answered without streaming") == 1  # said once


def test_the_deadline_ends_a_template_functions_stream_with_a_log_line(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    running = serve(serving, template=write_template(tmp_path, timeout=2))
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("GET", f"{running.url('Streamer URL')}/forever", timeout=TIMEOUT) as got,
    ):
        for chunk in got.iter_raw():
            received += chunk
    assert received.startswith(b"tick\n")
    log = running.log.wait_for("the client's response was cut short")
    assert "(Sandbox.Timedout)" in log
    running.log.wait_for("GET /forever timed out")


def test_lambda_ends_a_stream_its_function_does_not_end_by_the_deadline(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    """A WSGI generator has no watchdog of lambgate's: the emulator's deadline ends the
    environment, as Lambda's does, and the stream with it."""
    running = serve(serving, template=write_template(tmp_path, timeout=1, app="flask_app"))
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("GET", f"{running.url('Streamer URL')}/forever", timeout=TIMEOUT) as got,
    ):
        for chunk in got.iter_raw():
            received += chunk
    assert received.startswith(b"tick\n")
    log = running.log.wait_for("the client's response was cut short")
    assert "(Sandbox.Timedout)" in log
    running.log.wait_for("Task timed out after 1.00 seconds")


def test_an_exec_wrapper_runs_with_the_runtime_command_after_it(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    """As Lambda runs ``AWS_LAMBDA_EXEC_WRAPPER``: the wrapper gets the interpreter and the
    runtime's arguments, and the function runs under what it set."""
    code = tmp_path / "code"
    code.mkdir()
    wrapper = code / "wrap.sh"
    wrapper.write_text('#!/bin/sh\nexport WRAPPED_BY="$(basename "$0") $#"\nexec "$@"\n')
    wrapper.chmod(0o755)
    (code / "app.py").write_text(
        "import os\n\ndef handler(event, context):\n"
        "    return {'statusCode': 200, 'body': os.environ['WRAPPED_BY']}\n"
    )
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            """\
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Wrapped:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: code
                  Handler: app.handler
                  Runtime: python3.12
                  Environment:
                    Variables:
                      AWS_LAMBDA_EXEC_WRAPPER: /var/task/wrap.sh
                  FunctionUrlConfig:
                    AuthType: NONE
            """
        )
    )
    running = serve(serving, template=tmp_path / "template.yaml")
    got = httpx.get(running.url("Wrapped URL"), timeout=TIMEOUT)
    name, count = got.text.split()
    assert name == "wrap.sh" and int(count) >= 2  # the interpreter and the runtime's script


def test_a_wrapper_that_is_not_there_stops_serve_naming_the_variable(tmp_path: Path) -> None:
    path = write_template(
        tmp_path, wrapper="          AWS_LAMBDA_EXEC_WRAPPER: /var/task/no-such-wrapper\n"
    )
    with pytest.raises(TemplateError) as raised:
        plan_template(ServeOptions(template=path))
    assert raised.value.location == (
        "Resources.Streamer.Properties.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER"
    )
    assert "names no file here" in str(raised.value)


# -- the project's own template: the FastAPI example's streaming function URL ----------------


def test_the_fastapi_examples_counter_streams_from_its_function_url_and_buffers_on_the_http_api(
    serving: list[RunningEmulator],
) -> None:
    """What README.md's ``curl -N`` shows: one event per ``delay``, as the app counts."""
    running = serve(serving, template=ROOT / "template.yaml")
    assert "FastApiFunction (function URL, RESPONSE_STREAM) http://" in banner(running.emulator)
    arrivals = []
    url = running.url("FastApiFunction URL")
    with httpx.stream("GET", f"{url}/sse/count?to=3&delay=0.4", timeout=TIMEOUT) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        started = time.monotonic()
        for chunk in response.iter_raw():
            arrivals.extend([time.monotonic() - started] * chunk.count(b"data: "))
    assert len(arrivals) == 3 and arrivals[2] - arrivals[0] > 0.6
    http_api = running.url("HttpApi")
    whole = httpx.get(f"{http_api}/sse/count?to=3&delay=0", timeout=TIMEOUT)
    assert whole.text == "id: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n"
    running.log.wait_for("the http event source cannot stream")


# -- lambgate invoke --stream ----------------------------------------------------------------


def test_lambgate_invoke_stream_writes_each_chunk_as_the_function_writes_it(
    tmp_path: Path,
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(make_function_url_event(path="/slow-sse")))
    command = [sys.executable, "-m", "lambgate", "invoke", STREAMING_APP, "--stream"]
    with subprocess.Popen(
        [*command, "--event", str(event)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as process:
        try:
            assert process.stdout is not None
            first = os.read(process.stdout.fileno(), 65536)
            first_at = time.monotonic()
            rest = process.stdout.read()
            ended_at = time.monotonic()
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()
    assert first.startswith(b'{"statusCode":200')  # the prelude, as the payload carries it
    assert (first + rest).count(b"data: ") == 3
    assert ended_at - first_at > 0.6  # the first event came out long before the last


def test_lambgate_invoke_stream_says_the_error_that_ended_the_stream(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(make_function_url_event(path="/boom")))
    done = subprocess.run(
        [sys.executable, "-m", "lambgate", "invoke", STREAMING_APP, "--stream"]
        + ["--event", str(event)],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout.endswith(b"partial")
    assert (
        b"lambgate invoke: the stream ended with an error: RuntimeError: the model went away"
        in done.stderr
    )


def test_the_inspector_lists_streamed_requests_and_streaming_invocations(
    serving: list[RunningEmulator],
) -> None:
    running, url = serve_streaming_app(serving)
    inspector = running.emulator.inspector_url()
    assert inspector is not None
    assert httpx.get(f"{url}/cookies", timeout=TIMEOUT).status_code == 201
    client = boto3.client(
        "lambda",
        endpoint_url=running.invoke_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 0}, read_timeout=30),
    )
    answer = client.invoke_with_response_stream(
        FunctionName="App", Payload=json.dumps(make_function_url_event(path="/plain")).encode()
    )
    assert "InvokeComplete" in list(answer["EventStream"])[-1]
    deadline = time.monotonic() + 10
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(rows) < 2:
        rows = httpx.get(f"{inspector}api/invocations", timeout=TIMEOUT).json()
        time.sleep(0.05)
    assert [(row["front"], row["status"]) for row in rows[:2]] == [
        ("Invoke API", 200),
        ("App URL", 201),
    ]
    documents = [
        httpx.get(f"{inspector}api/invocations/{row['number']}", timeout=TIMEOUT).json()
        for row in rows[:2]
    ]
    for document in documents:
        assert document["report"].startswith("REPORT RequestId: ")
    # The streamed body is not kept; its size is (prelude included).
    assert documents[1]["response"]["streamed"] > len(b"first,second")


def test_the_inspector_replays_a_streamed_request_to_its_end(
    serving: list[RunningEmulator],
) -> None:
    running, url = serve_streaming_app(serving)
    inspector = running.emulator.inspector_url()
    assert inspector is not None
    assert httpx.get(f"{url}/cookies", timeout=TIMEOUT).status_code == 201
    (row,) = httpx.get(f"{inspector}api/invocations", timeout=TIMEOUT).json()
    replayed = httpx.post(
        f"{inspector}api/invocations/{row['number']}/replay",
        headers={"X-Lambgate-Inspector": "replay"},
        timeout=TIMEOUT,
    ).json()
    assert replayed["status"] == 201 and replayed["number"] is not None
    assert "Task timed out" not in running.log.text()
