"""The gateway as a client sees it: real requests over 127.0.0.1 to a real ``lambgate serve``
of ``apps/template.yaml``, real worker processes behind it.

Each front answers what AWS answers: events carry what API Gateway and function URLs fill in,
results are read as they read them, and failures come back as the front's own error.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .processes import still_alive
from .running_emulator import APPS, RunningEmulator

REST = "ServerlessRestApi"
HTTP = "ServerlessHttpApi"
#: Far below API Gateway's 29/30 s, through the template's TimeoutInMillis parameter.
INTEGRATION_TIMEOUT_MS = 500

#: A 1x1 PNG (with bytes that are not valid UTF-8), as a client uploads it.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    running = RunningEmulator(
        template=APPS / "template.yaml",
        parameter_overrides={"IntegrationTimeout": str(INTEGRATION_TIMEOUT_MS)},
    )
    try:
        yield running
    finally:
        assert not still_alive(running.stop()), "workers outlived the emulator"


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def echoed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_recent_ms(epoch_ms: int) -> None:
    now_ms = time.time() * 1000
    assert now_ms - 60_000 < epoch_ms <= now_ms, "not the real clock, in milliseconds"


# -- events: what API Gateway and function URLs fill in -------------------------------------


def test_rest_event_carries_stage_route_and_the_peer(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    url = emulator.url(REST)
    first = echoed(
        client.get(
            f"{url}/echo/a%20b?tag=x&tag=y",
            headers={"X-Custom": "One", "X-Forwarded-For": "198.51.100.7"},
        )
    )
    second = echoed(client.get(f"{url}/echo/other"))
    event = first["event"]
    context = event["requestContext"]
    # Served at the root as `sam local start-api` does; SAM's implicit API stage is "Prod".
    assert (event["path"], context["path"], context["stage"]) == (
        "/echo/a%20b",
        "/echo/a%20b",
        "Prod",
    )
    assert (event["resource"], context["resourcePath"]) == ("/echo/{item}", "/echo/{item}")
    # REST passes path parameters still encoded (hotsock/voker#8 live captures).
    assert event["pathParameters"] == {"item": "a%20b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"]}
    assert event["queryStringParameters"] == {"tag": "y"}
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert event["headers"]["X-Custom"] == "One"
    # The front appends the peer it saw to the client's X-Forwarded-For, and adds the rest.
    assert event["multiValueHeaders"]["X-Forwarded-For"] == ["198.51.100.7, 127.0.0.1"]
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert event["headers"]["X-Forwarded-Port"] == url.rpartition(":")[2]
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", event["headers"]["X-Amzn-Trace-Id"])
    assert_recent_ms(context["requestTimeEpoch"])
    # A fresh request id per request (SAM CLI reuses one), and not Lambda's own request id.
    ids = {context["requestId"], second["event"]["requestContext"]["requestId"]}
    assert len(ids) == 2 and all(uuid.UUID(i).version == 4 for i in ids)
    assert first["aws_request_id"] not in ids
    assert uuid.UUID(first["aws_request_id"]).version == 4
    assert first["greeting"] == "hello from Globals"
    assert first["function_name"] == "EchoFunction"


def test_rest_event_keeps_the_clients_header_names_and_spells_aws_own_as_aws_does(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    """REST passes header names as sent; the ones API Gateway sets are spelled as in the
    example event of https://docs.aws.amazon.com/apigateway/latest/developerguide/
    set-up-lambda-proxy-integrations.html and hotsock/voker's live captures."""
    response = client.get(
        f"{emulator.url(REST)}/echo/x",
        headers=[
            ("x-lower", "1"),
            ("X-Api-Key-Id", "k"),
            ("user-agent", "probe/1"),
            ("x-forwarded-for", "198.51.100.7"),
        ],
    )
    names = set(echoed(response)["event"]["headers"])
    assert {"x-lower", "X-Api-Key-Id"} <= names
    assert {
        "Host",
        "User-Agent",
        "X-Amzn-Trace-Id",
        "X-Forwarded-For",
        "X-Forwarded-Port",
        "X-Forwarded-Proto",
    } <= names
    assert not names & {"host", "user-agent", "x-forwarded-for", "x-amzn-trace-id"}
    # HTTP APIs lower-case every name, in payload 2.0 as in 1.0.
    http_names = set(echoed(client.get(f"{emulator.url(HTTP)}/echo/x"))["event"]["headers"])
    assert all(name == name.lower() for name in http_names)


