"""``lambgate serve`` and ``lambgate invoke`` as a developer runs them: an APP of each kind,
the Invoke API under boto3, and the real command against the project's ``template.yaml``,
stopped with Ctrl-C (SIGINT) leaving no worker behind."""

from __future__ import annotations

import io
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import boto3
import httpx
import pytest
from botocore.config import Config

from lambgate.events import detect
from lambgate.local.cli.plan import FORMATS, ServeOptions, plan_app, plan_template
from lambgate.local.cli.ports import PortWish
from lambgate.local.gateway.access_log import AccessLog
from lambgate.local.lambda_service.function import InitFailed
from lambgate.local.template.specs import TemplateError
from tests.factories import make_http_v2_event
from tests.serverless_project import EXPECTED_BODY, write_serverless_project

from .processes import still_alive
from .running_emulator import APPS, RunningEmulator

ROOT = Path(__file__).resolve().parents[2]
BANNER_TIMEOUT_S = 30.0


@pytest.fixture
def serving() -> Iterator[list[RunningEmulator]]:
    """Emulators a test starts; each stopped afterwards, and its workers checked gone."""
    started: list[RunningEmulator] = []
    yield started
    for running in started:
        assert not still_alive(running.stop()), "workers outlived the emulator"


def serve_app(serving: list[RunningEmulator], app: str, **options: Any) -> RunningEmulator:
    running = RunningEmulator(app=app, app_dir=APPS, **options)
    serving.append(running)
    return running


# -- APP module:attr, each kind ------------------------------------------------------------


def test_wsgi_app_behind_the_default_http_api(serving: list[RunningEmulator]) -> None:
    running = serve_app(serving, "flask_hello:app")
    base = running.url("ServerlessHttpApi")
    got = httpx.get(f"{base}/hello/ada", timeout=30)
    # Links the app builds point back at the local front that served it.
    assert (got.status_code, got.json()) == (200, {"hello": "ada", "self": f"{base}/hello/ada"})
    posted = httpx.post(f"{base}/echo", content=b"text", headers={"Cookie": "k=v"}, timeout=30)
    assert posted.json() == {"body": "text", "cookies": {"k": "v"}}
    assert httpx.get(f"{base}/missing", timeout=30).status_code == 404  # Flask's own 404


def test_asgi_app_behind_a_rest_api_at_the_root_and_under_its_stage(
    serving: list[RunningEmulator],
) -> None:
    running = serve_app(serving, "asgi_hello:app", format="rest", stage="dev")
    base = running.url("ServerlessRestApi")
    got = httpx.get(f"{base}/some/path", timeout=30)
    # At the root, as sam local serves it: the app sees the path as requested.
    assert got.json() == {"path": "/some/path", "root_path": "", "method": "GET"}
    assert httpx.get(f"{base}/", timeout=30).json()["path"] == "/"
    # Under the stage, as AWS serves it: the app is mounted at /dev.
    staged = httpx.get(f"{base}/dev/some/path", timeout=30)
    assert staged.json() == {"path": "/dev/some/path", "root_path": "/dev", "method": "GET"}


@pytest.mark.parametrize("kind", FORMATS)
def test_each_format_sends_the_event_of_its_source(
    serving: list[RunningEmulator], kind: str
) -> None:
    running = serve_app(serving, "plain_handlers:echo", format=kind)
    front = running.emulator.fronts[0]
    got = httpx.get(f"{running.emulator.url(front)}/", timeout=30)
    # The shape lambgate's own handler recognises as that source's, in Lambda.
    assert detect(got.json()["event"]).name == kind


@pytest.mark.parametrize("kind", ["edge", "lattice", "lattice-v2"])
def test_a_flask_app_behind_edge_and_lattice(serving: list[RunningEmulator], kind: str) -> None:
    """The front builds the service's event, the function answers through lambgate's
    handler, and the result is turned back into HTTP as the service would."""
    running = serve_app(serving, "flask_hello:app", format=kind)
    base = running.url("App")
    got = httpx.get(f"{base}/hello/ada", timeout=30)
    assert (got.status_code, got.json()["hello"]) == (200, "ada")
    posted = httpx.post(f"{base}/echo", content=b"text", headers={"Cookie": "k=v"}, timeout=30)
    assert posted.json() == {"body": "text", "cookies": {"k": "v"}}


