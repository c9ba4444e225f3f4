"""Which function a request goes to, and what its event says about the way it went.

A front's resolver turns a request into a :class:`Destination` (the function, the event
source, the gateway's facts for the event, the integration timeout), or into the answer the
front gives on its own: :class:`ApiRoutes` for REST and HTTP APIs (route matching in
:mod:`.route_matching`), :class:`SingleFunction` for function URLs and ALB targets.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from lambgate.events import EventSource, GatewayContext, get_source
from lambgate.local.template.specs import DEFAULT_ROUTE_PATH, ApiKind, ApiSpec, RouteSpec
from lambgate.model import Request

from .answers import BAD_REQUEST, FrontKind, GatewayAnswer, no_route_answer
from .route_matching import RouteMatch, Router
from .shared_port import after_stage

__all__ = ["ApiRoutes", "Destination", "DestinationResolver", "SingleFunction", "stable_id"]

#: A "%" that does not start a percent-escape.
_UNDECODABLE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def stable_id(name: str, length: int) -> str:
    """A lower-case id derived from ``name``: an API's id stays the same between runs."""
    digest = uuid.uuid5(uuid.NAMESPACE_URL, f"lambgate:{name}").hex
    return (digest * 2)[:length]


@dataclass(slots=True, kw_only=True)
class Destination:
    """Where a request goes, and what the event says about the way it went.

    Treated as immutable, though not ``frozen``: one is built for every request (see
    :class:`~lambgate.local.lambda_service.function.InvocationResult`).
    """

    function: str
    source: EventSource
    invocation: GatewayContext
    #: Seconds the front waits for the function; ``None``: as long as the function runs.
    integration_timeout: float | None
    #: How the route is named in log lines (``GET /items/{id}``, ``$default``).
    route: str
    #: The front whose answers the client gets: the API's type, or the function URL or ALB.
    kind: FrontKind
    #: The stage the request's path led with (``/prod``): the route is matched, and the
    #: event built, from what follows it.
    stage_prefix: str = ""
    #: Where the event shows the app mounted (REST: the stage prefix), so that the links it
    #: builds carry it.
    root_path: str = ""
    #: The front invokes with ``InvokeWithResponseStream`` and relays the function's chunks as
    #: they come: a function URL in ``RESPONSE_STREAM`` mode, a REST route in ``STREAM`` mode.
    streaming: bool = False


class DestinationResolver(Protocol):
    """Finds the :class:`Destination` of a request, or the front's own answer."""

    kind: FrontKind

    def resolve(
        self,
        request: Request,
        *,
        request_id: str,
        epoch_ms: int,
        header_spellings: Mapping[str, str] | None = None,
    ) -> Destination | GatewayAnswer: ...


#: The event source of a route, by API type and payload format version.
_ROUTE_SOURCES: dict[tuple[str, str], str] = {
    ("rest", "1.0"): "rest",
    ("http", "1.0"): "http-v1",
    ("http", "2.0"): "http",
}


