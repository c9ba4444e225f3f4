"""The Lambda entry points: faults become 500/504 results and log lines, results stay within
the service's size limit, options shape the result, the interface is detected, and the
zero-code ``lambgate.lambda_handler`` and powertools logging work as documented.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any

import falcon
import falcon.asgi
import fastapi
import flask
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from lambgate import ConfigurationError, make_handler
from lambgate.entry import handler_from_environment
from tests.factories import (
    make_alb_event,
    make_http_v2_event,
    make_lambda_context,
    make_rest_event,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
StartResponse = Callable[..., Callable[[bytes], object]]
Environ = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
SUBPROCESS_TIMEOUT_S = 60

REST_INTERNAL_ERROR = {
    "statusCode": 500,
    "headers": {"content-type": "text/plain; charset=utf-8"},
    "multiValueHeaders": {},
    "body": "Internal Server Error",
    "isBase64Encoded": False,
}
HTTP_INTERNAL_ERROR = {
    "statusCode": 500,
    "headers": {"content-type": "text/plain; charset=utf-8"},
    "body": "Internal Server Error",
    "isBase64Encoded": False,
}


def text_wsgi_app(body: bytes, content_type: str = "text/plain") -> Callable[..., Iterable[bytes]]:
    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", content_type)])
        return [body]

    return app


def run_python(
    source: str, *, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``source`` in a fresh interpreter, as a new Lambda execution environment would run it."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=SUBPROCESS_TIMEOUT_S,
    )


class TestFaults:
    def test_wsgi_exception_is_a_generic_500_with_the_traceback_only_in_the_log(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            if environ["PATH_INFO"] == "/crash":
                raise KeyError("secret-db-password")
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"still here"]

        lambda_handler = make_handler(app)
        with caplog.at_level(logging.ERROR, logger="lambgate"):
            crashed = lambda_handler(make_rest_event(path="/crash"), make_lambda_context())
        served = lambda_handler(make_rest_event(path="/next"), make_lambda_context())

        assert crashed == REST_INTERNAL_ERROR
        assert "secret-db-password" not in json.dumps(crashed)
        (record,) = caplog.records
        assert record.getMessage() == "GET /crash: app failed, answering 500"
        assert "Traceback" in caplog.text and "KeyError: 'secret-db-password'" in caplog.text
        assert (served["statusCode"], served["body"]) == (200, "still here")

    def test_asgi_exception_is_a_generic_500_and_the_loop_serves_on(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["path"] == "/crash":
                raise RuntimeError("secret-token")
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})

        lambda_handler = make_handler(app, lifespan="off")
        with caplog.at_level(logging.ERROR, logger="lambgate"):
            crashed = lambda_handler(make_http_v2_event(path="/crash"), make_lambda_context())
        served = lambda_handler(make_http_v2_event(path="/next"), make_lambda_context())

        assert crashed == HTTP_INTERNAL_ERROR
        assert "RuntimeError: secret-token" in caplog.text
        assert served["statusCode"] == 200

    def test_slow_asgi_app_is_cut_off_with_504_before_the_lambda_deadline(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        # API Gateway answers 504 when the integration times out; answering it ourselves keeps
        # the environment alive instead of Lambda killing it mid-request.
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
        cleanups: list[str] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["path"] == "/slow":
                try:
                    await asyncio.sleep(30)
                finally:
                    cleanups.append("cancelled cleanly")
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        lambda_handler = make_handler(app, lifespan="off", timeout_margin_ms=500)
        started = time.monotonic()
        with caplog.at_level(logging.ERROR, logger="lambgate"):
            result = lambda_handler(
                make_http_v2_event(path="/slow"), make_lambda_context(remaining_ms=700)
            )
        elapsed = time.monotonic() - started

        assert result == {
            "statusCode": 504,
            "headers": {"content-type": "text/plain; charset=utf-8"},
            "body": "Gateway Timeout",
            "isBase64Encoded": False,
        }
        assert 0.1 <= elapsed < 5
        assert cleanups == ["cancelled cleanly"]
        assert caplog.messages == [
            "GET /slow timed out: ASGI app cancelled 500 ms before the Lambda deadline "
            "(context.get_remaining_time_in_millis())"
        ]
        fast = lambda_handler(make_http_v2_event(path="/fast"), make_lambda_context())
        assert fast["statusCode"] == 200


class TestResultSizeLimit:
    # "Invocation payload (request and response): 6 MB each for synchronous":
    # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    def test_rest_result_over_6_mb_is_replaced_by_a_500(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        app = text_wsgi_app(b"x" * (6 * 1024 * 1024 + 1))

        with caplog.at_level(logging.ERROR, logger="lambgate"):
            result = make_handler(app)(make_rest_event(path="/big"), make_lambda_context())

        assert result == REST_INTERNAL_ERROR
        (message,) = caplog.messages
        assert message.startswith("GET /big: the rest result is 629")
        assert "over the 6291556-byte limit of the rest source" in message

    def test_binary_body_counts_at_its_base64_size(self) -> None:
        # 4.8 MB of PNG bytes are 6.4 MB once base64-encoded into the JSON result.
        app = text_wsgi_app(b"\x89PNG" * (1200 * 1024), content_type="image/png")

        result = make_handler(app)(make_http_v2_event(), make_lambda_context())

        assert result == HTTP_INTERNAL_ERROR

    def test_body_just_under_the_limit_passes(self) -> None:
        body = b"y" * (6 * 1024 * 1024 - 4096)
        app = text_wsgi_app(body)

        result = make_handler(app)(make_http_v2_event(), make_lambda_context())

        assert (result["statusCode"], len(result["body"])) == (200, len(body))

    # ALB: "The maximum size of the response JSON that the Lambda function can send is 1 MB."
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
    @pytest.mark.parametrize(("size", "status"), [(1_040_000, 200), (1_048_576, 500)])
    def test_alb_result_limit_is_1_mb(self, size: int, status: int) -> None:
        app = text_wsgi_app(b"z" * size)

        result = make_handler(app)(make_alb_event(), make_lambda_context())

        assert result["statusCode"] == status


class TestOptions:
    def test_exclude_headers_drops_them_whatever_their_case(self) -> None:
        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            start_response(
                "200 OK",
                [
                    ("Content-Type", "text/plain"),
                    ("Server", "gunicorn"),
                    ("X-Powered-By", "Flask"),
                    ("X-Request-Id", "r-1"),
                ],
            )
            return [b"ok"]

        lambda_handler = make_handler(app, exclude_headers=["server", "X-POWERED-BY"])
        result = lambda_handler(make_http_v2_event(), make_lambda_context())

        assert result == {
            "statusCode": 200,
            "headers": {"Content-Type": "text/plain", "X-Request-Id": "r-1"},
            "body": "ok",
            "isBase64Encoded": False,
        }

    @pytest.mark.parametrize(
        ("text_mime_types", "body", "is_base64"),
        [
            (None, base64.b64encode(b'{"a": 1}\n').decode(), True),
            (["Application/X-NDJSON"], '{"a": 1}\n', False),
        ],
        ids=["default-is-binary", "listed-is-text"],
    )
    def test_text_mime_types_send_listed_types_as_text(
        self, text_mime_types: list[str] | None, body: str, is_base64: bool
    ) -> None:
        app = text_wsgi_app(b'{"a": 1}\n', content_type="application/x-ndjson")

        lambda_handler = make_handler(app, text_mime_types=text_mime_types)
        result = lambda_handler(make_http_v2_event(), make_lambda_context())

        assert result == {
            "statusCode": 200,
            "headers": {"Content-Type": "application/x-ndjson"},
            "body": body,
            "isBase64Encoded": is_base64,
        }


async def asgi_function(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": TEXT})
    await send({"type": "http.response.body", "body": b"asgi"})


async def asgi_with_option(scope: Scope, receive: Receive, send: Send, *, body: bytes) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": TEXT})
    await send({"type": "http.response.body", "body": body})


class ASGIClass:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await asgi_function(scope, receive, send)


TEXT = [(b"content-type", b"text/plain")]


def flask_app() -> flask.Flask:
    app = flask.Flask(__name__)
    app.add_url_rule("/", "index", lambda: "flask")
    return app


def starlette_app() -> Starlette:
    return Starlette(routes=[Route("/", lambda request: PlainTextResponse("starlette"))])


def fastapi_app() -> fastapi.FastAPI:
    app = fastapi.FastAPI()
    app.get("/", response_class=fastapi.responses.PlainTextResponse)(lambda: "fastapi")
    return app


class FalconResource:
    def on_get(self, request: falcon.Request, response: falcon.Response) -> None:
        response.content_type = "text/plain"
        response.text = "falcon wsgi"


class FalconAsyncResource:
    async def on_get(self, request: falcon.asgi.Request, response: falcon.asgi.Response) -> None:
        response.content_type = "text/plain"
        response.text = "falcon asgi"


def falcon_wsgi_app() -> falcon.App[falcon.Request, falcon.Response]:
    app = falcon.App()
    app.add_route("/", FalconResource())
    return app


def falcon_asgi_app() -> falcon.asgi.App[falcon.asgi.Request, falcon.asgi.Response]:
    app = falcon.asgi.App()
    app.add_route("/", FalconAsyncResource())
    return app


@pytest.mark.parametrize(
    ("make_app", "body"),
    [
        (lambda: text_wsgi_app(b"wsgi"), "wsgi"),
        (lambda: asgi_function, "asgi"),
        (lambda: ASGIClass(), "asgi"),
        (lambda: functools.partial(asgi_with_option, body=b"partial"), "partial"),
        (flask_app, "flask"),
        (starlette_app, "starlette"),
        (fastapi_app, "fastapi"),
        (falcon_wsgi_app, "falcon wsgi"),
        (falcon_asgi_app, "falcon asgi"),
    ],
    ids=[
        "wsgi-function",
        "async-function",
        "class-with-async-call",
        "partial-of-async-function",
        "flask",
        "starlette",
        "fastapi",
        "falcon-wsgi",
        "falcon-asgi",
    ],
)
def test_interface_is_detected(make_app: Callable[[], Any], body: str) -> None:
    result = make_handler(make_app())(make_http_v2_event(), make_lambda_context())

    assert (result["statusCode"], result["body"]) == (200, body)


def test_interface_override_serves_an_asgi_app_behind_a_sync_wrapper() -> None:
    # Middleware written as a plain function returning the inner app's coroutine looks like
    # WSGI to any detector; interface="asgi" says what it is.
    def middleware(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        return asgi_function(scope, receive, send)

    lambda_handler = make_handler(middleware, interface="asgi")
    result = lambda_handler(make_http_v2_event(), make_lambda_context())

    assert (result["statusCode"], result["body"]) == (200, "asgi")


def test_unknown_interface_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_handler(asgi_function, interface="rsgi")

    assert str(caught.value) == "interface must be 'auto', 'asgi' or 'wsgi', not 'rsgi'"


DJANGO_SCRIPT = """
import json, sys
import django
from django.conf import settings
from django.http import HttpResponse
from django.urls import path