@pytest.mark.parametrize(
    ("event_type", "status"), [(None, 502), ("viewer-request", 502), ("origin-request", 200)]
)
def test_an_edge_app_behind_an_origin_request_trigger_may_answer_up_to_1_mb(
    serving: list[RunningEmulator], event_type: str | None, status: int
) -> None:
    """A 100 KB answer is over a viewer-request function's 40 KB and under an origin-request
    function's 1 MB (cloudfront-limits.html); ``--edge-event-type`` picks the trigger."""
    running = serve_app(serving, "flask_hello:app", format="edge", edge_event_type=event_type)
    got = httpx.post(f"{running.url('App')}/echo", content=b"x" * 100_000, timeout=30)
    assert got.status_code == status
    if status == 200:
        assert got.json()["body"] == "x" * 100_000


def test_edge_event_type_is_refused_for_other_formats_and_templates() -> None:
    given = ServeOptions(app="flask_hello:app", app_dir=APPS, edge_event_type="origin-request")
    with pytest.raises(TemplateError, match="is for --format edge, not --format http"):
        plan_app(given)
    with pytest.raises(TemplateError, match="is for serving an APP with --format edge"):
        plan_template(
            ServeOptions(template=APPS / "template.yaml", edge_event_type="origin-request")
        )


def test_an_app_module_named_handler_is_the_apps_not_lambgates(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    """handler.py is the usual Lambda file name; served as APP, lambgate must not shadow it."""
    (tmp_path / "handler.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [environ['PATH_INFO'].encode()]\n"
    )
    running = RunningEmulator(app="handler:app", app_dir=tmp_path)
    serving.append(running)
    got = httpx.get(f"{running.url('ServerlessHttpApi')}/from/wsgi", timeout=30)
    assert (got.status_code, got.text) == (200, "/from/wsgi")


def test_a_serverless_style_handler_py_imports_lambgate_in_its_environment(
    tmp_path: Path,
) -> None:
    """``Handler: handler.main`` in a handler.py that imports lambgate, beside the app's own
    infra/ and local_server/: each name resolves to its owner, as on AWS."""
    project = write_serverless_project(tmp_path / "project")
    event = json.dumps(make_http_v2_event(path="/hello"))
    invoked = subprocess.run(
        [sys.executable, "-m", "lambgate", "invoke", "--function", "Hello", "--event", "-"],
        input=event,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=project,
    )
    assert invoked.returncode == 0, invoked.stderr
    result = json.loads(invoked.stdout)
    assert (result["statusCode"], result["body"]) == (200, EXPECTED_BODY)


def test_lambda_handler_behind_a_function_url(serving: list[RunningEmulator]) -> None:
    running = serve_app(serving, "plain_handlers:echo", format="url")
    got = httpx.get(f"{running.url('App')}/any/path?x=1", timeout=30)
    event = got.json()["event"]
    assert (event["rawPath"], event["rawQueryString"]) == ("/any/path", "x=1")
    assert event["requestContext"]["domainName"].endswith(".lambda-url.us-east-1.on.aws")
    assert got.json()["function_name"] == "App"


def test_lambda_handler_behind_an_alb_gets_alb_events(serving: list[RunningEmulator]) -> None:
    running = serve_app(serving, "plain_handlers:echo", format="alb")
    event = httpx.get(f"{running.url('App')}/p?a=%20", timeout=30).json()["event"]
    assert "elb" in event["requestContext"]
    # "If the query parameters are URL-encoded, the load balancer does not decode them."
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
    assert event["queryStringParameters"] == {"a": "%20"}
    # "HTTP 413: The target is a Lambda function and the request body exceeds 1 MB."
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html)
    refused = httpx.post(f"{running.url('App')}/p", content=b"x" * (1024 * 1024 + 1), timeout=30)
    assert refused.status_code == 413


def test_powertools_resolver_object_is_served_as_a_lambda_handler(
    serving: list[RunningEmulator],
) -> None:
    # The resolver's __call__ takes (event, context): it is a handler, not a WSGI app.
    running = serve_app(serving, "powertools_routes:app")
    got = httpx.get(f"{running.url('ServerlessHttpApi')}/pt/items/7", timeout=30)
    assert (got.status_code, got.json()) == (200, {"item": "7", "tag": None})


