"""All APIs of a template on one port, as ``sam local start-api`` serves them, and each path
served with its stage too, as AWS serves it: so links an app builds under its stage work.

aws-sam-cli serves every route of every API from one Flask app on ``--port``
(``LocalApiService.start``), keeps one route per path and method (``merge_routes``) and mounts
``$default`` behind the rest (``LocalApigwService.create``). Where two APIs' routes would take
the same request, lambgate gives the later one a port of its own instead, and says why.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambgate.local.cli.plan import ServeOptions, plan_template
from lambgate.local.gateway.shared_port import Collision, after_stage, first_collision
from lambgate.local.template.specs import ApiKind, RouteSpec

from .processes import still_alive
from .running_emulator import APPS, RunningEmulator

ROOT = Path(__file__).resolve().parents[2]


def route(key: str, *, kind: ApiKind = "http", api: str = "") -> RouteSpec:
    method, _, path = key.partition(" ") if key != "$default" else ("ANY", "", "$default")
    return RouteSpec(
        api_logical_id=api or ("Http" if kind == "http" else "Rest"),
        kind=kind,
        method=method,
        path=path,
        function="Fn",
        payload_format_version="2.0" if kind == "http" else "1.0",
        integration_timeout_ms=29_000,
    )


def rest(*keys: str) -> list[RouteSpec]:
    return [route(key, kind="rest") for key in keys]


def http(*keys: str) -> list[RouteSpec]:
    return [route(key) for key in keys]


# -- which APIs can share a port -------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "stage", "other", "other_stage", "request_both_take"),
    [
        # The repo's template: a REST proxy app and an HTTP API's catch-all.
        (http("$default"), "$default", rest("ANY /", "ANY /{proxy+}"), "prod", "GET /"),
        (http("$default"), "$default", rest("ANY /{proxy+}"), "prod", "GET /x"),
        (http("GET /users"), "$default", rest("ANY /{proxy+}"), "prod", "GET /users"),
        (http("GET /a/b"), "$default", http("GET /a/{x}"), "$default", "GET /a/b"),
        # REST serves /hello/ from /hello.
        (http("GET /hello/"), "$default", rest("GET /hello"), "prod", "GET /hello/"),
        # The stage's own form: /prod/items is the REST API's /items on stage prod.
        (http("GET /prod/{id}"), "$default", rest("GET /items"), "prod", "GET /prod/items"),
        (http("GET /{a}/{b}"), "$default", rest("GET /"), "prod", None),
        # Routes that never meet: other paths, other methods, the root under a REST proxy.
        (http("GET /orders"), "$default", rest("ANY /users", "ANY /users/{id}"), "prod", None),
        (http("POST /items"), "$default", rest("GET /items"), "prod", None),
        (http("GET /"), "$default", rest("ANY /{proxy+}"), "prod", None),
        (http("GET /a/{x}"), "$default", http("GET /a"), "$default", None),
        (http("GET /a/{x}"), "$default", http("GET /a/"), "$default", None),
        (http("GET /prod/{id}"), "$default", rest("GET /items"), "dev", None),
    ],
)
def test_apis_collide_when_one_request_could_reach_both(
    one: list[RouteSpec],
    stage: str,
    other: list[RouteSpec],
    other_stage: str,
    request_both_take: str | None,
) -> None:
    found = first_collision(one, stage, other, other_stage)
    assert (found and f"{found.method} {found.path}") == request_both_take


def test_the_collision_names_both_routes_and_the_request() -> None:
    found = first_collision(http("$default"), "$default", rest("ANY /{proxy+}"), "prod")
    assert found == Collision(
        route=route("$default"), other=route("ANY /{proxy+}", kind="rest"), method="GET", path="/x"
    )
    assert str(found) == "its $default and Rest's ANY /{proxy+} would both take GET /x"


@pytest.mark.parametrize(
    ("path", "stage", "rest_of_path"),
    [
        ("/prod/items", "prod", "/items"),
        ("/prod", "prod", "/"),
        ("/prod/", "prod", "/"),
        ("/production/items", "prod", None),
        ("/items", "prod", None),
        ("/$default/items", "$default", None),
    ],
)
def test_a_path_leads_with_the_stage_only_segment_for_segment(
    path: str, stage: str, rest_of_path: str | None
) -> None:
    assert after_stage(path, stage) == rest_of_path


# -- the port layout ---------------------------------------------------------------------------


def write_template(folder: Path, resources: str, *, globals_: str = "") -> Path:
    template = folder / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Globals:\n"
        "  Function:\n"
        f"    CodeUri: {APPS}\n"
        "    Runtime: python3.11\n"
        "    Handler: plain_handlers.echo\n"
        f"{textwrap.indent(textwrap.dedent(globals_), '  ')}"
        "Resources:\n" + textwrap.indent(textwrap.dedent(resources), "  ")
    )
    return template


#: A REST API on stage prod and an HTTP API whose routes never meet, and a function URL.
APART = """\
    Users:
      Type: AWS::Serverless::Function
      Properties:
        FunctionUrlConfig: {AuthType: NONE}
        Events:
          One: {Type: Api, Properties: {RestApiId: !Ref Rest, Path: "/users/{id}", Method: GET}}
          All: {Type: Api, Properties: {RestApiId: !Ref Rest, Path: /users, Method: ANY}}
    Orders:
      Type: AWS::Serverless::Function
      Properties:
        Events:
          Get: {Type: HttpApi, Properties: {Path: /orders, Method: GET}}
    Rest:
      Type: AWS::Serverless::Api
      Properties: {StageName: prod}
