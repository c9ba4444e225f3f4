"""Lambda@Edge and VPC Lattice (versions 1 and 2): the events AWS's own libraries captured,
served by a real WSGI app, and each AWS rule the issue names, as a client or CloudFront would
notice it."""

from __future__ import annotations

import base64
import json
import logging
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest

from lambgate import MalformedEvent, UnknownEventSource, make_handler
from lambgate.events import GatewayContext, detect, get_source
from lambgate.model import Request
from tests.factories import make_function_url_event, make_http_v2_event, make_lambda_context

EVENTS = Path(__file__).parent / "aws_events"


def aws_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers with what a framework reads from the environ."""
    seen = {key: value for key, value in environ.items() if key.isupper()}
    seen["body"] = environ["wsgi.input"].read().decode("latin-1")
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
    )
    return [json.dumps(seen).encode()]


HANDLER = make_handler(echo)


def served(event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    result = HANDLER(event, make_lambda_context())
    body = result["body"]
    if result.get("bodyEncoding") == "base64" or result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return result, json.loads(body)


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("aws-lambda-go-cloudfront-request.json", "edge"),
        ("awsdocs-cloudfront-viewer-request.json", "edge"),
        ("awsdocs-cloudfront-origin-request.json", "edge"),
        ("powertools-vpcLatticeEvent.json", "lattice"),
        ("powertools-vpcLatticeEventPathTrailingSlash.json", "lattice"),
        ("powertools-vpcLatticeV2Event.json", "lattice-v2"),
        ("powertools-vpcLatticeV2EventWithHeaders.json", "lattice-v2"),
        ("powertools-vpcLatticeEventV2PathTrailingSlash.json", "lattice-v2"),
        ("powertools-apiGatewayProxyV2Event.json", "http"),
        ("powertools-lambdaFunctionUrlEvent.json", "url"),
    ],
)
def test_a_captured_event_is_detected_as_its_source(name: str, source: str) -> None:
    assert detect(aws_event(name)).name == source


def test_lattice_v2_and_payload_2_are_never_taken_for_each_other() -> None:
    # Both say "version": "2.0" and carry a requestContext (AWS_FACTS pitfall; mangum and
    # apig-wsgi take a Lattice v2 event for HTTP API 2.0 and crash).
    for name in (
        "powertools-vpcLatticeV2Event.json",
        "powertools-vpcLatticeV2EventWithHeaders.json",
    ):
        assert detect(aws_event(name)).name == "lattice-v2"
    for event in (
        aws_event("powertools-apiGatewayProxyV2Event.json"),
        make_http_v2_event(method="POST", path="/items", body="{}"),
        make_function_url_event(),
    ):
        assert detect(event).name in ("http", "url")
    # Our own emulated events too, both ways.
    request = Request("GET", "/a", headers=[("host", "svc.example")])
    assert detect(get_source("lattice-v2").request_to_event(request, GatewayContext())).name == (
        "lattice-v2"
    )
    assert detect(get_source("http").request_to_event(request, GatewayContext())).name == "http"


def test_the_cloudfront_event_reaches_the_app_as_the_viewer_sent_it() -> None:
    result, seen = served(aws_event("aws-lambda-go-cloudfront-request.json"))

    assert seen["PATH_INFO"] == "/picture.jpg"
    assert seen["QUERY_STRING"] == "size=large"
    assert seen["HTTP_HOST"] == "d111111abcdef8.cloudfront.net"
    assert seen["HTTP_USER_AGENT"] == "curl/7.51.0"
    assert seen["REMOTE_ADDR"] == "2001:0db8:85a3:0:0:8a2e:0370:7334"
    assert seen["body"] == '{"username":"Lambda@Edge","comment":"This is request body"}'
    assert "HTTP_X_LAMBGATE_INPUT_TRUNCATED" not in seen
    # CloudFront's result shape: status as a string, lists of {key, value}, repeats kept.
    assert result["status"] == "200"
    assert result["statusDescription"] == "OK"
    assert result["bodyEncoding"] == "text"
    assert result["headers"]["set-cookie"] == [
        {"key": "Set-Cookie", "value": "a=1"},
        {"key": "Set-Cookie", "value": "b=2"},
    ]
    assert "isBase64Encoded" not in result and "statusCode" not in result


@pytest.mark.parametrize(
    ("name", "host", "user_agent"),
    [
        ("awsdocs-cloudfront-viewer-request.json", "d111111abcdef8.cloudfront.net", "curl/7.66.0"),
        ("awsdocs-cloudfront-origin-request.json", "example.org", "Amazon CloudFront"),
    ],
)
def test_the_documented_request_events_reach_the_app(name: str, host: str, user_agent: str) -> None:
    """The examples of lambda-event-structure.html, a GET with no body (no ``body`` field)."""
    result, seen = served(aws_event(name))

    assert (seen["REQUEST_METHOD"], seen["PATH_INFO"], seen["QUERY_STRING"]) == ("GET", "/", "")
    assert (seen["HTTP_HOST"], seen["HTTP_USER_AGENT"]) == (host, user_agent)
    assert seen["REMOTE_ADDR"] == "203.0.113.178"
    assert seen["body"] == ""
    assert result["status"] == "200"


def test_a_truncated_body_is_reported_to_the_app_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = aws_event("aws-lambda-go-cloudfront-request.json")
    event["Records"][0]["cf"]["request"]["body"]["inputTruncated"] = True

    with caplog.at_level(logging.WARNING, logger="lambgate"):
        _, seen = served(event)

    assert seen["HTTP_X_LAMBGATE_INPUT_TRUNCATED"] == "true"
    assert "truncated the request body" in caplog.text


def test_a_viewer_cannot_forge_the_truncation_header() -> None:
    event = aws_event("aws-lambda-go-cloudfront-request.json")
    event["Records"][0]["cf"]["request"]["headers"]["x-lambgate-input-truncated"] = [
        {"key": "X-Lambgate-Input-Truncated", "value": "true"}
    ]

    _, seen = served(event)

    assert "HTTP_X_LAMBGATE_INPUT_TRUNCATED" not in seen


def test_the_emulated_cloudfront_truncates_a_body_over_the_trigger_limit() -> None:
    # 40 KB for viewer request, 1 MB for origin request (Quotas on Lambda@Edge).
    body = b"x" * (40 * 1024 + 1)
    request = Request("POST", "/upload", headers=[("host", "d1.cloudfront.net")], body=body)
    source = get_source("edge")

    viewer = source.request_to_event(request, GatewayContext())
    origin = source.request_to_event(request, GatewayContext(edge_event_type="origin-request"))

    assert viewer["Records"][0]["cf"]["request"]["body"]["inputTruncated"] is True
    assert len(source.event_to_request(viewer, None, _options()).body) == 40 * 1024
    assert origin["Records"][0]["cf"]["request"]["body"]["inputTruncated"] is False


def _options() -> Any:
    from lambgate.events import DEFAULT_OPTIONS

    return DEFAULT_OPTIONS


def _edge_handler(headers: list[tuple[str, str]], body: bytes = b"ok") -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", headers)
        return [body]

    return make_handler(app)


def test_headers_cloudfront_forbids_are_dropped_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = _edge_handler(
        [
            ("Content-Type", "text/plain"),
            ("Content-Length", "2"),
            ("Connection", "close"),
            ("X-Cache", "HIT"),
            ("X-Amz-Cf-Pop", "x"),
            ("Via", "1.1 app"),
            ("X-Kept", "1"),
        ]
    )

    with caplog.at_level(logging.WARNING, logger="lambgate"):
        result = handler(aws_event("aws-lambda-go-cloudfront-request.json"), make_lambda_context())

    assert sorted(result["headers"]) == ["content-type", "x-kept"]
    # Content-Length is framing: CloudFront computes it, and dropping it says nothing.
    assert "Connection, X-Cache, X-Amz-Cf-Pop, Via" in caplog.text
    assert "Content-Length" not in caplog.text
    # The emulated CloudFront refuses such a header outright (a 502 on AWS).
    with pytest.raises(Exception, match="disallows"):
        get_source("edge").result_to_response(
            {"status": "200", "headers": {"connection": [{"key": "Connection", "value": "x"}]}},
            Request("GET", "/"),
            GatewayContext(),
        )


@pytest.mark.parametrize(
    ("event_type", "size", "status"),
    [
        ("viewer-request", 40 * 1024 - 200, "200"),
        ("viewer-request", 40 * 1024 + 1, "502"),
        ("origin-request", 40 * 1024 + 1, "200"),
        ("origin-request", 1024 * 1024 + 1, "502"),
    ],
)
def test_a_generated_response_over_the_trigger_limit_is_a_logged_502(
    event_type: str, size: int, status: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = aws_event("aws-lambda-go-cloudfront-request.json")
    event["Records"][0]["cf"]["config"]["eventType"] = event_type
    handler = _edge_handler([("Content-Type", "text/plain")], b"x" * size)

    with caplog.at_level(logging.ERROR, logger="lambgate"):
        result = handler(event, make_lambda_context())

    assert result["status"] == status
    assert ("over Lambda@Edge's" in caplog.text) == (status == "502")


def test_the_size_limit_counts_utf8_bytes_not_characters(caplog: pytest.LogCaptureFixture) -> None:
    """30,000 "é" are 60,000 bytes: over a viewer-request function's 40 KB, though fewer
    characters; the same text in a header value counts its bytes too."""
    event = aws_event("aws-lambda-go-cloudfront-request.json")
    event["Records"][0]["cf"]["config"]["eventType"] = "viewer-request"
    text = "é" * 30_000
    in_body = _edge_handler([("Content-Type", "text/plain; charset=utf-8")], text.encode())
    in_header = _edge_handler([("Content-Type", "text/plain"), ("X-Note", "é" * 21_000)], b"")

    with caplog.at_level(logging.ERROR, logger="lambgate"):
        assert in_body(event, make_lambda_context())["status"] == "502"
        assert in_header(event, make_lambda_context())["status"] == "502"


@pytest.mark.parametrize("status", ["204 No Content", "304 Not Modified", "302 Found"])
def test_a_generated_response_without_a_body_has_no_body_fields(status: str) -> None:
    """Only ``status`` is required of a generated response; ``body`` is "the body, if any"
    (lambda-generating-http-responses.html): an empty one is left out with its encoding."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Location", "/elsewhere")])
        return []

    result = make_handler(app)(aws_event("awsdocs-cloudfront-viewer-request.json"), None)

    assert result["status"] == status[:3]
    assert "body" not in result and "bodyEncoding" not in result


