"""Regression tests for the review's hardening findings (p01-p11 and the follow-ups): each
test serves a real framework app from an event shaped as AWS sends it, and asserts what the
client, the framework or Lambda itself would see.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

import falcon.asgi
import flask
import pytest
from awslambdaric import lambda_runtime_marshaller  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from werkzeug.middleware.proxy_fix import ProxyFix

from lambgate import ConfigurationError, make_handler
from lambgate.entry import handler_from_environment, is_asgi
from tests.factories import (
    SOURCE_IP,
    make_alb_event,
    make_function_url_event,
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

#: "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
#: (Function.ResponseSizeTooLarge; 6 MiB + 100 bytes)
#: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
LAMBDA_RESULT_LIMIT = 6_291_556

HTTP_INTERNAL_ERROR = {
    "statusCode": 500,
    "headers": {"content-type": "text/plain; charset=utf-8"},
    "body": "Internal Server Error",
    "isBase64Encoded": False,
}
REST_INTERNAL_ERROR = {**HTTP_INTERNAL_ERROR, "multiValueHeaders": {}}


def json_result(body: Any, *, content_type: str = "application/json") -> dict[str, Any]:
    """The HTTP API / function URL result of a 200 JSON answer, as Starlette renders it."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return {
        "statusCode": 200,
        "headers": {"content-length": str(len(text.encode())), "content-type": content_type},
        "body": text,
        "isBase64Encoded": False,
    }


async def send_text(send: Send, body: bytes, status: int = 200) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def scope_echo(scope: Scope, receive: Receive, send: Send) -> None:
    """A raw ASGI app that answers with the parts of its scope routing depends on."""
    if scope["type"] != "http":
        return
    seen = {"path": scope["path"], "root_path": scope["root_path"]}
    await send_text(send, json.dumps(seen).encode())


async def scope_paths(request: StarletteRequest) -> JSONResponse:
    return JSONResponse({"path": request.scope["path"], "root_path": request.scope["root_path"]})


async def urls_endpoint(request: StarletteRequest) -> JSONResponse:
    return JSONResponse({"url": str(request.url), "self": str(request.url_for("items"))})


#: Loaded by name through LAMBGATE_APP in the environment tests below.
starlette_urls = Starlette(routes=[Route("/items", urls_endpoint, name="items")])


def ndjson_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/x-ndjson"),
            ("X-Powered-By", "lambgate-tests"),
            ("Server", "werkzeug"),
        ],
    )
    return [b'{"n": 1}\n{"n": 2}\n']


async def sleepy_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await asyncio.sleep(1)
    await send_text(send, b"slept 1 s")


# 1 ------------------------------------------------------------------------------------------


def test_rest_landing_page_without_trailing_slash_keeps_the_stage_in_urls() -> None:
    """``GET https://{id}.execute-api.../prod`` (no slash) reaches the function as ``path``
    ``/`` with ``requestContext.path`` ``/prod`` and ``resourcePath`` ``/``: captured event of
    apiId j3qfzmnyjl, requestId 04b3ff13-6ad1-44fa-bbe7-def19b601573 (eu-west-1, Sep 2023).
    Links on that page must carry the stage, or execute-api answers them 403 "Missing
    Authentication Token"."""
    app = flask.Flask(__name__)

    @app.get("/")
    def home() -> str:
        return flask.url_for("items") + " " + flask.url_for("items", _external=True)

    @app.get("/items")
    def items() -> str:
        return "items"

    event = make_rest_event(path="/", resource="/", api_id="j3qfzmnyjl")
    event["requestContext"]["path"] = "/prod"

    result = make_handler(app)(event, make_lambda_context())

    body = "/prod/items https://j3qfzmnyjl.execute-api.us-east-1.amazonaws.com/prod/items"
    assert result == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))},
        "multiValueHeaders": {},
        "body": body,
        "isBase64Encoded": False,
    }


# 2 ------------------------------------------------------------------------------------------