"""


def ports_of(options: ServeOptions) -> dict[tuple[str, ...], int]:
    return {front.names: front.port.number for front in plan_template(options).fronts}


def test_apis_whose_routes_never_meet_share_the_port(tmp_path: Path) -> None:
    template = write_template(tmp_path, APART)
    assert ports_of(ServeOptions(template=template, port=4000)) == {
        ("Rest", "ServerlessHttpApi"): 4000,
        ("Users URL",): 4100,
    }


def test_the_repo_template_shares_what_sam_local_serves_and_says_why_the_rest_moved() -> None:
    """sam local mounts HttpApi's $default behind RestApi's routes, where it never gets a
    request: lambgate keeps RestApi on --port, and HttpApi on a port of its own."""
    plan = plan_template(ServeOptions(template=ROOT / "template.yaml"))
    assert {front.names: front.port.number for front in plan.fronts} == {
        ("RestApi",): 3000,
        ("HttpApi",): 3002,  # 3001 is the Invoke API's
        ("FlaskFunction URL",): 3100,
        ("FastApiFunction URL",): 3101,  # README.md, "Streaming"
    }
    moved = plan.fronts[1].collision
    assert str(moved) == "its $default and RestApi's ANY / would both take GET /"


def test_an_api_with_a_default_route_yields_the_port_whatever_the_template_order(
    tmp_path: Path,
) -> None:
    template = write_template(
        tmp_path,
        """\
        Catch:
          Type: AWS::Serverless::Function
          Properties:
            Events:
              Any: {Type: HttpApi}
        Proxy:
          Type: AWS::Serverless::Function
          Properties:
            Events:
              Any: {Type: Api, Properties: {Path: "/{proxy+}", Method: ANY}}
        """,
    )
    assert ports_of(ServeOptions(template=template, port=4000)) == {
        ("ServerlessRestApi",): 4000,
        ("ServerlessHttpApi",): 4001,
    }


# -- requests on a shared port ---------------------------------------------------------------


@pytest.fixture
def serving() -> Iterator[list[RunningEmulator]]:
    started: list[RunningEmulator] = []
    yield started
    for running in started:
        assert not still_alive(running.stop()), "workers outlived the emulator"


def event_at(url: str) -> dict[str, Any]:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, response.text
    event: dict[str, Any] = response.json()["event"]
    return event


def test_one_port_serves_both_apis_with_and_without_the_stage(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    running = RunningEmulator(template=write_template(tmp_path, APART))
    serving.append(running)
    base = running.url("Rest")
    assert running.url("ServerlessHttpApi") == base
    # As on AWS (https://{id}.execute-api.{region}.amazonaws.com/prod/users/7): the stage in
    # requestContext.path only.
    aws = event_at(f"{base}/prod/users/7?x=1")
    assert (aws["path"], aws["resource"], aws["pathParameters"]) == (
        "/users/7",
        "/users/{id}",
        {"id": "7"},
    )
    assert (aws["requestContext"]["path"], aws["requestContext"]["stage"]) == (
        "/prod/users/7",
        "prod",
    )
    # As under sam local: the same route, the path as asked.
    local = event_at(f"{base}/users/7")
    assert (local["path"], local["requestContext"]["path"]) == ("/users/7", "/users/7")
    orders = event_at(f"{base}/orders")
    assert (orders["routeKey"], orders["rawPath"]) == ("GET /orders", "/orders")
    # A request neither API takes: REST's answer, as sam local gives it.
    nowhere = httpx.get(f"{base}/nowhere", timeout=30)
    assert (nowhere.status_code, nowhere.json()) == (
        403,
        {"message": "Missing Authentication Token"},
    )
    # Each API answers errors as its type does, on the shared port too.
    assert "x-amzn-requestid" in httpx.get(f"{base}/users", timeout=30).headers
    assert "apigw-requestid" in httpx.get(f"{base}/orders", timeout=30).headers
    running.log.wait_for("GET /prod/users/7?x=1 200")


def test_links_an_app_builds_under_its_stage_work_when_followed(
    serving: list[RunningEmulator],
) -> None:
    running = RunningEmulator(app="flask_hello:app", app_dir=APPS, format="rest")
    serving.append(running)
    base = running.url("ServerlessRestApi")
    # SAM's implicit REST API is on stage Prod: its URLs lead with /Prod.
    staged = httpx.get(f"{base}/Prod/hello/ada", timeout=30)
    assert staged.json() == {"hello": "ada", "self": f"{base}/Prod/hello/ada"}
    followed = httpx.get(staged.json()["self"], timeout=30)
    assert (followed.status_code, followed.json()) == (200, staged.json())
    # sam local's URL for the same route: the app sits at the root.
    assert httpx.get(f"{base}/hello/ada", timeout=30).json()["self"] == f"{base}/hello/ada"


@pytest.mark.parametrize("path", ["/Prod", "/Prod/"])
def test_the_stage_alone_is_the_apis_root(serving: list[RunningEmulator], path: str) -> None:
    running = RunningEmulator(app="plain_handlers:echo", app_dir=APPS, format="rest")
    serving.append(running)
    event = event_at(running.url("ServerlessRestApi") + path)
    assert (event["resource"], event["path"], event["pathParameters"]) == ("/", "/", None)
    assert event["requestContext"]["stage"] == "Prod"


def test_a_named_http_api_stage_leads_the_path_too(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    template = write_template(
        tmp_path,
        """\
        Items:
          Type: AWS::Serverless::Function
          Properties:
            Events:
              Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /items, Method: GET}}
        Api:
          Type: AWS::Serverless::HttpApi
          Properties: {StageName: dev}
        """,
    )
    running = RunningEmulator(template=template)
    serving.append(running)
    base = running.url("Api")
    for path in ("/dev/items", "/items"):
        event = event_at(base + path)
        # The local front's Host is not execute-api's, so the event is that of a custom
        # domain: the stage in requestContext.stage, not in rawPath.
        context = event["requestContext"]
        assert (event["routeKey"], event["rawPath"], context["stage"]) == (
            "GET /items",
            "/items",
            "dev",
        )


# -- a route that begins with the stage name ---------------------------------------------------

STAGE_NAMED_ROUTE = """\
    Report:
      Type: AWS::Serverless::Function
      Properties:
        Events:
          Get: {Type: Api, Properties: {RestApiId: !Ref Rest, Path: /prod/report, Method: GET}}
    Rest:
      Type: AWS::Serverless::Api
      Properties: {StageName: prod}