def test_the_app_can_send_the_request_on_to_the_origin() -> None:
    event = aws_event("aws-lambda-go-cloudfront-request.json")
    handler = _edge_handler([("X-Lambgate-Forward", "origin")], b"")

    result = handler(event, make_lambda_context())

    assert result == event["Records"][0]["cf"]["request"]
    # The emulator has no origin: it answers 502 and shows what would have gone there.
    response = get_source("edge").result_to_response(result, Request("GET", "/"), GatewayContext())
    assert response.status == 502
    assert json.loads(response.body)["forwardedToOrigin"]["uri"] == "/picture.jpg"


def test_pinned_edge_request_survives_its_event() -> None:
    request = Request(
        "POST",
        "/files/a%2Fb%20%CE%BB",
        query_string="next=%2Fa%3Fb&next=x&q=x+y",
        headers=[
            ("host", "d111111abcdef8.cloudfront.net"),
            ("cloudfront-forwarded-proto", "http"),
            ("accept", "text/html"),
            ("accept", "*/*"),
            ("x-forwarded-for", "203.0.113.7"),
        ],
        body=bytes(range(256)),
        scheme="http",
        server=("d111111abcdef8.cloudfront.net", 80),
        client=("203.0.113.7", 0),
    )
    source = get_source("edge")
    assert source.event_to_request(source.request_to_event(request), None, _options()) == request


