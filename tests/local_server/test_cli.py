"""``lambgate event``: the printed event is what the named AWS service sends, and lambgate's
own handler (and detection) accept it."""

from __future__ import annotations

import json
import subprocess
import sys
from base64 import b64decode
from pathlib import Path

import pytest

from lambgate import make_handler
from lambgate.events import detect


def lambgate(*args: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", "lambgate", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    event: dict[str, object] = json.loads(proc.stdout)
    return event


@pytest.mark.parametrize(
    "kind",
    ["rest", "http-v1", "http", "url", "alb", "alb-multi", "edge", "lattice", "lattice-v2"],
)
def test_event_is_detected_as_its_kind_and_served(kind: str) -> None:
    event = lambgate(
        "event",
        kind,
        "--method",
        "POST",
        "--path",
        "/items/a%20b",
        "--query",
        "tag=x&tag=y",
        "--header",
        "Content-Type: application/json",
        "--body",
        '{"k": 1}',
    )
    assert detect(event).name == kind

    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        body = environ["wsgi.input"].read()  # type: ignore[attr-defined]
        start_response("200 OK", [("Content-Type", "application/json")])  # type: ignore[operator]
        seen = [environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"]]
        return [json.dumps([*seen, body.decode()]).encode()]

    result = make_handler(app)(event, None)
    assert result.get("statusCode", result.get("status")) in (200, "200")
    method, path, query, body = json.loads(result["body"])
    assert (method, path, body) == ("POST", "/items/a b", '{"k": 1}')
    # ALB without multi-value headers "uses the last value that it receives"
    # (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html);
    # VPC Lattice version 1 has one string per parameter too.
    assert query == ("tag=y" if kind in ("alb", "lattice") else "tag=x&tag=y")


def test_edge_event_of_an_origin_request_trigger() -> None:
    viewer = lambgate("event", "edge")
    origin = lambgate("event", "edge", "--edge-event-type", "origin-request")
    assert viewer["Records"][0]["cf"]["config"]["eventType"] == "viewer-request"  # type: ignore[index]
    assert "origin" not in viewer["Records"][0]["cf"]["request"]  # type: ignore[index]
    cf = origin["Records"][0]["cf"]  # type: ignore[index]
    assert cf["config"]["eventType"] == "origin-request"
    assert cf["request"]["origin"]["custom"]["domainName"]
    refused = subprocess.run(
        [sys.executable, "-m", "lambgate", "event", "http", "--edge-event-type", "origin-request"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert (
        refused.stderr == "lambgate event: error: --edge-event-type is for edge events, not http\n"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # A greedy /{proxy+} never takes the root: the "/" resource does, with no parameters.
        ((), ("/", "/", None, "/", "prod")),
        # The stage leads requestContext.path only (hotsock/voker apigwv1-request.json).
        (("--stage", "live"), ("/", "/", None, "/live/", "live")),
        (
            ("--path", "/items/1", "--stage", "live"),
            ("/{proxy+}", "/items/1", {"proxy": "items/1"}, "/live/items/1", "live"),
        ),
    ],
)
def test_rest_event_resource_and_paths_are_as_aws_sends_them(
    args: tuple[str, ...], expected: tuple[object, ...]
) -> None:
    event = lambgate("event", "rest", *args)
    context = event["requestContext"]
    assert isinstance(context, dict)
    seen = (
        event["resource"],
        event["path"],
        event["pathParameters"],
        context["path"],
        context["stage"],
    )
    assert seen == expected


def test_http_event_carries_cookies_and_a_binary_body_as_aws_does() -> None:
    event = lambgate(
        "event",
        "http",
        "--header",
        "Cookie: a=1; b=2",
        "--header",
        "Content-Type: application/octet-stream",
        "--body",
        "\u00ff",
    )
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]  # type: ignore[operator]
    assert event["isBase64Encoded"] is True
    assert b64decode(event["body"]) == "\u00ff".encode()  # type: ignore[arg-type]


def test_bad_header_is_a_clear_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lambgate", "event", "http", "--header", "nocolon"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "a header is NAME:VALUE" in proc.stderr


def test_deploy_and_package_are_lambgate_commands(tmp_path: Path) -> None:
    """``lambgate deploy`` is wired to the boto3 deploy code: without a zip it says how to
    build one (with ``lambgate package``) instead of reaching for AWS."""
    proc = subprocess.run(
        [sys.executable, "-m", "lambgate", "deploy", "--function-name", "demo", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "lambgate package" in proc.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "lambgate", "package", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "--requirements" in help_text and "--arch" in help_text


@pytest.mark.parametrize(
    ("route", "event_type", "app_gets"),
    [
        ("$connect", "CONNECT", "websocket.connect"),
        ("$default", "MESSAGE", "websocket.receive"),
        ("sendmessage", "MESSAGE", "websocket.receive"),
        ("$disconnect", "DISCONNECT", "websocket.disconnect"),
    ],
)
def test_websocket_event_of_each_route_is_served_as_that_event(
    route: str, event_type: str, app_gets: str
) -> None:
    # "$connect" and "$disconnect" are the handshake's, any other route a message's.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html
    event = lambgate("event", "websocket", "--route", route, "--body", '{"action": "hi"}')
    context = event["requestContext"]
    assert isinstance(context, dict)
    assert (context["eventType"], context["routeKey"]) == (event_type, route)
    assert detect(event).name == "websocket"
    received: list[dict[str, object]] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        assert scope["type"] == "websocket"
        received.append(await receive())  # type: ignore[operator]
        if event_type == "CONNECT":
            await send({"type": "websocket.accept"})  # type: ignore[operator]
            return
        received.append(await receive())  # type: ignore[operator]

    result = make_handler(app, lifespan="off")(event, None)

    assert result["statusCode"] == 200
    assert received[-1]["type"] == app_gets
    if event_type == "MESSAGE":
        assert received[-1]["text"] == '{"action": "hi"}'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("http", "--route", "$connect"), "--route is for websocket events, not http"),
        (("websocket", "--route", "$connnect"), "'$connnect' is not a route"),
        (("websocket", "--route", ""), "a route key cannot be empty"),
    ],
)
def test_a_bad_route_is_one_plain_error_line(args: tuple[str, ...], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lambgate", "event", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("lambgate event: error: ")
    assert message in proc.stderr
    assert proc.stderr.count("\n") == 1
