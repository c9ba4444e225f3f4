"""Round trips through every event source: what the client sent is what the app sees.

``request_to_event`` is what AWS does to a request; ``event_to_request`` is what lambgate
makes of the event inside Lambda. If the two disagree, an app sees a different request on
Lambda than the client made (or than ``lambgate serve`` shows it). The same holds for the
response through ``response_to_result`` and the service's ``result_to_response``.

The strategies in :mod:`tests.handler.strategies` generate only what each source can carry;
what a source cannot carry is pinned by the example tests at the end, with the AWS reason.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambgate.events import (
    DEFAULT_GATEWAY_CONTEXT,
    DEFAULT_OPTIONS,
    GatewayContext,
    detect,
    get_source,
)
from lambgate.model import Request, Response
from tests.handler.strategies import (
    SOURCE_NAMES,
    WEBSOCKET_ROUTES,
    grouped_headers,
    requests_for,
    responses_for,
    websocket_requests,
)

#: REST base64-encodes a request body only for a binary media type; ``*/*`` makes every body
#: travel as bytes, so binary bodies round-trip (without it AWS would mangle them).
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html
GATEWAYS = {"rest": GatewayContext(binary_media_types=("*/*",))}

#: ``too_slow`` is off because the first Unicode text drawn in a fresh checkout makes
#: Hypothesis build its character-category table (about a second, once per machine).
ROUND_TRIP = settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])


def gateway_for(source: str) -> GatewayContext:
    return GATEWAYS.get(source, DEFAULT_GATEWAY_CONTEXT)


def through_event(request: Request, source: str) -> Request:
    kind = get_source(source)
    event = kind.request_to_event(request, gateway_for(source))
    return kind.event_to_request(event, None, DEFAULT_OPTIONS)


def through_result(response: Response, request: Request, source: str) -> Response:
    kind = get_source(source)
    result = kind.response_to_result(response, request, DEFAULT_OPTIONS)
    return kind.result_to_response(result, request, gateway_for(source))


def request(
    *,
    path: str,
    raw_path: str,
    query_string: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    root_path: str = "",
    host: str = "abcdef1234.execute-api.us-east-1.amazonaws.com",
) -> Request:
    """A request as a gateway forwards it (its own Host and X-Forwarded-* headers)."""
    return Request(
        method="POST" if body else "GET",
        path=path,
        raw_path=raw_path,
        query_string=query_string,
        headers=[
            ("host", host),
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-port", "443"),
            ("x-forwarded-proto", "https"),
            *(headers or []),
        ],
        body=body,
        server=(host, 443),
        client=("203.0.113.7", 0),
        root_path=root_path,
    )


PLAIN = request(path="/", raw_path="/")
#: The pinned requests carry X-Forwarded-Proto and -Port, which CloudFront never shows an
#: edge function (its pinned cases are in test_edge_and_lattice.py).
FORWARDED_SOURCES = [source for source in SOURCE_NAMES if source != "edge"]


@pytest.mark.parametrize("source", SOURCE_NAMES)
@ROUND_TRIP
@given(data=st.data())
def test_request_survives_its_event(source: str, data: st.DataObject) -> None:
    request = data.draw(requests_for(source))
    assert through_event(request, source) == request


@pytest.mark.parametrize("source", SOURCE_NAMES)
@settings(ROUND_TRIP, max_examples=50)  # detection reads the shape, which varies little
@given(data=st.data())
def test_event_is_detected_as_its_source(source: str, data: st.DataObject) -> None:
    request = data.draw(requests_for(source))
    event = get_source(source).request_to_event(request, gateway_for(source))
    assert detect(event).name == source


@pytest.mark.parametrize("source", SOURCE_NAMES)
@ROUND_TRIP
@given(data=st.data())
def test_response_survives_its_result(source: str, data: st.DataObject) -> None:
    # The request matters only to REST (its Accept header), and it sends none here.
    response = data.draw(responses_for(source))
    back = through_result(response, PLAIN, source)
    assert (back.status, grouped_headers(back.headers), back.body) == (
        response.status,
        grouped_headers(response.headers),
        response.body,
    )


# The cases hypothesis might not reach in 200 examples, pinned for each source that can
# carry them.
ENCODED_SLASH = request(path="/files/a/b λ", raw_path="/files/a%2Fb%20%CE%BB")
DECODED_UNICODE = request(path="/files/λ 世界#1", raw_path="/files/%CE%BB%20%E4%B8%96%E7%95%8C%231")
AWKWARD_QUERY = request(
    path="/",
    raw_path="/",
    query_string="next=%2Fa%3Fb%3D1%26c&next=x&sum=1%2B1%3D2&pct=100%25&q=x%20y",
)
STAGED = request(path="/items/", raw_path="/items/", root_path="/prod")
BINARY = request(
    path="/upload",
    raw_path="/upload",
    headers=[("content-type", "application/octet-stream")],
    body=bytes(range(256)),
)
REPEATED_HEADERS = request(
    path="/", raw_path="/", headers=[("accept", "text/html"), ("accept", "*/*")]
)


@pytest.mark.parametrize(
    ("source", "original"),
    [
        *[(s, ENCODED_SLASH) for s in ("rest", "url", "alb", "alb-multi", "lattice", "lattice-v2")],
        *[(s, DECODED_UNICODE) for s in FORWARDED_SOURCES],
        *[(s, AWKWARD_QUERY) for s in ("rest", "http-v1", "http", "url", "alb-multi")],
        *[(s, STAGED) for s in ("rest", "http-v1", "http")],
        *[(s, BINARY) for s in FORWARDED_SOURCES],
        *[(s, REPEATED_HEADERS) for s in ("rest", "http-v1", "alb-multi", "lattice-v2")],
    ],
)
def test_pinned_request_survives_its_event(source: str, original: Request) -> None:
    assert through_event(original, source) == original


@pytest.mark.parametrize("source", ["http", "http-v1"])
def test_http_api_cannot_carry_an_encoded_slash(source: str) -> None:
    # HTTP APIs decode the path before the function sees it ("/capture/slash%2Fvalue" arrives
    # as "/capture/slash/value": hotsock/voker ingress-paths.json), so the app
    # sees two segments where the client sent one.
    back = through_event(ENCODED_SLASH, source)
    assert (back.path, back.raw_path) == ("/files/a/b λ", "/files/a/b%20%CE%BB")


def test_alb_single_value_mode_keeps_the_last_repeat() -> None:
    # "If you do not enable multi-value header syntax and a header or query parameter has
    # multiple values, the load balancer uses the last value that it receives."
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
    back = through_event(REPEATED_HEADERS, "alb")
    assert back.header("accept") == "*/*"
    assert [name for name, _ in back.headers].count("accept") == 1
    back = through_event(AWKWARD_QUERY, "alb")
    assert back.query_string == "next=x&sum=1%2B1%3D2&pct=100%25&q=x%20y"


def test_payload_2_joins_repeated_headers_with_commas() -> None:
    # "Duplicate headers are combined with commas and included in the headers field."
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    for source in ("http", "url"):
        assert through_event(REPEATED_HEADERS, source).header("accept") == "text/html,*/*"


# API Gateway WebSocket APIs: one event per route, none of them a whole HTTP request.


def _websocket_gateway(route: str, request: Request) -> GatewayContext:
    """The API that sends ``route``'s event, on the domain the client connected to."""
    return GatewayContext(
        route_key=route, domain_name=request.server[0] if request.server else None
    )