def test_rest_result_without_content_type_reaches_the_client_as_json(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    """aws/aws-sam-cli#1218: "If a lambda function does not set the Content-Type response
    header, then the API Gateway will default it to application/json"."""
    response = client.get(f"{emulator.url(REST)}/behave/sleep?seconds=0")
    assert (response.status_code, response.text) == (200, "slept")
    assert response.headers.get_list("content-type") == ["application/json"]


def test_http_api_event_is_payload_2_with_lowercase_headers_and_cookies(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    url = emulator.url(HTTP)
    response = client.get(
        f"{url}/echo/a%20b?tag=x&tag=y&q=%2F",
        headers={"X-Custom-Header": "Value", "Cookie": "session=abc; theme=dark"},
    )
    event = echoed(response)["event"]
    context = event["requestContext"]
    assert event["version"] == "2.0"
    assert (event["routeKey"], context["routeKey"]) == ("GET /echo/{item}", "GET /echo/{item}")
    assert context["stage"] == "$default"
    # HTTP APIs decode the path (live captures: hotsock/voker ingress-paths.json); the query
    # string stays as sent.
    assert event["rawPath"] == "/echo/a b"
    assert event["pathParameters"] == {"item": "a b"}
    assert event["rawQueryString"] == "tag=x&tag=y&q=%2F"
    assert event["queryStringParameters"] == {"tag": "x,y", "q": "/"}
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert "cookie" not in event["headers"]
    assert all(name == name.lower() for name in event["headers"])
    assert event["headers"]["x-custom-header"] == "Value"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["http"]["method"] == "GET"
    assert_recent_ms(context["timeEpoch"])
    assert response.headers["apigw-requestid"] == context["requestId"]


def test_function_url_event_keeps_the_path_encoded_and_the_cookie_header(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    response = client.get(
        f"{emulator.url('EchoFunction')}/any/a%20b?x=1", headers={"Cookie": "a=1; b=2"}
    )
    event = echoed(response)["event"]
    assert event["rawPath"] == "/any/a%20b"
    assert event["rawQueryString"] == "x=1"
    assert (event["routeKey"], event["requestContext"]["stage"]) == ("$default", "$default")
    assert event["requestContext"]["domainName"].endswith(".lambda-url.us-east-1.on.aws")
    # Function URLs send both the cookies list and the cookie header (voker live capture).
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["cookie"] == "a=1; b=2"


# -- routing: the route, or the front's own answer -------------------------------------------


def test_unknown_route_answers_as_each_api_type_does(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    rest = client.get(f"{emulator.url(REST)}/nowhere")
    http = client.get(f"{emulator.url(HTTP)}/nowhere")
    # https://repost.aws/knowledge-center/api-gateway-authentication-token-errors
    assert (rest.status_code, rest.json()) == (403, {"message": "Missing Authentication Token"})
    assert rest.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
    assert (http.status_code, http.json()) == (404, {"message": "Not Found"})


def test_http_api_refuses_a_path_it_cannot_decode_twice(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    """Live capture (hotsock/voker vokerhttp/testdata/ingress-paths.json): an HTTP API answers
    /capture/percent%25done with 400; REST passes the path on still encoded."""
    http = client.get(f"{emulator.url(HTTP)}/echo/percent%25done")
    assert (http.status_code, http.json()) == (400, {"message": "Bad Request"})
    rest = echoed(client.get(f"{emulator.url(REST)}/echo/percent%25done"))
    assert rest["event"]["path"] == "/echo/percent%25done"


def test_a_method_the_route_does_not_take_is_no_route(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    assert client.post(f"{emulator.url(REST)}/echo/x").status_code == 403
    assert client.post(f"{emulator.url(HTTP)}/echo/x").status_code == 404
    assert echoed(client.post(f"{emulator.url(REST)}/echo", content=b"hi"))["event"]["body"] == "hi"


# -- bodies and cookies -----------------------------------------------------------------------


def test_rest_binary_media_types_decide_base64_both_ways(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    url = f"{emulator.url(REST)}/behave/binary"
    png = client.post(
        url, content=PNG, headers={"Content-Type": "image/png", "Accept": "image/png"}
    )
    # image/png is in BinaryMediaTypes: base64 to the function, bytes back to the client.
    assert png.headers["x-arrived-base64"] == "true"
    assert (png.status_code, png.content) == (200, PNG)
    text = client.post(url, content=b"plain words", headers={"Content-Type": "text/plain"})
    assert text.headers["x-arrived-base64"] == "false"
    assert text.content == b"plain words"


@pytest.mark.parametrize("front", [HTTP, "EchoFunction"], ids=["http-api", "function-url"])
def test_http_api_and_function_url_send_only_json_and_text_bodies_as_text(
    emulator: RunningEmulator, client: httpx.Client, front: str
) -> None:
    """A Slack slash command (x-www-form-urlencoded) arrives base64-encoded: middyjs/middy#603,
    slackapi/python-slack-sdk#859; the split verified against AWS in ministackorg/ministack#766."""
    url = f"{emulator.url(front)}/echo"
    arrived: dict[str, tuple[bool, str]] = {}
    for content_type, body in (
        ("application/x-www-form-urlencoded", b"command=%2Ffree&text=hi"),
        ("application/json", b'{"a": 1}'),
        ("text/plain; charset=utf-8", b"words"),
        ("application/octet-stream", b"words"),
    ):
        response = client.post(url, content=body, headers={"Content-Type": content_type})
        event = echoed(response)["event"]
        arrived[content_type] = (event["isBase64Encoded"], event["body"])
    assert arrived == {
        "application/x-www-form-urlencoded": (True, "Y29tbWFuZD0lMkZmcmVlJnRleHQ9aGk="),
        "application/json": (False, '{"a": 1}'),
        "text/plain; charset=utf-8": (False, "words"),
        "application/octet-stream": (True, "d29yZHM="),
    }


def test_cookies_reach_the_function_and_every_set_cookie_reaches_the_client(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    expected = ["first=1; Path=/", "second=2; HttpOnly"]
    for name, received in ((REST, "a=1; b=2"), (HTTP, ["a=1", "b=2"])):
        response = client.get(
            f"{emulator.url(name)}/behave/cookies", headers={"Cookie": "a=1; b=2"}
        )
        assert response.json() == {"received": received}
        assert response.headers.get_list("set-cookie") == expected


def test_http_api_infers_a_result_without_status_code_and_rest_refuses_it(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    http = client.get(f"{emulator.url(HTTP)}/behave/no-status")
    assert (http.status_code, http.json()) == (200, {"hello": "world"})
    assert http.headers["content-type"] == "application/json"
    url = client.get(f"{emulator.url('BehaveFunction')}/behave/no-status")
    assert (url.status_code, url.json()) == (200, {"hello": "world"})
    rest = client.get(f"{emulator.url(REST)}/behave/no-status")
    assert (rest.status_code, rest.json()) == (502, {"message": "Internal server error"})


# -- failures: the front's own error, and the reason in the log ------------------------------

#: https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html (REST),
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html
#: (HTTP API), awsdocs/aws-lambda-developer-guide#430 (function URL: plain text).
FAILED = {
    REST: (502, b'{"message": "Internal server error"}'),
    HTTP: (500, b'{"message":"Internal Server Error"}'),
    "BehaveFunction": (502, b"Internal Server Error"),
}


@pytest.mark.parametrize("front", list(FAILED))
@pytest.mark.parametrize(
    ("action", "logged"),
    [
        ("raise", "ValueError: boom from behave"),
        ("malformed", "malformed Lambda proxy response: body is a dict, not a string"),
        # Timeout: 1 in the template; Lambda ends the environment at the deadline.
        ("sleep?seconds=3", "Sandbox.Timedout"),
        # Over Lambda's 6,291,556-byte response limit (apps/plain_handlers.py).
        ("big", "Function.ResponseSizeTooLarge"),
    ],
)
def test_failed_invocation_is_the_fronts_own_error(
    emulator: RunningEmulator, client: httpx.Client, front: str, action: str, logged: str
) -> None:
    mark = emulator.log.mark()
    response = client.get(f"{emulator.url(front)}/behave/{action}")
    assert (response.status_code, response.content) == FAILED[front]
    log = emulator.log.wait_for(logged, after=mark)
    # The reason names the function and the front it came through, in one line.
    assert re.search(f"lambgate: BehaveFunction \\({front}[^)]*\\): .*{re.escape(logged)}", log)


@pytest.mark.parametrize(
    ("front", "status", "body"),
    [
        # "If the Lambda API rejects the invocation request, API Gateway returns a 500"
        # (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
        (REST, 500, b'{"message": "Internal server error"}'),
        (HTTP, 500, b'{"message":"Internal Server Error"}'),
    ],
)
def test_event_over_lambdas_6_mb_request_limit_is_refused_before_the_function_runs(
    emulator: RunningEmulator, client: httpx.Client, front: str, status: int, body: bytes
) -> None:
    # 4.8 MB is under API Gateway's 10 MB, but base64 in the event makes it 6.4 MB, over
    # Lambda's 6,291,456 bytes (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
    mark = emulator.log.mark()
    upload = bytes(range(256)) * (4_800_000 // 256)
    response = client.post(
        f"{emulator.url(front)}/echo", content=upload, headers={"Content-Type": "image/png"}
    )
    assert (response.status_code, response.content) == (status, body)
    log = emulator.log.wait_for("Lambda refused to run the function", after=mark)
    # The access line names the route's function but no cold/warm: nothing was invoked.
    assert re.search(r"POST /echo 500 [\d.]+ ms EchoFunction\n", log)
    assert "REPORT" not in log


@pytest.mark.parametrize(
    ("front", "status", "body"),
    [
        # https://repost.aws/knowledge-center/api-gateway-504-errors
        (REST, 504, {"message": "Endpoint request timed out"}),
        # anomalyco/sst#2232: HTTP APIs answer 503 "Service Unavailable" themselves.
        (HTTP, 503, {"message": "Service Unavailable"}),
    ],
)
def test_integration_timeout_answers_without_stopping_the_function(
    emulator: RunningEmulator, client: httpx.Client, front: str, status: int, body: object
) -> None:
    mark = emulator.log.mark()
    started = time.monotonic()
    response = client.get(f"{emulator.url(front)}/slow/sleep?seconds=1.5")
    waited = time.monotonic() - started
    assert (response.status_code, response.json()) == (status, body)
    assert INTEGRATION_TIMEOUT_MS / 1000 <= waited < 1.4
    # The function keeps running after the client got its answer, as in AWS.
    log = emulator.log.wait_for("finished after the client was answered", after=mark)
    assert "no answer within the integration timeout of 0.5 s" in log


# -- other handlers behind the same gateway -----------------------------------------------------


def test_powertools_resolver_app_is_served_unchanged(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    url = emulator.url(HTTP)
    got = client.get(f"{url}/pt/items/42?tag=blue")
    assert (got.status_code, got.json()) == (200, {"item": "42", "tag": "blue"})
    created = client.post(f"{url}/pt/items", json={"name": "lamp"})
    assert (created.status_code, created.json()) == (201, {"created": {"name": "lamp"}})
    # Powertools answers its own 404 for a path it has no route for.
    assert client.get(f"{url}/pt/nothing").status_code == 404


def test_recycled_environments_cold_start_on_the_next_request(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    url = f"{emulator.url(HTTP)}/echo/recycle"
    first = echoed(client.get(url))
    emulator.call(emulator.emulator.recycle_all())
    second = echoed(client.get(url))
    assert (
        first["event"]["requestContext"]["requestId"]
        != second["event"]["requestContext"]["requestId"]
    )
    assert re.search(r"GET /echo/recycle 200 [\d.]+ ms EchoFunction cold\n$", emulator.log.text())


def test_access_log_has_one_line_per_request_with_cold_then_warm(
    emulator: RunningEmulator, client: httpx.Client
) -> None:
    url = emulator.url(HTTP)
    for _ in range(2):
        client.get(f"{url}/echo?marker=access-log")
    lines = [line for line in emulator.log.text().splitlines() if "/echo?marker=access-log" in line]
    assert len(lines) == 2
    pattern = r"\d\d:\d\d:\d\d GET /echo\?marker=access-log 200 [\d.]+ ms EchoFunction (cold|warm)"
    assert all(re.fullmatch(pattern, line) for line in lines), lines
    assert lines[1].endswith("warm")
    client.get(f"{url}/nowhere?marker=no-route")
    assert re.search(r"GET /nowhere\?marker=no-route 404 [\d.]+ ms -\n", emulator.log.text())
