"""``Api`` and ``HttpApi`` events, read into the routes API Gateway would serve.

An event names its API, or makes SAM's implicit one; a path or method API Gateway would refuse,
or a second route for the same method and path, is a ``TemplateError`` where it is declared.
Other event types (SQS, Schedule, ...) are not HTTP and are listed as warnings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .apis import http_api, rest_api
from .intrinsics import IntrinsicResolver
from .properties import API_EVENT, HTTP_API_EVENT, check_properties
from .resources import IMPLICIT_HTTP_API, IMPLICIT_REST_API
from .specs import DEFAULT_ROUTE_PATH, ApiKind, ApiSpec, RouteSpec, TemplateError

__all__ = ["MAX_INTEGRATION_TIMEOUT_MS", "MAX_STREAMING_TIMEOUT_MS", "RouteCollector"]

_REST_METHODS = frozenset({"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})

#: The longest integration timeout, in ms, and each route's default: REST 50 ms to 29 s
#: (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html),
#: HTTP APIs up to 30 s (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
MAX_INTEGRATION_TIMEOUT_MS: dict[ApiKind, int] = {"rest": 29_000, "http": 30_000}
#: A streaming REST route's integration timeout may be up to 15 minutes: "When you use response
#: streaming, you can configure the integration timeout up to 15 minutes"
#: (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html).
MAX_STREAMING_TIMEOUT_MS = 900_000

_PATH_VARIABLE = re.compile(r"\{[A-Za-z0-9._-]+\+?\}")


@dataclass
class RouteCollector:
    """Gathers the routes of every function's events, and the APIs they are served on."""

    resolver: IntrinsicResolver
    #: The template's ``Globals``, for the implicit APIs made here.
    globals: Mapping[str, Any]
    warnings: list[str]
    apis: dict[str, ApiSpec] = field(default_factory=dict)
    routes: list[RouteSpec] = field(default_factory=list)
    route_origins: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def add_event(self, function: str, name: str, event: Any, location: str) -> None:
        if not isinstance(event, dict) or "Type" not in event:
            raise TemplateError(location, "an event needs a Type")
        event_type = event["Type"]
        properties = event.get("Properties") or {}
        if not isinstance(properties, dict):
            raise TemplateError(f"{location}.Properties", "expected a mapping")
        location = f"{location}.Properties"
        if event_type == "Api":
            self._rest_route(function, name, properties, location)
        elif event_type == "HttpApi":
            self._http_route(function, name, properties, location)
        else:
            self.warnings.append(
                f"{location.rsplit('.', 1)[0]}: {event_type} events are not HTTP and are not "
                "emulated; the function is reachable through the Invoke API only"
            )

    def _rest_route(self, function: str, name: str, properties: dict[str, Any], where: str) -> None:
        check_properties(properties, where, API_EVENT)
        api_id = self._api_reference(properties.get("RestApiId"), f"{where}.RestApiId", "rest")
        _check_event_auth(properties.get("Auth"), f"{where}.Auth", self.resolver)
        model = self.resolver.resolve(properties.get("RequestModel") or {}, f"{where}.RequestModel")
        if isinstance(model, dict) and (
            model.get("ValidateBody") or model.get("ValidateParameters")
        ):
            raise TemplateError(f"{where}.RequestModel", "request validation is not emulated")
        for required in ("Path", "Method"):
            if required not in properties:
                raise TemplateError(f"{where}.{required}", "required for Api events")
        method = self.resolver.text(properties["Method"], f"{where}.Method").upper()
        if method not in _REST_METHODS:
            raise TemplateError(f"{where}.Method", f"{method} is not an API Gateway method")
        path = _route_path(self.resolver.text(properties["Path"], f"{where}.Path"), f"{where}.Path")
        streaming = False
        if "ResponseTransferMode" in properties:
            # SAM's value; its translator writes the integration's responseTransferMode STREAM
            # and the response-streaming-invocations URI (aws/serverless-application-model#3881).
            mode = self.resolver.text(
                properties["ResponseTransferMode"], f"{where}.ResponseTransferMode"
            )
            if mode not in ("BUFFERED", "RESPONSE_STREAM"):
                raise TemplateError(
                    f"{where}.ResponseTransferMode",
                    f"expected BUFFERED or RESPONSE_STREAM, got {mode!r}",
                )
            streaming = mode == "RESPONSE_STREAM"
        self._add_route(
            RouteSpec(
                api_logical_id=api_id,
                kind="rest",
                method=method,
                path=path,
                function=function,
                payload_format_version="1.0",
                integration_timeout_ms=self._timeout(
                    properties, where, "rest-stream" if streaming else "rest"
                ),
                event=name,
                streaming=streaming,
            ),
            where,
        )

    def _http_route(self, function: str, name: str, properties: dict[str, Any], where: str) -> None:
        check_properties(properties, where, HTTP_API_EVENT)
        api_id = self._api_reference(properties.get("ApiId"), f"{where}.ApiId", "http")
        _check_event_auth(properties.get("Auth"), f"{where}.Auth", self.resolver)
        # With neither Path nor Method, SAM makes the API's ``$default`` route
        # (AWS::Serverless::Function HttpApi event, "Method" and "Path").
        method = "ANY"
        if "Method" in properties:
            method = self.resolver.text(properties["Method"], f"{where}.Method").upper()
            if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
                method = "ANY"
            if method not in _REST_METHODS:
                raise TemplateError(f"{where}.Method", f"{method} is not an HTTP API method")
        if "Path" in properties:
            path_text = self.resolver.text(properties["Path"], f"{where}.Path")
            path = path_text if path_text == DEFAULT_ROUTE_PATH else _route_path(path_text, where)
        elif method == "ANY":
            path = DEFAULT_ROUTE_PATH
        else:
            raise TemplateError(f"{where}.Path", f"required with Method {method}")
        version = "2.0"
        if "PayloadFormatVersion" in properties:
            value = self.resolver.resolve(
                properties["PayloadFormatVersion"], f"{where}.PayloadFormatVersion"
            )
            # Unquoted ``1.0`` arrives from YAML as a float.
            version = f"{value:.1f}" if isinstance(value, float) else str(value)
            if version not in ("1.0", "2.0"):
                raise TemplateError(f"{where}.PayloadFormatVersion", "expected 1.0 or 2.0")
        self._add_route(
            RouteSpec(
                api_logical_id=api_id,
                kind="http",
                method=method,
                path=path,
                function=function,
                payload_format_version=version,
                integration_timeout_ms=self._timeout(properties, where, "http"),
                event=name,
            ),
            where,
        )

    def _api_reference(self, value: Any, location: str, kind: ApiKind) -> str:
        implicit = IMPLICIT_REST_API if kind == "rest" else IMPLICIT_HTTP_API
        if value is None:
            if implicit not in self.apis:
                build, section = (rest_api, "Api") if kind == "rest" else (http_api, "HttpApi")
                self.apis[implicit] = build(
                    implicit,
                    {},
                    resolver=self.resolver,
                    global_properties=self.globals.get(section),
                    implicit=True,
                )
            return implicit
        # SAM takes a logical id or a Ref to one; a Ref resolves to the logical id here.
        api_id = self.resolver.text(value, location)
        api = self.apis.get(api_id)
        wanted = "AWS::Serverless::Api" if kind == "rest" else "AWS::Serverless::HttpApi"
        if api is None or api.kind != kind:
            raise TemplateError(location, f"{api_id} is not an {wanted} in this template")
        return api_id

    def _timeout(
        self, properties: Mapping[str, Any], where: str, kind: ApiKind | Literal["rest-stream"]
    ) -> int:
        default = MAX_INTEGRATION_TIMEOUT_MS["rest" if kind == "rest-stream" else kind]
        limit = MAX_STREAMING_TIMEOUT_MS if kind == "rest-stream" else default
        if "TimeoutInMillis" not in properties:
            return default
        return self.resolver.whole_number(
            properties["TimeoutInMillis"], f"{where}.TimeoutInMillis", 50, limit
        )

    def _add_route(self, route: RouteSpec, where: str) -> None:
        key = (route.api_logical_id, route.method, route.path)
        if key in self.route_origins:
            raise TemplateError(
                where,
                f"{route.method} {route.path} on {route.api_logical_id} is already served by "
                f"{self.route_origins[key]}",
            )
        self.route_origins[key] = where
        self.routes.append(route)


