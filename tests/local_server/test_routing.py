"""API Gateway route selection and its no-route answers.

Priority tables come from the AWS HTTP API routing page
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html,
"Routing API requests") and, for REST, from measurements published in
ministackorg/ministack#1423.
"""

from __future__ import annotations

import json

import pytest

from lambgate.local.gateway.answers import GatewayAnswer, no_route_answer
from lambgate.local.gateway.route_matching import RouteMatch, Router
from lambgate.local.template.specs import ApiKind, RouteSpec


def route(
    key: str, function: str = "", *, kind: ApiKind = "http", api: str | None = None
) -> RouteSpec:
    """A route from its route key: ``"GET /items/{id}"`` or ``"$default"``."""
    method, _, path = key.partition(" ") if key != "$default" else ("ANY", "", "$default")
    return RouteSpec(
        api_logical_id=api or ("ServerlessHttpApi" if kind == "http" else "ServerlessRestApi"),
        kind=kind,
        method=method,
        path=path,
        function=function or key,
        payload_format_version="2.0" if kind == "http" else "1.0",
        integration_timeout_ms=30_000 if kind == "http" else 29_000,
    )


def chosen(router: Router, method: str, path: str, scope: str | None = None) -> str | None:
    found = router.match(scope, method, path)
    return None if found is None else found.route.function


# The AWS page's example API, plus an exact route to show literal beats {param}.
AWS_EXAMPLE = Router(
    [
        route("GET /pets/dog/1"),
        route("GET /pets/dog/{id}"),
        route("GET /pets/{proxy+}"),
        route("ANY /{proxy+}"),
        route("$default"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/pets/dog/1", "GET /pets/dog/1"),  # exact beats {param}
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}"),  # "The request fully matches this route."
        ("GET", "/pets/cat/1", "GET /pets/{proxy+}"),  # greedy with the method named
        ("POST", "/test/5", "ANY /{proxy+}"),  # "ANY matches all methods ... not defined"
        ("POST", "/pets/dog/1", "ANY /{proxy+}"),  # GET routes do not take POST
        ("DELETE", "/pets/a/b/c/d", "ANY /{proxy+}"),  # greedy spans segments
    ],
)
def test_aws_routing_priority_table(method: str, path: str, expected: str) -> None:
    assert chosen(AWS_EXAMPLE, method, path) == expected


def test_default_route_catches_what_no_other_route_takes() -> None:
    router = Router([route("GET /pets/{id}"), route("$default")])

    assert chosen(router, "GET", "/pets/7") == "GET /pets/{id}"
    assert chosen(router, "GET", "/pets") == "$default"
    assert chosen(router, "POST", "/pets/7") == "$default"
    assert router.match(None, "GET", "/anything") == RouteMatch(
        route=route("$default"), path_parameters=None, resource="$default", route_key="$default"
    )