def test_lattice_v1_event_reaches_the_app_and_answers_in_lattice_shape() -> None:
    result, seen = served(aws_event("powertools-vpcLatticeEvent.json"))

    assert seen["PATH_INFO"] == "/testpath"
    assert seen["QUERY_STRING"] == "order-id=1"
    assert seen["HTTP_HEADER2"] == "value1,value2"
    assert seen["REMOTE_ADDR"] == "10.213.229.10"
    assert seen["body"] == '{"test": "event"}'
    assert result["statusCode"] == 200
    assert result["statusDescription"] == "200 OK"
    assert result["isBase64Encoded"] is False
    # One string per name: the second cookie under another spelling, as through ALB.
    assert result["headers"]["Set-Cookie"] == "a=1"
    assert result["headers"]["Set-cookie"] == "b=2"


def test_lattice_v2_lists_reach_the_app_whole() -> None:
    result, seen = served(aws_event("powertools-vpcLatticeV2EventWithHeaders.json"))

    assert seen["PATH_INFO"] == "/newpath"
    assert seen["QUERY_STRING"] == "parameter1=value1&parameter1=value2&parameter2=value"
    assert seen["HTTP_POWERTOOLS"] == "a,b"
    assert (
        seen["HTTP_HOST"]
        == "lattice-svc-027b423199122da5f.7d67968.vpc-lattice-svcs.us-east-1.on.aws"
    )
    assert seen["REMOTE_ADDR"] == "172.31.40.143"
    assert seen["body"] == '{"message": "Hello from Lambda!"}'
    assert (result["statusCode"], result["statusDescription"]) == (200, "200 OK")


