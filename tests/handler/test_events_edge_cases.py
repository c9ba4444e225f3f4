"""Events that are not what the gateway sends on a normal request: console test events, load
balancer health checks, payloads that are not HTTP at all, and broken ones. Each is either
served or refused with an error that says what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from lambgate import ConfigurationError, MalformedEvent, UnknownEventSource, make_handler
from lambgate.events import SOURCES, get_source
from tests.factories import (
    TARGET_GROUP_ARN,
    make_alb_event,
    make_http_v1_event,
    make_http_v2_event,
    make_lambda_context,
    make_rest_event,
)

StartResponse = Callable[..., Callable[[bytes], object]]
Environ = dict[str, Any]


def echo_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Answers with what a framework would build its request from."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    seen = [
        environ["REQUEST_METHOD"],
        environ["wsgi.url_scheme"] + "://" + environ["SERVER_NAME"] + ":" + environ["SERVER_PORT"],
        environ["SCRIPT_NAME"] + environ["PATH_INFO"] + "?" + environ["QUERY_STRING"],
        environ["wsgi.input"].read().decode(),
        ",".join(sorted(key for key in environ if key.startswith("HTTP_"))),
    ]
    return ["|".join(seen).encode()]


class TestConsoleTestEvents:
    # The API Gateway console's test invocation and hand-written Lambda console test events
    # carry nulls where a live request has maps (apig-wsgi#155, Kludex/mangum#69).
    def test_rest_event_with_nulls_everywhere_is_served(self) -> None:
        event = {
            "resource": "/{proxy+}",
            "path": "/hello",
            "httpMethod": "GET",
            "headers": None,
            "queryStringParameters": None,
            "pathParameters": None,
            "stageVariables": None,
            "requestContext": None,
            "body": None,
            "isBase64Encoded": False,
        }

        result = make_handler(echo_app)(event, make_lambda_context())

        assert result == {
            "statusCode": 200,
            "headers": {"Content-Type": "text/plain"},
            "multiValueHeaders": {},
            "body": "GET|https://localhost:443|/hello?||",
            "isBase64Encoded": False,
        }

    def test_rest_event_with_only_method_and_path_is_served(self) -> None:
        result = make_handler(echo_app)({"httpMethod": "POST", "path": "/"}, None)

        assert (result["statusCode"], result["body"]) == (200, "POST|https://localhost:443|/?||")

    def test_single_value_maps_without_multi_value_maps_are_used(self) -> None:
        event = {
            "httpMethod": "PUT",
            "path": "/items/1",
            "headers": {"Content-Type": "text/plain", "X-Custom": "yes"},
            "queryStringParameters": {"q": "a b"},
            "body": "new value",
            "isBase64Encoded": False,
        }

        result = make_handler(echo_app)(event, None)

        assert (
            result["body"] == "PUT|https://localhost:443|/items/1?q=a%20b|new value|HTTP_X_CUSTOM"
        )

    def test_asgi_scope_of_a_console_event_has_no_client(self) -> None:
        scopes: list[dict[str, Any]] = []

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            scopes.append(scope)
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        event = {"httpMethod": "GET", "path": "/", "headers": None, "requestContext": None}
        make_handler(app, lifespan="off")(event, None)

        assert [(s["client"], s["server"], s["headers"], s["root_path"]) for s in scopes] == [
            (None, ("localhost", 443), [], "")
        ]

    def test_payload_2_event_without_request_context_is_malformed(self) -> None:
        event = {"version": "2.0", "routeKey": "$default", "rawPath": "/", "requestContext": None}

        with pytest.raises(MalformedEvent) as caught:
            make_handler(echo_app)(event, None)

        assert str(caught.value) == "http event: requestContext must be an object, got null"


class TestALBHealthChecks:
    # "Health check events: same shape, headers {"user-agent": "ELB-HealthChecker/2.0"},
    # body """: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
    def test_documented_health_check_is_answered_in_single_value_mode(self) -> None:
        event = {
            "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP_ARN}},
            "httpMethod": "GET",
            "path": "/",
            "queryStringParameters": {},
            "headers": {"user-agent": "ELB-HealthChecker/2.0"},
            "body": "",
            "isBase64Encoded": False,
        }

        result = make_handler(echo_app)(event, None)

        assert result == {
            "statusCode": 200,
            "statusDescription": "200 OK",
            "headers": {"Content-Type": "text/plain"},
            "body": "GET|https://localhost:443|/?||HTTP_USER_AGENT",
            "isBase64Encoded": False,
        }

    def test_health_check_without_any_headers_is_served(self) -> None:
        event = {
            "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP_ARN}},
            "httpMethod": "GET",
            "path": "/health",
        }

        result = make_handler(echo_app)(event, None)

        assert result == {
            "statusCode": 200,
            "statusDescription": "200 OK",
            "headers": {"Content-Type": "text/plain"},
            "body": "GET|https://localhost:443|/health?||",
            "isBase64Encoded": False,
        }

    def test_multi_value_health_check_with_empty_maps_is_answered_in_multi_value_mode(
        self,
    ) -> None:
        # "You must use multiValueHeaders if you have enabled multi-value headers".
        event = {
            "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP_ARN}},
            "httpMethod": "GET",
            "path": "/",
            "multiValueQueryStringParameters": {},
            "multiValueHeaders": {},
            "body": "",
            "isBase64Encoded": False,
        }

        result = make_handler(echo_app)(event, None)

        assert result == {
            "statusCode": 200,
            "statusDescription": "200 OK",
            "multiValueHeaders": {"Content-Type": ["text/plain"]},
            "body": "GET|https://localhost:443|/?||",
            "isBase64Encoded": False,
        }

    def test_alb_event_without_a_method_is_malformed(self) -> None:
        event = {"requestContext": {"elb": {"targetGroupArn": TARGET_GROUP_ARN}}, "path": "/"}

        with pytest.raises(MalformedEvent) as caught:
            make_handler(echo_app)(event, None)

        assert "httpMethod" in str(caught.value)