def _route_path(path: str, location: str) -> str:
    """A route path as API Gateway accepts it: ``/``, literals, ``{name}``, a last ``{name+}``."""
    if not path.startswith("/"):
        raise TemplateError(location, f"{path!r} must start with /")
    if path == "/":
        return path
    segments = path[1:].split("/")
    for index, segment in enumerate(segments):
        if not segment:
            raise TemplateError(location, f"{path!r} has an empty segment or a trailing /")
        if "{" in segment or "}" in segment:
            if not _PATH_VARIABLE.fullmatch(segment):
                raise TemplateError(location, f"{segment!r} is not a {{name}} variable")
            if segment.endswith("+}") and index != len(segments) - 1:
                raise TemplateError(location, "a greedy {name+} variable must come last")
    return path


def _check_event_auth(value: Any, location: str, resolver: IntrinsicResolver) -> None:
    if value is None:
        return
    auth = resolver.resolve(value, location)
    if not isinstance(auth, dict):
        raise TemplateError(location, "expected a mapping")
    if auth.get("Authorizer") not in (None, "NONE"):
        raise TemplateError(f"{location}.Authorizer", "authorizers are not emulated")
    if auth.get("ApiKeyRequired"):
        raise TemplateError(f"{location}.ApiKeyRequired", "API keys are not emulated")
    if auth.get("ResourcePolicy"):
        raise TemplateError(f"{location}.ResourcePolicy", "resource policies are not emulated")