def test_named_method_beats_any_on_the_same_path_and_any_takes_every_method() -> None:
    router = Router([route("ANY /items", "any"), route("GET /items", "get")])

    assert chosen(router, "GET", "/items") == "get"
    for method in ("POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
        assert chosen(router, method, "/items") == "any"


def test_longer_greedy_prefix_wins_and_full_match_beats_any_greedy() -> None:
    router = Router(
        [route("ANY /{proxy+}", "root"), route("ANY /api/{proxy+}", "api"), route("GET /{a}/b")]
    )

    assert chosen(router, "GET", "/api/x/y") == "api"
    assert chosen(router, "GET", "/other/x") == "root"
    # A full match without a greedy variable is priority 1 on the AWS page.
    assert chosen(router, "GET", "/api/b") == "GET /{a}/b"


def test_match_reports_parameters_resource_and_route_key() -> None:
    router = Router([route("GET /items/{id}/parts/{part}"), route("ANY /files/{proxy+}")])

    assert router.match(None, "get", "/items/42/parts/wheel") == RouteMatch(
        route=route("GET /items/{id}/parts/{part}"),
        path_parameters={"id": "42", "part": "wheel"},
        resource="/items/{id}/parts/{part}",
        route_key="GET /items/{id}/parts/{part}",
    )
    found = router.match(None, "PUT", "/files/a/b.txt")
    assert found is not None
    assert (found.path_parameters, found.route_key) == ({"proxy": "a/b.txt"}, "ANY /files/{proxy+}")


def test_route_without_variables_has_null_path_parameters() -> None:
    found = Router([route("GET /health")]).match(None, "GET", "/health")

    assert found is not None and found.path_parameters is None


def test_http_api_decodes_path_parameters_rest_keeps_them_encoded() -> None:
    # Live captures (hotsock/voker#8): for /capture/space%20value REST sends
    # pathParameters.proxy "capture/space%20value"; HTTP APIs deliver the path decoded.
    rest = Router([route("ANY /{proxy+}", kind="rest")])
    http = Router([route("ANY /{proxy+}")])

    rest_match = rest.match(None, "GET", "/capture/space%20value")
    http_match = http.match(None, "GET", "/capture/space%20value")
    assert rest_match is not None and http_match is not None
    assert rest_match.path_parameters == {"proxy": "capture/space%20value"}
    assert http_match.path_parameters == {"proxy": "capture/space value"}


def test_rest_verb_not_declared_on_the_resource_falls_through_to_proxy() -> None:
    # ministack#1423, measured on API Gateway: routing is on the resource *and* method pair.
    router = Router(
        [
            route("ANY /{proxy+}", "proxy", kind="rest"),
            route("GET /jobs/{operation_type}", "jobs-op", kind="rest"),
        ]
    )

    assert chosen(router, "GET", "/jobs/reboot") == "jobs-op"
    assert chosen(router, "POST", "/jobs/reboot") == "proxy"
    assert chosen(router, "GET", "/jobs") == "proxy"


def test_rest_ignores_one_trailing_slash_http_api_does_not() -> None:
    # REST serves /hello/ from /hello (aws/chalice#65, powertools-lambda-python#1552).
    assert chosen(Router([route("GET /hello", kind="rest")]), "GET", "/hello/") == "GET /hello"
    assert chosen(Router([route("GET /hello")]), "GET", "/hello/") is None


def test_empty_segment_never_fills_a_variable() -> None:
    # aws/chalice#588: "/resource/" does not match "/resource/{name}".
    router = Router([route("GET /resource/{name}")])

    assert chosen(router, "GET", "/resource/") is None
    assert chosen(router, "GET", "/resource/bob") == "GET /resource/{name}"


def test_rest_proxy_does_not_catch_the_root() -> None:
    # The root resource needs its own method: /{proxy+} needs something to be greedy about.
    router = Router([route("ANY /{proxy+}", kind="rest")])

    assert chosen(router, "GET", "/") is None
    assert chosen(Router([route("ANY /", kind="rest")]), "GET", "/") == "ANY /"


def test_methods_compare_case_insensitively_paths_do_not() -> None:
    router = Router([route("GET /Items")])

    assert chosen(router, "get", "/Items") == "GET /Items"
    assert chosen(router, "GET", "/items") is None


def test_scope_selects_an_api_kind_or_one_api() -> None:
    router = Router(
        [
            route("GET /a", "rest-a", kind="rest", api="Rest"),
            route("GET /a", "http-a", api="Http"),
            route("GET /b", "http-b", api="Other"),
        ]
    )

    assert chosen(router, "GET", "/a") == "rest-a"  # template order at the shared root
    assert chosen(router, "GET", "/a", scope="http") == "http-a"
    assert chosen(router, "GET", "/a", scope="Http") == "http-a"
    assert chosen(router, "GET", "/b", scope="Http") is None


# ------------------------------------------------------------------------ no-route answers


def test_rest_no_route_answer_is_403_missing_authentication_token() -> None:
    # https://repost.aws/knowledge-center/api-gateway-authentication-token-errors; real
    # responses carry content-length 42 and x-amzn-ErrorType: MissingAuthenticationTokenException.
    answer = no_route_answer("rest")

    assert answer == GatewayAnswer(
        status=403,
        headers=(
            ("content-type", "application/json"),
            ("x-amzn-errortype", "MissingAuthenticationTokenException"),
        ),
        body=b'{"message":"Missing Authentication Token"}',
    )
    assert len(answer.body) == 42


def test_http_api_no_route_answer_is_404_not_found() -> None:
    # "If no routes match a request, API Gateway returns {"message":"Not Found"}".
    answer = no_route_answer("http")

    assert answer == GatewayAnswer(
        status=404, headers=(("content-type", "application/json"),), body=b'{"message":"Not Found"}'
    )
    assert json.loads(answer.body) == {"message": "Not Found"}


def test_router_no_route_follows_the_kind_of_the_routes_in_scope() -> None:
    mixed = Router([route("GET /a", kind="rest"), route("GET /b")])

    assert Router([route("GET /b")]).no_route(None).status == 404
    assert Router([route("GET /a", kind="rest")]).no_route(None).status == 403
    assert mixed.no_route(None).status == 403
    assert mixed.no_route("http").status == 404
    assert mixed.no_route("ServerlessHttpApi").status == 404
