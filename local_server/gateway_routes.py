"""Which function a request goes to, and what its event says about the way it went.

A front's resolver turns a request into a :class:`Destination` (the function, the event
source, the gateway's facts for the event, the integration timeout), or into the answer the
front gives on its own: :class:`ApiRoutes` for REST and HTTP APIs (route matching in
:mod:`.routing`), :class:`SingleFunction` for function URLs and ALB targets.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from lambgate.events import EventSource, GatewayContext, get_source
from lambgate.model import Request

from .gateway_errors import FrontKind
from .routing import BAD_REQUEST, GatewayAnswer, Router
from .template import ApiSpec, RouteSpec

__all__ = ["ApiRoutes", "Destination", "Resolver", "SingleFunction", "stable_id"]

#: A "%" that does not start a percent-escape.
_UNDECODABLE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def stable_id(name: str, length: int) -> str:
    """A lower-case id derived from ``name``: an API's id stays the same between runs."""
    digest = uuid.uuid5(uuid.NAMESPACE_URL, f"lambgate:{name}").hex
    return (digest * 2)[:length]


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """Where a request goes, and what the event says about the way it went."""

    function: str
    source: EventSource
    invocation: GatewayContext
    #: Seconds the front waits for the function; ``None``: as long as the function runs.
    integration_timeout: float | None
    #: How the route is named in log lines (``GET /items/{id}``, ``$default``).
    route: str


class Resolver(Protocol):
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
    """One REST or HTTP API, served at the root of its port as ``sam local start-api`` does;
    the stage is in the event only."""

    def __init__(
        self, api: ApiSpec, routes: Sequence[RouteSpec], *, stage: str | None = None
    ) -> None:
        self.api = api
        self.kind: FrontKind = api.kind
        self.routes = tuple(route for route in routes if route.api_logical_id == api.logical_id)
        self.router = Router(self.routes)
        self.stage = stage or api.stage_name
        self.api_id = stable_id(api.logical_id, 10)
        self._sources = {
            route: get_source(_ROUTE_SOURCES[route.kind, route.payload_format_version])
            for route in self.routes
        }

    def resolve(
        self,
        request: Request,
        *,
        request_id: str,
        epoch_ms: int,
        header_spellings: Mapping[str, str] | None = None,
    ) -> Destination | GatewayAnswer:
        if self.kind == "http" and _UNDECODABLE.search(request.path):
            # HTTP APIs decode the path twice: a "%" the first decoding leaves must start an
            # escape, or the request is refused (hotsock/voker ingress-paths.json).
            return BAD_REQUEST
        match = self.router.match(None, request.method, request.raw_path)
        if match is None:
            return self.router.no_route(None)
        route = match.route
        invocation = GatewayContext(
            request_id=request_id,
            time_epoch_ms=epoch_ms,
            api_id=self.api_id,
            stage=self.stage,
            resource=match.resource,
            route_key=match.route_key,
            path_parameters=match.path_parameters,
            stage_variables=self.api.stage_variables or None,
            binary_media_types=self.api.binary_media_types,
            header_names=header_spellings if self.kind == "rest" else None,
        )
        return Destination(
            function=route.function,
            source=self._sources[route],
            invocation=invocation,
            integration_timeout=route.integration_timeout_ms / 1000,
            route=match.route_key if self.kind == "http" else f"{route.method} {route.path}",
        )


class SingleFunction:
    """A front with one function behind it and no routes: a function URL, or an ALB target."""

    def __init__(self, function: str, kind: FrontKind) -> None:
        self.function = function
        self.kind = kind
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
            request_id=request_id, time_epoch_ms=epoch_ms, api_id=self.api_id
        )
        return Destination(
            function=self.function,
            source=self.source,
            invocation=invocation,
            integration_timeout=None,
            route="$default",
        )
