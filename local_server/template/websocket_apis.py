"""WebSocket APIs, read into ``WebSocketApiSpec``: SAM's and CloudFormation's two spellings.

``AWS::Serverless::WebSocketApi`` names each route's function under ``Routes`` (route key →
``FunctionArn``); the plain ``AWS::ApiGatewayV2::Api`` with ``ProtocolType: WEBSOCKET`` has
separate ``Route``, ``Integration`` and ``Stage`` resources that name it by ``ApiId``. Both
become the same spec. What would decide who may connect (authorizers, API keys) or change what
a client receives (two-way routes, request validation) is a ``TemplateError``.

Sources: the SAM resource AWS::Serverless::WebSocketApi
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-websocketapi.html),
"Working with routes for WebSocket APIs in API Gateway"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html)
and the integration timeout range, 50 ms to 29 s
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from .apis import text_map
from .intrinsics import IntrinsicResolver
from .properties import WEBSOCKET_API, WEBSOCKET_API_ROUTE, check_properties
from .specs import TemplateError, WebSocketApiSpec, WebSocketRouteSpec
from .values import describe_value

__all__ = [
    "MAX_WEBSOCKET_INTEGRATION_TIMEOUT_MS",
    "SELECTION_VARIABLE",
    "gateway_v2_websocket_apis",
    "serverless_websocket_api",
    "websocket_resource_ids",
]

MAX_WEBSOCKET_INTEGRATION_TIMEOUT_MS = 29_000
#: SAM's stage when ``StageName`` is not given (``websocket_api_generator.DefaultStageName``):
#: not ``$default``, which a WebSocket API's ``$default`` route would be confused with.
_SAM_DEFAULT_STAGE = "default"
#: A variable of a route selection expression: ``$request.body.action`` or, wrapped to sit in
#: static text, ``${request.body.action}`` ("WebSocket selection expressions":
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html);
#: group ``wrapped`` or ``bare`` is the JSON path after ``request.body``.
SELECTION_VARIABLE = re.compile(
    r"\$\{request\.body(?P<wrapped>(?:\.[A-Za-z0-9_-]+)+)\}"
    r"|\$request\.body(?P<bare>(?:\.[A-Za-z0-9_-]+)+)"
)
#: A Lambda proxy integration's URI, whose middle is the function's ARN.
_LAMBDA_INTEGRATION_URI = re.compile(
    r"arn:[^:]+:apigateway:[^:]*:lambda:path/[^/]+/functions/(.+)/invocations"
)
#: ``arn:aws:lambda:REGION:ACCOUNT:function:NAME`` with an optional ``:ALIAS``.
_FUNCTION_ARN = re.compile(r"arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?")

_V2_TYPES = ("AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Integration")


def serverless_websocket_api(
    logical_id: str,
    raw: Mapping[str, Any],
    *,
    resolver: IntrinsicResolver,
    functions: Collection[str],
) -> WebSocketApiSpec:
    """An ``AWS::Serverless::WebSocketApi``; ``functions`` are the template's function ids."""
    location = f"Resources.{logical_id}.Properties"
    check_properties(raw, location, WEBSOCKET_API)
    for required in ("Routes", "RouteSelectionExpression"):
        if required not in raw:
            raise TemplateError(f"{location}.{required}", "required for a WebSocketApi")
    stage = _SAM_DEFAULT_STAGE
    if "StageName" in raw:
        stage = resolver.text(raw["StageName"], f"{location}.StageName")
    routes_value = resolver.resolve(raw["Routes"], f"{location}.Routes")
    if not isinstance(routes_value, dict) or not routes_value:
        raise TemplateError(f"{location}.Routes", "expected a mapping of route keys to routes")
    routes = []
    for route_key, route in routes_value.items():
        where = f"{location}.Routes.{route_key}"
        if not isinstance(route, dict):
            raise TemplateError(where, f"expected a mapping, found {describe_value(route)}")
        check_properties(route, where, WEBSOCKET_API_ROUTE)
        if "FunctionArn" not in route:
            raise TemplateError(f"{where}.FunctionArn", "required for a WebSocketApi route")
        timeout = MAX_WEBSOCKET_INTEGRATION_TIMEOUT_MS
        if "IntegrationTimeout" in route:
            timeout = resolver.whole_number(
                route["IntegrationTimeout"],
                f"{where}.IntegrationTimeout",
                50,
                MAX_WEBSOCKET_INTEGRATION_TIMEOUT_MS,
            )
        routes.append(
            WebSocketRouteSpec(
                route_key=str(route_key),
                function=_function_of_arn(
                    resolver.text(route["FunctionArn"], f"{where}.FunctionArn"),
                    f"{where}.FunctionArn",
                    functions,
                ),
                integration_timeout_ms=timeout,
            )
        )
    return WebSocketApiSpec(
        logical_id=logical_id,
        stage_name=stage,
        route_selection_expression=_selection_expression(
            resolver.text(raw["RouteSelectionExpression"], f"{location}.RouteSelectionExpression"),
            f"{location}.RouteSelectionExpression",
        ),
        routes=tuple(routes),
        stage_variables=text_map(resolver, raw.get("StageVariables"), f"{location}.StageVariables"),
    )