def wire_size_on_python311(result: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> int:
    """Bytes the AWS_Lambda_python3.11 runtime posts for ``result``: awslambdaric's Encoder
    keeps simplejson's ``ensure_ascii`` default there (only 3.12+ turn it off)."""
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.11")
    return len(lambda_runtime_marshaller.to_json(result).encode("utf-8"))


def test_text_body_over_the_limit_once_escaped_is_answered_500(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """1.1 M "é" is 2.2 MB of UTF-8 but 6.6 MB once the Python 3.11 runtime escapes each as
    ``\\u00e9``: Lambda would fail the invocation with Function.ResponseSizeTooLarge (a 502
    at API Gateway), so the handler answers an error result instead.
    https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"""
    text = "é" * 1_100_000

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [text.encode()]

    would_be = {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain; charset=utf-8"},
        "body": text,
        "isBase64Encoded": False,
    }
    assert wire_size_on_python311(would_be, monkeypatch) > LAMBDA_RESULT_LIMIT

    result = make_handler(app)(make_http_v2_event(), make_lambda_context())

    assert result == HTTP_INTERNAL_ERROR


def test_base64_body_just_under_the_limit_is_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Base64 is ASCII, one wire byte a character: a binary body whose result is just under
    6,291,556 bytes must not be refused by the escaping estimate."""
    data = bytes(range(256)) * (4_717_500 // 256)

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [data]

    result = make_handler(app)(make_http_v2_event(), make_lambda_context())

    assert result == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/octet-stream"},
        "body": base64.b64encode(data).decode("ascii"),
        "isBase64Encoded": True,
    }
    wire_size = wire_size_on_python311(result, monkeypatch)
    assert LAMBDA_RESULT_LIMIT - 2_000 < wire_size <= LAMBDA_RESULT_LIMIT


# 3 ------------------------------------------------------------------------------------------


def test_underscore_headers_cannot_forge_the_albs_forwarded_headers() -> None:
    """ALB appends the peer to ``X-Forwarded-For`` and sets ``X-Forwarded-Proto``, but passes
    a client's ``X_Forwarded_For`` untouched; CGI maps both to ``HTTP_X_FORWARDED_FOR``. As
    Werkzeug's server, gunicorn (>= 22), nginx and Apache do, such headers are dropped, so
    ProxyFix sees the ALB's values.
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html
    """
    app = flask.Flask(__name__)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]

    @app.get("/who")
    def who() -> dict[str, Any]:
        return {"remote_addr": flask.request.remote_addr, "scheme": flask.request.scheme}

    event = make_alb_event(
        path="/who",
        headers=[("X_Forwarded_For", "10.0.0.1"), ("X_Forwarded_Proto", "http")],
    )

    result = make_handler(app)(event, make_lambda_context())

    assert json.loads(result["body"]) == {"remote_addr": SOURCE_IP, "scheme": "https"}


def test_asgi_scope_keeps_underscore_headers_as_sent() -> None:
    """ASGI headers are raw name/value pairs, no CGI name mangling, so nothing collides: the
    app gets every header the ALB forwarded, the proxy's and the client's apart."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        forwarded = [
            [name.decode(), value.decode()]
            for name, value in scope["headers"]
            if name.startswith(b"x-forwarded-for") or name.startswith(b"x_forwarded_for")
        ]
        await send_text(send, json.dumps(forwarded).encode())

    event = make_alb_event(headers=[("X_Forwarded_For", "10.0.0.1")])

    result = make_handler(app, lifespan="off")(event, make_lambda_context())

    assert json.loads(result["body"]) == [
        ["x-forwarded-for", SOURCE_IP],
        ["x_forwarded_for", "10.0.0.1"],
    ]


# 4 ------------------------------------------------------------------------------------------


class InstanceCallMiddleware:
    """Shaped like sentry_sdk's ``SentryAsgiMiddleware``: ``__call__`` is a slot the
    constructor fills with a bound coroutine method, so the class has no ``async def
    __call__`` to find."""

    __slots__ = ("__call__", "app")

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        self.__call__ = self._run

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def test_asgi_wrapper_with_an_instance_call_is_served_as_asgi() -> None:
    """Served as WSGI, every request would call ``app(environ, start_response)`` and answer
    500. https://docs.sentry.io/platforms/python/integrations/asgi/"""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send_text(send, b"ok")

    wrapped = InstanceCallMiddleware(app)

    assert is_asgi(wrapped)
    result = make_handler(wrapped, lifespan="off")(make_http_v2_event(), make_lambda_context())
    assert result == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "body": "ok",
        "isBase64Encoded": False,
    }


# 5 ------------------------------------------------------------------------------------------