class TestNotAnHTTPEvent:
    def test_unknown_event_names_its_keys_and_the_supported_sources(self) -> None:
        s3_event = {"Records": [{"eventSource": "aws:s3"}], "detail-type": "Object Created"}

        with pytest.raises(UnknownEventSource) as caught:
            make_handler(echo_app)(s3_event, make_lambda_context())

        message = str(caught.value)
        assert "top-level keys [Records, detail-type]" in message
        assert "Pass source= to make_handler to force one" in message
        for source in SOURCES:
            assert source.name in message

    def test_empty_event_says_it_has_no_keys(self) -> None:
        with pytest.raises(UnknownEventSource) as caught:
            make_handler(echo_app)({}, None)

        assert "an event with top-level keys [none]" in str(caught.value)

    @pytest.mark.parametrize(
        ("event", "kind"),
        [([{"httpMethod": "GET"}], "list"), (None, "NoneType"), ('{"path": "/"}', "str")],
    )
    def test_non_object_event_names_its_type(self, event: Any, kind: str) -> None:
        with pytest.raises(UnknownEventSource) as caught:
            make_handler(echo_app)(event, None)

        assert f"lambgate cannot serve a {kind} event" in str(caught.value)

    @pytest.mark.parametrize("source", [source.name for source in SOURCES])
    @pytest.mark.parametrize("event", [[{"httpMethod": "GET"}], None, "{}", {}])
    def test_a_forced_source_names_what_its_event_lacks(self, source: str, event: Any) -> None:
        with pytest.raises(MalformedEvent) as caught:
            make_handler(echo_app, source=source)(event, None)  # type: ignore[arg-type]

        what = "the event must be a JSON object" if not isinstance(event, dict) else "is missing"
        assert str(caught.value).startswith(f"{source} event: ")
        assert what in str(caught.value)

    def test_event_errors_are_value_errors_with_a_400_hint(self) -> None:
        # Callers that catch ValueError keep working, and the emulator shows a 400.
        with pytest.raises(ValueError) as caught:
            make_handler(echo_app)({"hello": "world"}, None)

        assert isinstance(caught.value, UnknownEventSource)
        assert caught.value.status_hint == 400


def _rest_authorizer() -> dict[str, Any]:
    event = make_rest_event(path="/items", headers=[("Authorization", "Bearer t")])
    arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/items"
    return {"type": "REQUEST", "methodArn": arn, **event}


def _rest_token_authorizer() -> dict[str, Any]:
    arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/items"
    return {"type": "TOKEN", "authorizationToken": "Bearer t", "methodArn": arn}


def _http_authorizer_v1() -> dict[str, Any]:
    event = make_http_v1_event(path="/items", headers=[("Authorization", "Bearer t")])
    arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default/GET/items"
    return {"type": "REQUEST", "methodArn": arn, "identitySource": "Bearer t", **event}


def _http_authorizer_v2() -> dict[str, Any]:
    event = make_http_v2_event(path="/items", headers=[("authorization", "Bearer t")])
    arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/$default/GET/items"
    return {"type": "REQUEST", "routeArn": arn, "identitySource": ["Bearer t"], **event}