def test_an_app_that_cannot_be_imported_stops_the_emulator_before_it_serves() -> None:
    """``serve APP`` imports the app at start-up (as uvicorn does), in its environment."""
    with pytest.raises(InitFailed) as caught:
        RunningEmulator(app="no_such_module:app", app_dir=APPS, format="rest")
    assert str(caught.value) == (
        f"no_such_module:app: no module named 'no_such_module' in {APPS} or the installed packages"
    )
    assert caught.value.log[-1].startswith("INIT_REPORT Init Duration: ")
    assert not caught.value.code_failed


def test_a_template_function_that_cannot_be_imported_fails_each_request_as_aws_does(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    """Without ``--warm-containers EAGER`` a function starts on its first request, whose
    init error API Gateway answers 502 (REST), as deployed."""
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Broken:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: .\n"
        "      Handler: no_such_module.handler\n"
        "      Runtime: python3.12\n"
        "      Events: {Get: {Type: Api, Properties: {Path: /, Method: GET}}}\n"
    )
    running = RunningEmulator(template=tmp_path / "template.yaml")
    serving.append(running)
    got = httpx.get(f"{running.url('ServerlessRestApi')}/", timeout=30)
    assert (got.status_code, got.json()) == (502, {"message": "Internal server error"})
    running.log.wait_for("Unable to import module 'no_such_module'")


# -- the Invoke API of a serve instance ---------------------------------------------------------


def test_boto3_invokes_template_functions_by_logical_id(serving: list[RunningEmulator]) -> None:
    running = RunningEmulator(template=APPS / "template.yaml")
    serving.append(running)
    lambda_client = boto3.client(
        "lambda",
        endpoint_url=running.invoke_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 0}, read_timeout=30),
    )
    answer = lambda_client.invoke(FunctionName="EchoFunction", Payload=b'{"direct": true}')
    result = json.loads(answer["Payload"].read())
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert json.loads(result["body"])["event"] == {"direct": True}
    failed = lambda_client.invoke(
        FunctionName="BehaveFunction", Payload=b'{"pathParameters": {"action": "raise"}}'
    )
    error = json.loads(failed["Payload"].read())
    assert failed["FunctionError"] == "Unhandled"
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "boom from behave")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName="Nope", Payload=b"{}")


# -- the log ----------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_access_log_is_coloured_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    line = {"method": "GET", "target": "/", "status": 502, "duration_ms": 1.0}
    terminal, piped = Terminal(), io.StringIO()
    AccessLog(terminal).request(**line, function="Fn", cold=True)
    AccessLog(piped).request(**line, function="Fn", cold=True)
    assert "\x1b[31m502\x1b[0m" in terminal.getvalue()  # 5xx in red
    assert "\x1b[" not in piped.getvalue()
    assert piped.getvalue().endswith(" GET / 502 1.0 ms Fn cold\n")
    monkeypatch.setenv("NO_COLOR", "1")  # https://no-color.org
    quiet = Terminal()
    AccessLog(quiet).request(**line, function="Fn", cold=True)
    assert "\x1b[" not in quiet.getvalue()


# -- the port layout --------------------------------------------------------------------------


def test_colliding_apis_get_their_own_ports_and_urls_follow_the_url_port() -> None:
    plan = plan_template(ServeOptions(template=APPS / "template.yaml", port=3000))
    ports = {front.names: front.port for front in plan.fronts}
    # Both APIs route GET /echo/{item}: one port would answer for both. 3001 is the Invoke
    # API's; function URLs start at --port + 100. Only --port is the user's: it never moves.
    assert ports == {
        ("ServerlessRestApi",): PortWish(number=3000, given_by="--port"),
        ("ServerlessHttpApi",): PortWish(number=3002),
        ("EchoFunction URL",): PortWish(number=3100),
        ("BehaveFunction URL",): PortWish(number=3101),
    }
    given = plan_template(ServeOptions(template=APPS / "template.yaml", port=3000, url_port=5000))
    assert [front.port for front in given.fronts[2:]] == [
        PortWish(number=5000, given_by="--url-port"),
        PortWish(number=5001),
    ]
    app = plan_app(ServeOptions(app="m:app", format="alb", port=4000))
    assert [(front.kind, front.port.number, front.function) for front in app.fronts] == [
        ("alb", 4000, "App")
    ]