def test_a_malformed_lattice_event_names_the_source_and_field() -> None:
    event = aws_event("powertools-vpcLatticeV2EventWithHeaders.json")
    event["headers"]["accept"] = [None]

    with pytest.raises(MalformedEvent, match=r"^lattice-v2 event: headers\['accept'\]\[0\]"):
        HANDLER(event, make_lambda_context())


def test_the_readme_flask_guard_passes_signed_in_viewers_on_to_the_origin() -> None:
    from flask import Flask, redirect, request

    app = Flask(__name__)

    @app.before_request
    def guard() -> Any:
        if "session" in request.cookies:
            return "", 200, {"X-Lambgate-Forward": "origin"}
        return redirect("/login")

    handler = make_handler(app)
    event = aws_event("aws-lambda-go-cloudfront-request.json")
    anonymous = handler(event, make_lambda_context())
    event["Records"][0]["cf"]["request"]["headers"]["cookie"] = [
        {"key": "Cookie", "value": "session=1"}
    ]
    signed_in = handler(event, make_lambda_context())

    assert anonymous["status"] == "302"
    assert anonymous["headers"]["location"] == [{"key": "Location", "value": "/login"}]
    assert signed_in == event["Records"][0]["cf"]["request"]


# --- against mangum, the one peer that serves Lambda@Edge --------------------------------


async def _starlette_answer(request: Any) -> Any:
    from starlette.responses import Response as StarletteResponse

    response = StarletteResponse(b"\x89PNG\r\n", media_type="image/png")
    response.headers.append("Set-Cookie", "a=1")
    response.headers.append("Set-Cookie", "b=2")
    return response


async def _starlette_echo(request: Any) -> Any:
    from starlette.responses import JSONResponse

    return JSONResponse({"path": request.url.path, "query": request.url.query})


def _starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.routing import Route

    return Starlette(
        routes=[
            Route("/answer", _starlette_answer),
            Route("/{rest:path}", _starlette_echo, methods=["GET", "POST"]),
        ]
    )


