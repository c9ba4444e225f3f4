"""API Gateway's route selection: which route, if any, takes a request.

Pure functions of the routes and the request line: no sockets, no clocks. The gateway asks
``Router.match`` which function a request goes to, and ``Router.no_route`` which of AWS's
answers (:mod:`.answers`) to give when none does.

How API Gateway picks a route (HTTP APIs, "Routing API requests",
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html):

1. a full match for the route and the method (a literal segment beats a ``{param}``);
2. a match with a greedy path variable (``{proxy+}``), the longest literal prefix first;
3. the ``$default`` route (HTTP APIs only).

``ANY`` "matches all methods that you haven't defined for a resource": a route that names the
method beats an ``ANY`` route on the same path. REST APIs resolve on the resource *and* method
pair too: a verb the matching resource does not declare falls through to a ``{proxy+}`` that
serves it (measured on real API Gateway in ministackorg/ministack#1423).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from lambgate.local.template.specs import DEFAULT_ROUTE_PATH, ApiKind, RouteSpec

from .answers import GatewayAnswer, no_route_answer

__all__ = ["RouteMatch", "Router", "Segment", "SegmentKind", "parse_route_path"]


@dataclass(slots=True, kw_only=True)
class RouteMatch:
    """The route a request goes to, and what the event says about it.

    Treated as immutable, though not ``frozen``: one is built for every request (see
    :class:`~lambgate.local.lambda_service.function.InvocationResult`).
    """

    route: RouteSpec
    #: Values of the ``{name}`` / ``{name+}`` segments; ``None`` when the route has none (the
    #: events carry ``null`` then, not ``{}``).
    path_parameters: Mapping[str, str] | None
    #: REST ``resource`` / HTTP API route path: the template, e.g. ``/items/{id}``.
    resource: str
    #: HTTP API ``routeKey``: ``"GET /items/{id}"``, ``"ANY /{proxy+}"`` or ``"$default"``.
    route_key: str


SegmentKind = Literal["literal", "param", "greedy"]
#: Rank of a segment kind when two routes match the same request: higher wins.
_SEGMENT_RANK: dict[SegmentKind, int] = {"literal": 3, "param": 2, "greedy": 1}


@dataclass(frozen=True, slots=True)
class Segment:
    """One ``/``-separated part of a route path: literal text, ``{name}`` or ``{name+}``."""

    kind: SegmentKind
    text: str  # the literal text, or the variable's name without braces and ``+``


def parse_route_path(path: str) -> tuple[Segment, ...]:
    segments = []
    for part in path.split("/")[1:]:
        if part.startswith("{") and part.endswith("+}"):
            segments.append(Segment("greedy", part[1:-2]))
        elif part.startswith("{") and part.endswith("}"):
            segments.append(Segment("param", part[1:-1]))
        else:
            segments.append(Segment("literal", part))
    return tuple(segments)


@dataclass(frozen=True, slots=True)
class _CompiledRoute:
    spec: RouteSpec
    segments: tuple[Segment, ...]
    is_default: bool = field(default=False)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Path parameters if the route's path takes ``parts``, else ``None``."""
        values: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.kind == "greedy":
                rest = parts[index:]
                # REST needs at least one character under a greedy variable: the root resource
                # is not caught by ``/{proxy+}``. HTTP APIs let it catch a bare trailing slash
                # (storacha/w3infra#166 routes ``GET /metrics/`` with ``/metrics/{proxy+}``).
                if not rest or (self.spec.kind == "rest" and rest == [""]):
                    return None
                values[segment.text] = "/".join(rest)
                return values
            if index >= len(parts):
                return None
            part = parts[index]
            if segment.kind == "literal":
                if part != segment.text:
                    return None
            elif part == "":
                # An empty segment never fills a variable (aws/chalice#588).
                return None
            else:
                values[segment.text] = part
        return values if len(parts) == len(self.segments) else None

    def rank(self, method: str) -> tuple[int, tuple[int, ...], int]:
        greedy = bool(self.segments) and self.segments[-1].kind == "greedy"
        return (
            0 if greedy else 1,
            tuple(_SEGMENT_RANK[segment.kind] for segment in self.segments),
            1 if self.spec.method == method else 0,
        )