def test_background_task_at_the_deadline_does_not_replace_the_sent_200() -> None:
    """Starlette runs a ``BackgroundTask`` inside the app call, after the last
    ``http.response.body``: the response is complete, so cancelling the task at the deadline
    margin must not turn it into a 504.
    https://www.starlette.io/background/"""

    async def slow_cleanup() -> None:
        await asyncio.sleep(5)

    async def save(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse("saved", background=BackgroundTask(slow_cleanup))

    app = Starlette(routes=[Route("/", save)])
    handle = make_handler(app, lifespan="off", timeout_margin_ms=500)

    result = handle(make_http_v2_event(), make_lambda_context(remaining_ms=1_000))

    assert result == {
        "statusCode": 200,
        "headers": {"content-length": "5", "content-type": "text/plain; charset=utf-8"},
        "body": "saved",
        "isBase64Encoded": False,
    }


# 6 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_context", [True, False], ids=["context", "no-context"])
def test_app_raising_cancelled_error_is_a_500_and_the_next_event_is_served(
    with_context: bool,
) -> None:
    """``asyncio.CancelledError`` is a ``BaseException``: an app that lets one out (it awaited
    a task something else cancelled) must still get a 500, not crash the invocation, which
    Lambda would report as Runtime.ExitError / an unhandled error."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/ok":
            await send_text(send, b"ok")
            return
        helper = asyncio.ensure_future(asyncio.sleep(5))
        helper.cancel()
        await helper

    handle = make_handler(app, lifespan="off")
    context = make_lambda_context() if with_context else None

    assert handle(make_http_v2_event(path="/cancelled"), context) == HTTP_INTERNAL_ERROR
    assert handle(make_http_v2_event(path="/ok"), context) == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "body": "ok",
        "isBase64Encoded": False,
    }


# 7 ------------------------------------------------------------------------------------------


def test_base_path_slash_means_no_base_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API Gateway console shows the "(none)" API mapping of a custom domain as ``/``;
    taken as a base path it doubled the slash in every URL Starlette builds.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html"""
    event = make_http_v2_event(path="/items", domain="api.example.com")
    expected = json_result(
        {"url": "https://api.example.com/items", "self": "https://api.example.com/items"}
    )

    by_argument = make_handler(starlette_urls, base_path="/", lifespan="off")
    by_environment = handler_from_environment(
        {
            "LAMBGATE_APP": "tests.handler.test_hardening:starlette_urls",
            "LAMBGATE_BASE_PATH": "/",
            "LAMBGATE_LIFESPAN": "off",
        }
    )

    assert by_argument(event, make_lambda_context()) == expected
    assert by_environment(event, make_lambda_context()) == expected


# 8 ------------------------------------------------------------------------------------------


class PlainMiddleware:
    """The usual shape of an ASGI middleware (CORS, timing, OpenTelemetry): it keeps the app
    it wraps as ``.app``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class FalconItem:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response, item: str) -> None:
        resp.media = {"item": item, "uri": req.uri}


def falcon_items() -> falcon.asgi.App[Any, Any]:
    app = falcon.asgi.App()
    app.add_route("/items/{item}", FalconItem())
    return app


def test_wrapped_falcon_app_routes_under_a_rest_stage() -> None:
    """Falcon's ASGI app routes on ``scope["path"]`` as relative to ``root_path``; a wrapper
    around it must not hide that, or every route answers 404 behind a stage.
    https://falcon.readthedocs.io/en/stable/api/request_and_response_asgi.html"""
    event = make_rest_event(path="/items/7")
    uri = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/prod/items/7"

    bare = make_handler(falcon_items(), lifespan="off")(event, make_lambda_context())
    wrapped = make_handler(PlainMiddleware(falcon_items()), lifespan="off")(
        event, make_lambda_context()
    )

    assert json.loads(bare["body"]) == {"item": "7", "uri": uri}
    assert (wrapped["statusCode"], json.loads(wrapped["body"])) == (200, {"item": "7", "uri": uri})


@pytest.mark.parametrize(
    ("root_in_path", "seen"),
    [
        (None, {"path": "/prod/items/7", "root_path": "/prod"}),
        (True, {"path": "/prod/items/7", "root_path": "/prod"}),
        (False, {"path": "/items/7", "root_path": "/prod"}),
    ],
)
def test_root_in_path_overrides_the_detection(
    root_in_path: bool | None, seen: dict[str, str]
) -> None:
    """The ASGI spec has ``path`` include ``root_path`` (the default for apps lambgate does
    not know); ``root_in_path=False`` serves a framework that reads it as relative.
    https://asgi.readthedocs.io/en/latest/specs/www.html#http-connection-scope"""
    app = Starlette(routes=[Route("/items/{item}", scope_paths)])

    handle = make_handler(app, lifespan="off", root_in_path=root_in_path)
    result = handle(make_rest_event(path="/items/7"), make_lambda_context())

    assert json.loads(result["body"]) == seen


def test_root_in_path_true_overrides_the_falcon_detection() -> None:
    """Forced on, a Falcon app gets the spec's full path, stage included, and so finds no
    route: the option, not the detection, decides."""
    handle = make_handler(falcon_items(), lifespan="off", root_in_path=True)

    result = handle(make_rest_event(path="/items/7"), make_lambda_context())

    assert result["statusCode"] == 404


def test_lambgate_root_in_path_false_from_the_environment() -> None:
    handle = handler_from_environment(
        {
            "LAMBGATE_APP": "tests.handler.test_hardening:scope_echo",
            "LAMBGATE_LIFESPAN": "off",
            "LAMBGATE_ROOT_IN_PATH": "false",
        }
    )

    result = handle(make_rest_event(path="/items/7"), make_lambda_context())

    assert json.loads(result["body"]) == {"path": "/items/7", "root_path": "/prod"}


# 9 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_event", [make_http_v2_event, make_function_url_event], ids=["http", "url"]
)
def test_raw_non_ascii_query_is_percent_encoded_as_utf8(make_event: Callable[..., Any]) -> None:
    """``rawQueryString`` is the query as the client sent it; ``curl 'https://x/?q=日本'``
    sends raw UTF-8 bytes. The app must get them as a UTF-8 percent-encoded query (RFC 3986
    3.4, as a browser escapes them), not a crash.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """

    async def query(request: StarletteRequest) -> JSONResponse:
        return JSONResponse({"q": request.query_params["q"], "query": request.url.query})

    app = Starlette(routes=[Route("/", query)])

    result = make_handler(app, lifespan="off")(make_event(raw_query="q=日本"), None)

    assert result == json_result({"q": "日本", "query": "q=%E6%97%A5%E6%9C%AC"})