settings.configure(
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    SECRET_KEY="not-secret",
    USE_TZ=True,
)
urlpatterns = [path("hello/", lambda request: HttpResponse(
    f"{request.method} {request.get_full_path()} {request.build_absolute_uri()}",
    content_type="text/plain",
))]
django.setup()

from django.core.handlers.asgi import ASGIHandler
from django.core.wsgi import get_wsgi_application
from django.core.asgi import get_asgi_application
from lambgate import make_handler
from lambgate.entry import is_asgi

event = json.load(sys.stdin)
asgi_app, wsgi_app = get_asgi_application(), get_wsgi_application()
print(json.dumps({
    "asgi_detected": [isinstance(asgi_app, ASGIHandler), is_asgi(asgi_app), is_asgi(wsgi_app)],
    "asgi": make_handler(asgi_app)(event, None),
    "wsgi": make_handler(wsgi_app)(event, None),
}))
"""


def test_django_asgi_and_wsgi_handlers_are_detected_and_served() -> None:
    # In its own interpreter: Django's settings are process-wide.
    event = make_rest_event(path="/hello/", raw_query="q=1")

    completed = run_python(DJANGO_SCRIPT, stdin=json.dumps(event))

    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    host = event["headers"]["Host"]
    expected_body = f"GET /prod/hello/?q=1 https://{host}/prod/hello/?q=1"
    assert output["asgi_detected"] == [True, True, False]
    for interface in ("asgi", "wsgi"):
        result = output[interface]
        assert (result["statusCode"], result["body"]) == (200, expected_body), interface


ZERO_CODE_APP = """
import sys
print("app module imported", flush=True)

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("zero code at " + environ["SCRIPT_NAME"] + environ["PATH_INFO"]).encode()]
"""

INVOKE_LAMBDA_HANDLER = """
import json, sys
import lambgate
lambda_handler = lambgate.lambda_handler  # what the Lambda runtime does during init
print("handler resolved", flush=True)
print(json.dumps(lambda_handler(json.load(sys.stdin), None)))
"""


def test_lambgate_app_serves_the_named_app_loaded_at_init(tmp_path: Path) -> None:
    (tmp_path / "zero_code_app.py").write_text(ZERO_CODE_APP)
    event = make_rest_event(path="/items")

    completed = run_python(
        INVOKE_LAMBDA_HANDLER,
        env={
            "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}",
            "LAMBGATE_APP": "zero_code_app:app",
        },
        stdin=json.dumps(event),
    )

    assert completed.returncode == 0, completed.stderr
    imported, resolved, result = completed.stdout.splitlines()
    assert (imported, resolved) == ("app module imported", "handler resolved")
    assert json.loads(result) == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain"},
        "multiValueHeaders": {},
        "body": "zero code at /prod/items",
        "isBase64Encoded": False,
    }


def test_lambgate_app_unset_fails_init_with_a_clear_error() -> None:
    completed = run_python(INVOKE_LAMBDA_HANDLER, env={"LAMBGATE_APP": ""})

    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines()[-1] == (
        "lambgate.errors.ConfigurationError: lambgate.lambda_handler needs "
        "LAMBGATE_APP=package.module:attr in the environment"
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("zero_code_app", "app must be given as 'package.module:attr', got 'zero_code_app'"),
        ("zero_code_app:", "app must be given as 'package.module:attr', got 'zero_code_app:'"),
        (":app", "app must be given as 'package.module:attr', got ':app'"),
        (
            "no_such_module_here:app",
            "cannot import module 'no_such_module_here' for 'no_such_module_here:app': "
            "No module named 'no_such_module_here'",
        ),
        ("json:application", "module 'json' has no attribute 'application'"),
        ("json:decoder.nothing", "module 'json' has no attribute 'decoder.nothing'"),
    ],
)
def test_bad_lambgate_app_specs_are_configuration_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        handler_from_environment({"LAMBGATE_APP": spec})

    assert str(caught.value) == message


def test_lambgate_options_come_from_the_environment() -> None:
    lambda_handler = handler_from_environment(
        {
            "LAMBGATE_APP": "tests.handler.test_entry:asgi_function",
            "LAMBGATE_LIFESPAN": "off",
            "LAMBGATE_SOURCE": "alb",
        }
    )

    # A REST-shaped event, forced to be read and answered as ALB.
    result = lambda_handler(make_rest_event(), make_lambda_context())

    assert result == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {"content-type": "text/plain"},
        "body": "asgi",
        "isBase64Encoded": False,
    }


POWERTOOLS_SCRIPT = """
import json
from aws_lambda_powertools import Logger
from lambgate import make_handler
from tests.factories import make_lambda_context, make_rest_event