def websocket_resource_ids(
    resources: Mapping[str, Any], resolver: IntrinsicResolver
) -> frozenset[str]:
    """The ``AWS::ApiGatewayV2`` Api, Route and Integration resources of WebSocket APIs: the
    loader serves them instead of refusing them as it does an HTTP API's."""
    apis = {
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::ApiGatewayV2::Api"
        and _properties(logical_id, resource).get("ProtocolType") == "WEBSOCKET"
    }
    members = set(apis)
    for logical_id, resource in resources.items():
        if resource["Type"] in _V2_TYPES:
            properties = _properties(logical_id, resource)
            if "ApiId" in properties:
                where = f"Resources.{logical_id}.Properties.ApiId"
                if resolver.resolve(properties["ApiId"], where) in apis:
                    members.add(logical_id)
    return frozenset(members)


def gateway_v2_websocket_apis(
    resources: Mapping[str, Any],
    *,
    resolver: IntrinsicResolver,
    present: Callable[[str, Mapping[str, Any]], bool],
    functions: Collection[str],
) -> dict[str, WebSocketApiSpec]:
    """Each ``AWS::ApiGatewayV2::Api`` with ``ProtocolType: WEBSOCKET``, with the routes,
    integrations and stage that name it."""
    ids = websocket_resource_ids(resources, resolver)

    def of_type(resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: _properties(logical_id, resource)
            for logical_id, resource in resources.items()
            if resource["Type"] == resource_type and present(logical_id, resource)
        }

    apis = {k: v for k, v in of_type("AWS::ApiGatewayV2::Api").items() if k in ids}
    integrations = of_type("AWS::ApiGatewayV2::Integration")
    stages: dict[str, list[tuple[str, dict[str, Any]]]] = {api: [] for api in apis}
    for logical_id, properties in of_type("AWS::ApiGatewayV2::Stage").items():
        api = resolver.resolve(properties.get("ApiId"), f"Resources.{logical_id}.Properties.ApiId")
        if api in stages:
            stages[api].append((logical_id, properties))
    routes: dict[str, dict[str, WebSocketRouteSpec]] = {api: {} for api in apis}
    for logical_id, properties in of_type("AWS::ApiGatewayV2::Route").items():
        location = f"Resources.{logical_id}.Properties"
        api = resolver.resolve(properties.get("ApiId"), f"{location}.ApiId")
        if api not in apis:
            continue
        route = _v2_route(logical_id, properties, resolver, integrations, functions)
        if route.route_key in routes[api]:
            raise TemplateError(
                f"{location}.RouteKey", f"{route.route_key} is already a route of {api}"
            )
        routes[api][route.route_key] = route

    specs = {}
    for api, properties in apis.items():
        location = f"Resources.{api}.Properties"
        if "RouteSelectionExpression" not in properties:
            raise TemplateError(
                f"{location}.RouteSelectionExpression", "required for a WebSocket API"
            )
        if len(stages[api]) != 1:
            raise TemplateError(
                f"Resources.{api}",
                "a WebSocket API is reached through one AWS::ApiGatewayV2::Stage naming it in "
                f"ApiId; found {len(stages[api])}",
            )
        stage_id, stage = stages[api][0]
        stage_location = f"Resources.{stage_id}.Properties"
        if "StageName" not in stage:
            raise TemplateError(f"{stage_location}.StageName", "required for a Stage")
        specs[api] = WebSocketApiSpec(
            logical_id=api,
            stage_name=resolver.text(stage["StageName"], f"{stage_location}.StageName"),
            route_selection_expression=_selection_expression(
                resolver.text(
                    properties["RouteSelectionExpression"],
                    f"{location}.RouteSelectionExpression",
                ),
                f"{location}.RouteSelectionExpression",
            ),
            routes=tuple(routes[api].values()),
            stage_variables=text_map(
                resolver, stage.get("StageVariables"), f"{stage_location}.StageVariables"
            ),
        )
    return specs