class ApiRoutes:
    """The REST and HTTP APIs served on one port: ``sam local start-api``'s shared root, each
    path read stage first, as AWS reads its URLs (:mod:`.shared_port`).

    The APIs are ones no request can reach two of (:func:`.shared_port.first_collision`), so
    the order they are tried in never decides where a request goes.
    """

    def __init__(self, apis: Sequence[ApiSpec], routes: Sequence[RouteSpec]) -> None:
        self.apis = tuple(apis)
        self._served = tuple(_ServedApi(api, routes) for api in self.apis)
        #: Whose answer a request no route takes gets: an HTTP API's only if all are HTTP APIs.
        self.api_kind: ApiKind = "http" if all(api.kind == "http" for api in self.apis) else "rest"
        self.kind: FrontKind = self.api_kind

    def resolve(
        self,
        request: Request,
        *,
        request_id: str,
        epoch_ms: int,
        header_spellings: Mapping[str, str] | None = None,
    ) -> Destination | GatewayAnswer:
        # HTTP APIs decode the path twice: a "%" the first decoding leaves must start an
        # escape, or the request is refused (hotsock/voker ingress-paths.json).
        undecodable = _UNDECODABLE.search(request.path) is not None
        found = self._match(request.method, request.raw_path)
        if found is None:
            if undecodable and self.api_kind == "http":
                return BAD_REQUEST
            return no_route_answer(self.api_kind)
        served, prefix, match = found
        api = served.api
        if undecodable and api.kind == "http":
            return BAD_REQUEST
        route = match.route
        invocation = GatewayContext(
            request_id=request_id,
            time_epoch_ms=epoch_ms,
            api_id=served.api_id,
            stage=api.stage_name,
            resource=match.resource,
            route_key=match.route_key,
            path_parameters=match.path_parameters,
            stage_variables=api.stage_variables or None,
            binary_media_types=api.binary_media_types,
            header_names=header_spellings if api.kind == "rest" else None,
        )
        return Destination(
            function=route.function,
            source=served.sources[route],
            invocation=invocation,
            integration_timeout=route.integration_timeout_ms / 1000,
            route=match.route_key if api.kind == "http" else f"{route.method} {route.path}",
            kind=api.kind,
            stage_prefix=prefix,
            # A REST event shows the stage in requestContext.path, whatever the host. An HTTP
            # API's events carry it only on the execute-api host; the local front's Host is
            # another, so they are those of a custom domain: the stage in requestContext.stage
            # only (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
            root_path=prefix if api.kind == "rest" else "",
            streaming=route.streaming,
        )

    def _match(self, method: str, path: str) -> tuple[_ServedApi, str, RouteMatch] | None:
        """The API, the stage prefix the path led with (or ``""``) and the route."""
        for served in self._served:  # AWS's reading: a leading stage is the stage
            rest = after_stage(path, served.api.stage_name)
            if rest is not None:
                match = served.router.match(None, method, rest)
                if match is not None:
                    return served, "/" + served.api.stage_name, match
        for served in self._served:  # sam local's: the whole path
            match = served.router.match(None, method, path)
            if match is not None:
                return served, "", match
        return None


class _ServedApi:
    """One API of a port: its routes, its id and the event source of each route."""

    def __init__(self, api: ApiSpec, routes: Sequence[RouteSpec]) -> None:
        self.api = api
        routes = tuple(route for route in routes if route.api_logical_id == api.logical_id)
        self.router = Router(routes)
        self.api_id = stable_id(api.logical_id, 10)
        self.sources = {
            route: get_source(_ROUTE_SOURCES[route.kind, route.payload_format_version])
            for route in routes
        }


class SingleFunction:
    """A front with one function behind it and no routes: a function URL, or an ALB target."""

    def __init__(
        self,
        function: str,
        kind: FrontKind,
        *,
        streaming: bool = False,
        edge_event_type: str = "viewer-request",
    ) -> None:
        self.function = function
        self.kind = kind
        #: A function URL in ``RESPONSE_STREAM`` mode.
        self.streaming = streaming
        #: The CloudFront trigger an ``edge`` front's events are for.
        self.edge_event_type = edge_event_type
        self.source = get_source(kind)
        # A function URL's id is 32 characters (``<url-id>.lambda-url.<region>.on.aws``).
        self.api_id = stable_id(function, 32)

    def resolve(
        self,
        request: Request,
        *,
        request_id: str,
        epoch_ms: int,
        header_spellings: Mapping[str, str] | None = None,
    ) -> Destination | GatewayAnswer:
        invocation = GatewayContext(
            request_id=request_id,
            time_epoch_ms=epoch_ms,
            api_id=self.api_id,
            edge_event_type=self.edge_event_type,
        )
        return Destination(
            function=self.function,
            source=self.source,
            invocation=invocation,
            integration_timeout=None,
            route=DEFAULT_ROUTE_PATH,
            kind=self.kind,
            streaming=self.streaming,
        )