"""
PROXY = """\
    Proxy:
      Type: AWS::Serverless::Function
      Properties:
        Events:
          Any: {Type: Api, Properties: {RestApiId: !Ref Rest, Path: "/{proxy+}", Method: ANY}}
"""


def reached(base: str, path: str) -> tuple[str, str, str]:
    """The function a path reaches, and the event's path and requestContext.path."""
    response = httpx.get(base + path, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    event = body["event"]
    return body["function_name"], event["path"], event["requestContext"]["path"]


def test_a_stage_named_route_is_read_stage_first_as_aws_does(
    serving: list[RunningEmulator], tmp_path: Path
) -> None:
    """The rule: a leading stage segment is the stage; only a path that leaves unrouted is
    matched whole, as sam local does. AWS's URL of a route always works."""
    alone = tmp_path / "alone"
    alone.mkdir()
    running = RunningEmulator(template=write_template(alone, STAGE_NAMED_ROUTE))
    serving.append(running)
    base = running.url("Rest")
    assert reached(base, "/prod/prod/report") == ("Report", "/prod/report", "/prod/prod/report")
    # Nothing takes /report: the path is the route's own, as under sam local.
    assert reached(base, "/prod/report") == ("Report", "/prod/report", "/prod/report")
    assert any(
        "route /prod/report begins with the stage name" in w for w in running.emulator.plan.warnings
    )

    with_proxy = tmp_path / "proxy"
    with_proxy.mkdir()
    running = RunningEmulator(template=write_template(with_proxy, STAGE_NAMED_ROUTE + PROXY))
    serving.append(running)
    base = running.url("Rest")
    assert reached(base, "/prod/prod/report") == ("Report", "/prod/report", "/prod/prod/report")
    # The proxy takes /report, so AWS's reading wins: the stage, then /report.
    assert reached(base, "/prod/report") == ("Proxy", "/report", "/prod/report")
    assert reached(base, "/report") == ("Proxy", "/report", "/report")