def _v2_route(
    logical_id: str,
    properties: Mapping[str, Any],
    resolver: IntrinsicResolver,
    integrations: Mapping[str, Mapping[str, Any]],
    functions: Collection[str],
) -> WebSocketRouteSpec:
    """A Route whose ``Target`` is ``integrations/{IntegrationId}`` of a Lambda proxy."""
    location = f"Resources.{logical_id}.Properties"
    for refused in ("AuthorizationType", "AuthorizerId"):
        if resolver.resolve(properties.get(refused, "NONE"), f"{location}.{refused}") != "NONE":
            raise TemplateError(f"{location}.{refused}", "authorizers are not emulated")
    if resolver.resolve(properties.get("ApiKeyRequired", False), f"{location}.ApiKeyRequired"):
        raise TemplateError(f"{location}.ApiKeyRequired", "API keys are not emulated")
    if "RouteKey" not in properties:
        raise TemplateError(f"{location}.RouteKey", "required for a Route")
    route_key = resolver.text(properties["RouteKey"], f"{location}.RouteKey")
    if "Target" not in properties:
        raise TemplateError(f"{location}.Target", "a route without a Target invokes nothing")
    target = resolver.text(properties["Target"], f"{location}.Target")
    integration_id = target.removeprefix("integrations/")
    integration = integrations.get(integration_id)
    if not target.startswith("integrations/") or integration is None:
        raise TemplateError(
            f"{location}.Target",
            f"{target!r} is not integrations/ followed by an AWS::ApiGatewayV2::Integration",
        )
    where = f"Resources.{integration_id}.Properties"
    kind = resolver.resolve(integration.get("IntegrationType"), f"{where}.IntegrationType")
    if kind != "AWS_PROXY":
        raise TemplateError(
            f"{where}.IntegrationType",
            f"only AWS_PROXY (a Lambda function) is emulated, not {kind}",
        )
    uri = resolver.text(integration.get("IntegrationUri"), f"{where}.IntegrationUri")
    proxied = _LAMBDA_INTEGRATION_URI.fullmatch(uri)
    timeout = MAX_WEBSOCKET_INTEGRATION_TIMEOUT_MS
    if "TimeoutInMillis" in integration:
        timeout = resolver.whole_number(
            integration["TimeoutInMillis"],
            f"{where}.TimeoutInMillis",
            50,
            MAX_WEBSOCKET_INTEGRATION_TIMEOUT_MS,
        )
    return WebSocketRouteSpec(
        route_key=route_key,
        function=_function_of_arn(
            proxied.group(1) if proxied else uri, f"{where}.IntegrationUri", functions
        ),
        integration_timeout_ms=timeout,
    )


def _function_of_arn(text: str, location: str, functions: Collection[str]) -> str:
    """The template's function a Lambda ARN (or a ``Ref``'s logical id) names."""
    match = _FUNCTION_ARN.fullmatch(text)
    name = match.group(1) if match else text
    if name not in functions:
        raise TemplateError(
            location, f"{text!r} is not an AWS::Serverless::Function of this template"
        )
    return name


def _selection_expression(text: str, location: str) -> str:
    """A WebSocket API's expressions read only the message body: ``$request.body.{path}``."""
    # ``\\$`` is a literal ``$`` ("\\$default" selects ``$default`` for every message).
    if "$" in SELECTION_VARIABLE.sub("", text).replace("\\$", ""):
        raise TemplateError(
            location,
            f"{text!r} is not a route selection expression of a WebSocket API "
            "($request.body. followed by a JSON property path, e.g. $request.body.action)",
        )
    return text


def _properties(logical_id: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    properties = resource.get("Properties") or {}
    if not isinstance(properties, dict):
        raise TemplateError(f"Resources.{logical_id}.Properties", "expected a mapping")
    return properties