# 10 -----------------------------------------------------------------------------------------


def test_ipv6_literal_host_is_split_into_server_name_and_port() -> None:
    """RFC 3875 4.1.14: ``SERVER_NAME = hostname | ipv4-address | ( "[" ipv6-address "]" )``,
    without the port, which goes to ``SERVER_PORT`` (PEP 3333). An ALB reached on an IPv6
    literal (dualstack) forwards ``Host: [2001:db8::1]:8080``."""

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps([environ["SERVER_NAME"], environ["SERVER_PORT"]]).encode()]

    event = make_alb_event(host="[2001:db8::1]:8080", scheme="http", port=8080)

    result = make_handler(app)(event, make_lambda_context())

    assert json.loads(result["body"]) == ["[2001:db8::1]", "8080"]


# 11 -----------------------------------------------------------------------------------------


def remote_addr_app() -> flask.Flask:
    app = flask.Flask(__name__)

    @app.get("/")
    def remote() -> dict[str, Any]:
        return {"remote_addr": flask.request.remote_addr}

    return app


@pytest.mark.parametrize(
    "headers",
    [{}, {"user-agent": "ELB-HealthChecker/2.0"}],
    ids=["no-headers", "health-checker"],
)
def test_alb_health_check_has_no_remote_addr(headers: dict[str, str]) -> None:
    """ELB health checks name no client (no ``X-Forwarded-For``; Kludex/mangum#69,
    adamchainz/apig-wsgi#155). PEP 3333 lets ``REMOTE_ADDR`` be absent; a made-up
    ``127.0.0.1`` would pass checks like Django's ``INTERNAL_IPS``.
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
    """
    event = make_alb_event()
    event["headers"] = headers

    result = make_handler(remote_addr_app())(event, make_lambda_context())

    assert json.loads(result["body"]) == {"remote_addr": None}


def test_rest_request_has_the_gateways_source_ip_as_remote_addr() -> None:
    """REST names the client in ``requestContext.identity.sourceIp``.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    """
    result = make_handler(remote_addr_app())(make_rest_event(), make_lambda_context())

    assert json.loads(result["body"]) == {"remote_addr": SOURCE_IP}


# 12 -----------------------------------------------------------------------------------------