def app(environ, start_response):
    raise RuntimeError("boom")

lambda_handler = make_handler(app, logger=Logger(service="shop"))
for request_id in ("req-1", "req-2"):
    lambda_handler(make_rest_event(), make_lambda_context(aws_request_id=request_id))
"""


def test_powertools_logger_lines_carry_request_id_and_cold_start() -> None:
    # https://docs.powertools.aws.dev/lambda/python/latest/core/logger/#capturing-lambda-context-info
    completed = run_python(POWERTOOLS_SCRIPT)

    assert completed.returncode == 0, completed.stderr
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [
        (line["level"], line["message"], line["function_request_id"], line["cold_start"])
        for line in lines
    ] == [
        ("ERROR", "GET /: app failed, answering 500", "req-1", True),
        ("ERROR", "GET /: app failed, answering 500", "req-2", False),
    ]
    assert {line["service"] for line in lines} == {"shop"}
    assert all("RuntimeError: boom" in line["exception"] for line in lines)


def test_import_handler_pulls_no_heavy_dependency() -> None:
    completed = run_python(
        """
        import sys
        import lambgate
        from lambgate import make_handler
        make_handler(lambda environ, start_response: [])
        heavy = {"aws_lambda_powertools", "boto3", "botocore", "asyncio"} & set(sys.modules)
        assert not heavy, heavy
        """
    )

    assert completed.returncode == 0, completed.stderr