class TestAuthorizerEvents:
    """An API Gateway Lambda authorizer gets the request's method, path and headers, and must
    answer with a policy (or ``isAuthorized``): served as a request, the app's answer is not
    one, and the authorizer denies every client.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
    """

    @pytest.mark.parametrize(
        ("make_event", "kind"),
        [
            (_rest_authorizer, "REQUEST"),
            (_rest_token_authorizer, "TOKEN"),
            (_http_authorizer_v1, "REQUEST"),
            (_http_authorizer_v2, "REQUEST"),
        ],
        ids=["rest-request", "rest-token", "http-payload-1.0", "http-payload-2.0"],
    )
    def test_is_refused_by_name_and_never_reaches_the_app(
        self, make_event: Callable[[], dict[str, Any]], kind: str
    ) -> None:
        called = []

        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            called.append(environ)
            return echo_app(environ, start_response)

        with pytest.raises(UnknownEventSource) as caught:
            make_handler(app)(make_event(), make_lambda_context())

        assert str(caught.value) == (
            f"lambgate cannot serve an API Gateway Lambda authorizer event (type {kind}): "
            "lambgate serves HTTP requests, and an authorizer must answer with a policy, not an "
            "HTTP response: give the authorizer a handler of its own"
        )
        assert called == []

    def test_websocket_event_to_a_wsgi_app_says_it_needs_asgi(self) -> None:
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html
        event = {
            "headers": {"Host": "abcdef1234.execute-api.us-east-1.amazonaws.com"},
            "multiValueHeaders": {"Host": ["abcdef1234.execute-api.us-east-1.amazonaws.com"]},
            "requestContext": {
                "routeKey": "$connect",
                "eventType": "CONNECT",
                "connectionId": "L0SM9cOFvHcCIhw=",
                "stage": "prod",
            },
            "isBase64Encoded": False,
        }

        with pytest.raises(ConfigurationError) as caught:
            make_handler(echo_app)(event, None)

        assert str(caught.value).startswith("an API Gateway WebSocket event needs an ASGI app")


@pytest.mark.parametrize(
    "make_event",
    [make_rest_event, make_http_v2_event, make_alb_event],
    ids=["rest", "http", "alb"],
)
def test_body_marked_base64_that_is_not_base64_is_malformed(
    make_event: Callable[..., dict[str, Any]],
) -> None:
    event = make_event(method="POST", body="plain text, not base64!")
    event["isBase64Encoded"] = True
    source = make_event.__name__.removeprefix("make_").removesuffix("_event").removesuffix("_v2")

    with pytest.raises(MalformedEvent) as caught:
        make_handler(echo_app)(event, None)

    assert str(caught.value).startswith(
        f"{source} event: body is not base64, though isBase64Encoded is true"
    )


class TestForcedSource:
    def test_forced_source_answers_in_that_sources_shape(self) -> None:
        # A target group with multi-value headers enabled whose health check came without
        # any map: detection cannot tell the mode, the function's configuration can.
        event = {
            "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP_ARN}},
            "httpMethod": "GET",
            "path": "/",
        }

        result = make_handler(echo_app, source="alb-multi")(event, None)

        assert result == {
            "statusCode": 200,
            "statusDescription": "200 OK",
            "multiValueHeaders": {"Content-Type": ["text/plain"]},
            "body": "GET|https://localhost:443|/?||",
            "isBase64Encoded": False,
        }

    def test_forced_source_reads_events_detection_would_refuse(self) -> None:
        # An invoker that adds its own "version" key hides the REST shape from detection.
        event = {**make_rest_event(path="/x"), "version": "internal-7"}
        with pytest.raises(UnknownEventSource):
            make_handler(echo_app)(event, None)

        result = make_handler(echo_app, source="rest")(event, None)

        assert (result["statusCode"], result["body"].split("|")[2]) == (200, "/prod/x?")

    def test_forced_source_still_refuses_an_event_without_a_method(self) -> None:
        with pytest.raises(MalformedEvent) as caught:
            make_handler(echo_app, source="rest")({"path": "/"}, None)

        assert "httpMethod" in str(caught.value)

    @pytest.mark.parametrize("name", ["rest", "http-v1", "http", "alb", "alb-multi", "url"])
    def test_every_documented_name_is_a_source(self, name: str) -> None:
        assert get_source(name).name == name

    def test_unknown_source_name_is_a_configuration_error_listing_the_names(self) -> None:
        with pytest.raises(ConfigurationError) as caught:
            make_handler(echo_app, source="apigateway")

        message = str(caught.value)
        assert message.startswith("unknown event source 'apigateway'; supported: ")
        for source in SOURCES:
            assert source.name in message


def test_request_time_follows_the_clock_second_by_second() -> None:
    """Events built within one second share its text (it is kept, not formatted again), and
    the next second, or an earlier one, gets its own."""
    from lambgate.events.base import request_time

    assert request_time(1428582896000) == "09/Apr/2015:12:34:56 +0000"
    assert request_time(1428582896999) == "09/Apr/2015:12:34:56 +0000"
    assert request_time(1428582897000) == "09/Apr/2015:12:34:57 +0000"
    assert request_time(1428582896500) == "09/Apr/2015:12:34:56 +0000"
    assert request_time(0) == "01/Jan/1970:00:00:00 +0000"