@pytest.mark.parametrize("route", WEBSOCKET_ROUTES)
@ROUND_TRIP
@given(data=st.data())
def test_websocket_request_survives_its_event(route: str, data: st.DataObject) -> None:
    request = data.draw(websocket_requests(route))
    kind = get_source("websocket")
    event = kind.request_to_event(request, _websocket_gateway(route, request))
    assert detect(event).name == "websocket"
    assert kind.event_to_request(event, None, DEFAULT_OPTIONS) == request


@pytest.mark.parametrize("route", WEBSOCKET_ROUTES)
@ROUND_TRIP
@given(data=st.data())
def test_websocket_event_type_follows_its_route(route: str, data: st.DataObject) -> None:
    # "$connect" and "$disconnect" are the handshake's, every other route a message's.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html
    request = data.draw(websocket_requests(route))
    event = get_source("websocket").request_to_event(request, _websocket_gateway(route, request))
    expected = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    assert (event["requestContext"]["eventType"], event["requestContext"]["routeKey"]) == (
        expected,
        route,
    )


@ROUND_TRIP
@given(data=st.data())
def test_websocket_connect_response_survives_its_result(data: st.DataObject) -> None:
    # A $connect route's answer: its status decides the handshake. Its header map holds one
    # value per name (AWS's example result has no multiValueHeaders), so the repeats of a
    # name arrive joined with commas, none lost, except Set-Cookie, which cannot be joined
    # and which API Gateway never sends a WebSocket client: it is left out (and logged).
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html
    response = data.draw(responses_for("websocket"))
    request = data.draw(websocket_requests("$connect"))
    back = through_result(response, request, "websocket")
    joined = {
        name: [", ".join(values)]
        for name, values in grouped_headers(response.headers).items()
        if name.lower() != "set-cookie"
    }
    assert (back.status, grouped_headers(back.headers), back.body) == (
        response.status,
        joined,
        response.body,
    )