def _mangum_to_lambgate(result: dict[str, Any]) -> dict[str, Any]:
    """mangum's Lambda@Edge result changed by each difference lambgate makes on purpose."""
    changed = dict(result)
    # 1. CloudFront documents status as a string, with a statusDescription.
    changed["status"] = str(result["status"])
    changed["statusDescription"] = HTTPStatus(result["status"]).phrase
    # 2. The encoding key is bodyEncoding ("text" | "base64"); isBase64Encoded is not read.
    changed["bodyEncoding"] = "base64" if changed.pop("isBase64Encoded") else "text"
    headers = dict(result["headers"])
    # 3. Content-Length is read-only to edge functions: CloudFront frames the body.
    headers.pop("content-length", None)
    # 4. Every Set-Cookie reaches the viewer; mangum keeps only the last.
    if "set-cookie" in headers:
        headers["set-cookie"] = [
            {"key": "set-cookie", "value": "a=1"},
            {"key": "set-cookie", "value": "b=2"},
        ]
    changed["headers"] = headers
    return changed


@pytest.mark.parametrize(
    ("request_", "path_difference"),
    [
        ({"path": "/answer"}, None),
        # 5. ASGI's path is percent-decoded; mangum hands over the encoded uri.
        (
            {"method": "POST", "path": "/a%20b", "raw_query": "x=1", "body": "hi"},
            ("/a%20b", "/a b"),
        ),
    ],
)
def test_edge_results_match_mangum_but_for_the_named_differences(
    request_: dict[str, Any], path_difference: tuple[str, str] | None
) -> None:
    from mangum import Mangum

    from tests.factories import make_edge_event

    app = _starlette_app()
    event = make_edge_event(**request_)
    ours = make_handler(app, lifespan="off")(event, make_lambda_context())
    theirs = _mangum_to_lambgate(Mangum(app, lifespan="off")(event, make_lambda_context()))
    if path_difference is not None:
        assert json.loads(theirs["body"])["path"] == path_difference[0]
        theirs["body"] = theirs["body"].replace(*path_difference)
    assert ours == theirs


@pytest.mark.parametrize(
    ("name", "failure"),
    [
        # Version 1 matches none of mangum's handlers.
        ("powertools-vpcLatticeEvent.json", RuntimeError),
        # Version 2 is taken for HTTP API 2.0, whose requestContext.http it then reads.
        ("powertools-vpcLatticeV2EventWithHeaders.json", KeyError),
    ],
)
def test_mangum_fails_on_lattice_events_so_there_is_nothing_to_compare(
    name: str, failure: type[Exception]
) -> None:
    from mangum import Mangum

    with pytest.raises(failure):
        Mangum(_starlette_app(), lifespan="off")(aws_event(name), make_lambda_context())
    assert HANDLER(aws_event(name), make_lambda_context())["statusCode"] == 200


def _response_trigger_event(event_type: str) -> dict[str, Any]:
    """A Lambda@Edge response trigger's event: the captured request, the origin's response
    beside it, as AWS documents the response event structure.
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html#lambda-event-structure-response
    """
    event = aws_event("aws-lambda-go-cloudfront-request.json")
    cf = event["Records"][0]["cf"]
    cf["config"]["eventType"] = event_type
    del cf["request"]["body"]  # a response trigger is never given the request body
    cf["response"] = {
        "status": "200",
        "statusDescription": "OK",
        "headers": {
            "content-type": [{"key": "Content-Type", "value": "text/html; charset=UTF-8"}],
            "server": [{"key": "Server", "value": "ExampleCustomOriginServer"}],
        },
    }
    return event


@pytest.mark.parametrize("event_type", ["origin-response", "viewer-response"])
def test_a_response_trigger_event_is_refused_by_name_and_never_reaches_the_app(
    event_type: str,
) -> None:
    # Served as a request, the app's page would replace the origin's response for every
    # viewer: the function was meant to adjust that response, not answer the request.
    called: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        called.append(environ)
        return echo(environ, start_response)

    with pytest.raises(UnknownEventSource) as caught:
        make_handler(app)(_response_trigger_event(event_type), make_lambda_context())

    assert str(caught.value) == (
        "lambgate cannot serve a CloudFront response trigger event: lambgate serves requests "
        "(viewer-request / origin-request triggers)"
    )
    assert called == []