CORS_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    Cors: "'https://app.example'"
  HttpApi:
    CorsConfiguration:
      AllowOrigins: [https://app.example]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: python3.12
      FunctionUrlConfig:
        AuthType: NONE
        Cors: {AllowOrigins: [https://app.example]}
      Events:
        Rest: {Type: Api, Properties: {Path: /items, Method: POST}}
        Http: {Type: HttpApi, Properties: {Path: /items, Method: POST}}
"""


def test_cors_settings_not_emulated_are_warned_about_never_silent(tmp_path: Path) -> None:
    """A browser app relies on https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html;
    until the fronts answer preflights, the banner says they do not."""
    (tmp_path / "template.yaml").write_text(CORS_TEMPLATE)
    plan = plan_template(ServeOptions(template=tmp_path / "template.yaml"))
    not_applied = (
        "is not applied locally: no answer to preflight OPTIONS requests and no "
        "Access-Control-* headers on responses"
    )
    assert [w for w in plan.warnings if "Cors" in w] == [
        f"ServerlessRestApi: Cors {not_applied}",
        f"ServerlessHttpApi: CorsConfiguration {not_applied}",
        f"Fn: FunctionUrlConfig.Cors {not_applied}",
    ]


# -- the real command ---------------------------------------------------------------------------


def read_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def wait_for_line(lines: queue.Queue[str], pattern: str, timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            break
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{''.join(seen)}")


def children_of(pid: int) -> set[int]:
    """PIDs whose parent is ``pid`` (the workers run in their own sessions, still its children)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def test_lambgate_serve_runs_the_repo_template_and_stops_on_ctrl_c() -> None:
    command = [sys.executable, "-m", "lambgate", "serve", "--port", "0", "--lambda-port", "0"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    reader = threading.Thread(target=read_lines, args=(process.stderr, lines), daemon=True)
    reader.start()
    try:
        rest = wait_for_line(
            lines, r"RestApi \(REST API, stage prod\) (http://\S+)", BANNER_TIMEOUT_S
        )
        http_api = wait_for_line(lines, r"HttpApi \(HTTP API, stage \$default\) (http://\S+)", 5)
        # sam local would mount HttpApi's $default behind RestApi's routes, never reached.
        wait_for_line(lines, r"on a port of its own: its \$default and RestApi's ANY / ", 5)
        wait_for_line(lines, r"Invoke API http://", 5)
        flask = httpx.get(f"{rest[1]}/", timeout=30)
        fastapi = httpx.get(f"{http_api[1]}/", timeout=30)
        assert flask.status_code == 200 and "Flask" in flask.json()["message"]
        assert fastapi.status_code == 200 and "FastAPI" in fastapi.json()["message"]
        # The URL the template's RestApiUrl output gives on AWS, and the links the app builds
        # under it, work here too.
        staged = httpx.get(f"{rest[1]}/prod/", timeout=30).json()
        assert staged["items"] == f"{rest[1]}/prod/items"
        assert httpx.get(staged["items"], timeout=30).status_code == 200
        wait_for_line(lines, r"GET / 200 [\d.]+ ms FlaskFunction cold", 5)
        workers = children_of(process.pid)
        assert len(workers) == 2, "one execution environment per function that was called"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=5)
        process.stderr.close()
    assert not still_alive(workers), "workers outlived lambgate serve"


def test_lambgate_invoke_prints_the_result_and_fails_with_the_function(tmp_path: Path) -> None:
    def invoke(*args: str, event: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lambgate", "invoke", *args, "--event", "-"],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=APPS,
        )

    # SAM's --env-vars format: values per function logical id override the template's.
    env_vars = tmp_path / "env.json"
    env_vars.write_text(json.dumps({"EchoFunction": {"GREETING": "from --env-vars"}}))
    ok = invoke(
        *("--template", "template.yaml", "--function", "EchoFunction"),
        *("--env-vars", str(env_vars)),
        event={"k": 1},
    )
    assert ok.returncode == 0, ok.stderr
    body = json.loads(json.loads(ok.stdout)["body"])
    assert (body["event"], body["greeting"]) == ({"k": 1}, "from --env-vars")
    assert re.search(r"REPORT RequestId: \S+\tDuration: [\d.]+ ms\t.*Init Duration", ok.stderr)
    failed = invoke("plain_handlers:behave", event={"pathParameters": {"action": "raise"}})
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["errorType"] == "ValueError"