def test_text_mime_types_and_excluded_headers_from_the_environment() -> None:
    """Every ``make_handler`` option has its ``LAMBGATE_*`` variable (lists comma-separated);
    a media type given with parameters still names the type."""
    environment = {"LAMBGATE_APP": "tests.handler.test_hardening:ndjson_app"}
    default = handler_from_environment(environment)
    configured = handler_from_environment(
        environment
        | {
            "LAMBGATE_TEXT_MIME_TYPES": (
                "application/vnd.api+json, application/x-ndjson; charset=utf-8"
            ),
            "LAMBGATE_EXCLUDE_HEADERS": "X-Powered-By, server",
        }
    )
    body = b'{"n": 1}\n{"n": 2}\n'

    assert default(make_http_v2_event(), make_lambda_context()) == {
        "statusCode": 200,
        "headers": {
            "Content-Type": "application/x-ndjson",
            "X-Powered-By": "lambgate-tests",
            "Server": "werkzeug",
        },
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
    }
    assert configured(make_http_v2_event(), make_lambda_context()) == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/x-ndjson"},
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def test_timeout_margin_from_the_environment() -> None:
    """With a 2 s margin and 2.3 s left, an app that needs 1 s is cancelled after about 0.3 s
    (504); with the default 500 ms margin it would have answered 200."""
    handle = handler_from_environment(
        {
            "LAMBGATE_APP": "tests.handler.test_hardening:sleepy_app",
            "LAMBGATE_LIFESPAN": "off",
            "LAMBGATE_TIMEOUT_MARGIN_MS": "2000",
        }
    )

    result = handle(make_http_v2_event(), make_lambda_context(remaining_ms=2_300))

    assert result == {**HTTP_INTERNAL_ERROR, "statusCode": 504, "body": "Gateway Timeout"}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "LAMBGATE_TIMEOUT_MARGIN_MS",
            "half a second",
            "LAMBGATE_TIMEOUT_MARGIN_MS must be milliseconds, not 'half a second'",
        ),
        (
            "LAMBGATE_TIMEOUT_MARGIN_MS",
            "-5",
            "LAMBGATE_TIMEOUT_MARGIN_MS must be milliseconds, not '-5'",
        ),
        (
            "LAMBGATE_ROOT_IN_PATH",
            "maybe",
            "LAMBGATE_ROOT_IN_PATH must be true or false, not 'maybe'",
        ),
    ],
)
def test_bad_option_values_in_the_environment_are_configuration_errors(
    variable: str, value: str, message: str
) -> None:
    """A typo in a function's environment fails the init with the variable's name, rather
    than being ignored or surfacing as a bare ``ValueError``."""
    with pytest.raises(ConfigurationError) as caught:
        handler_from_environment(
            {"LAMBGATE_APP": "tests.handler.test_hardening:scope_echo", variable: value}
        )

    assert str(caught.value) == message


# 13 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [b"X-Bad\x00Name", b"X-Bad\x01Name", b"X-Bad\tName", b"X-Bad\x7fName"]
)
def test_response_header_name_with_a_control_character_is_a_500(name: bytes) -> None:
    """RFC 9110 5.1: a field name is a token, which holds no control character; passed on,
    one would corrupt the gateway's response (or be rejected by it as a 502)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(name, b"x")]})
        await send({"type": "http.response.body", "body": b"ok"})

    result = make_handler(app, lifespan="off")(make_rest_event(), make_lambda_context())

    assert result == REST_INTERNAL_ERROR


# 14 -----------------------------------------------------------------------------------------


def test_lifespan_auto_startup_failure_is_logged_as_a_warning_and_requests_are_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With ``lifespan="auto"`` an app whose lifespan startup raises is served without
    lifespan, but the operator must see why its startup work did not happen: a WARNING, not
    a DEBUG line Lambda's default log level hides.
    https://asgi.readthedocs.io/en/latest/specs/lifespan.html"""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            raise RuntimeError("cache warm-up failed")
        await send_text(send, b"served")

    with caplog.at_level(logging.DEBUG, logger="lambgate"):
        handle = make_handler(app, lifespan="auto")

    warnings = [r for r in caplog.records if r.name == "lambgate" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "cache warm-up failed" in warnings[0].getMessage()
    assert handle(make_http_v2_event(), make_lambda_context()) == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain"},
        "body": "served",
        "isBase64Encoded": False,
    }