def _route_key(route: RouteSpec) -> str:
    return (
        DEFAULT_ROUTE_PATH if route.path == DEFAULT_ROUTE_PATH else f"{route.method} {route.path}"
    )


class Router:
    """Selects the route for a request among a set of routes.

    A request may be matched against all of them (``scope=None``, what a front does: it holds
    one API's routes; several APIs on one port are tried one by one, :mod:`.shared_port`),
    against the routes of one API type (``"rest"``/``"http"``) or of one API (its logical id).
    """

    def __init__(self, routes: Iterable[RouteSpec]) -> None:
        self._routes = tuple(
            _CompiledRoute(
                route,
                () if route.path == DEFAULT_ROUTE_PATH else parse_route_path(route.path),
                is_default=route.path == DEFAULT_ROUTE_PATH,
            )
            for route in routes
        )

    @property
    def routes(self) -> tuple[RouteSpec, ...]:
        return tuple(compiled.spec for compiled in self._routes)

    def _in_scope(self, scope: str | None) -> list[_CompiledRoute]:
        if scope is None:
            return list(self._routes)
        if scope in ("rest", "http"):
            return [c for c in self._routes if c.spec.kind == scope]
        return [c for c in self._routes if c.spec.api_logical_id == scope]

    def match(self, scope: str | None, method: str, path: str) -> RouteMatch | None:
        """The route ``method path`` goes to, or ``None`` (then send ``no_route``).

        ``path`` is the request path as it arrived, percent-encoded, without the query. REST
        APIs match and pass path parameters still encoded; HTTP APIs decode the path first
        (live captures in hotsock/voker#8: REST ``pathParameters.proxy`` is
        ``capture/space%20value``, HTTP API ``rawPath`` is ``/capture/space value``).
        """
        method = method.upper()
        best: tuple[tuple[int, tuple[int, ...], int], _CompiledRoute, dict[str, str]] | None
        best = None
        default: _CompiledRoute | None = None
        for compiled in self._in_scope(scope):
            spec = compiled.spec
            if spec.method not in ("ANY", method):
                continue
            if compiled.is_default:
                default = default or compiled
                continue
            values = compiled.match(_request_parts(spec.kind, path))
            if values is None:
                continue
            rank = compiled.rank(method)
            if best is None or rank > best[0]:
                best = (rank, compiled, values)
        if best is not None:
            _, compiled, values = best
            return RouteMatch(
                route=compiled.spec,
                path_parameters=values or None,
                resource=compiled.spec.path,
                route_key=_route_key(compiled.spec),
            )
        if default is not None:
            return RouteMatch(
                route=default.spec,
                path_parameters=None,
                resource=DEFAULT_ROUTE_PATH,
                route_key=DEFAULT_ROUTE_PATH,
            )
        return None

    def no_route(self, scope: str | None) -> GatewayAnswer:
        """What the gateway answers when ``match(scope, ...)`` found nothing.

        With APIs of both types at the root there is no single right answer; the REST one is
        given unless every route in scope belongs to an HTTP API.
        """
        kinds = {compiled.spec.kind for compiled in self._in_scope(scope)}
        if scope == "http" or kinds == {"http"}:
            return no_route_answer("http")
        return no_route_answer("rest")


def _request_parts(kind: ApiKind, path: str) -> list[str]:
    if kind == "http":
        path = unquote(path)
    elif len(path) > 1 and path.endswith("/"):
        # REST serves ``/hello/`` from the ``/hello`` resource (aws/chalice#65,
        # aws-powertools/powertools-lambda-python#1552); HTTP APIs do not.
        path = path[:-1]
    return path.split("/")[1:]
