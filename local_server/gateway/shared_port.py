"""Several APIs on one port, as ``sam local start-api`` serves them, without its surprises.

On AWS each API has a host of its own, and a REST API's URL leads with its stage
(``https://{id}.execute-api.{region}.amazonaws.com/prod/items``). ``sam local start-api`` puts
every API of a template at the root of one port instead (aws-sam-cli:
``LocalApiService.start`` builds one ``LocalApigwService`` from all the routes, and the stage
shows only in the event). Where two APIs' routes overlap, it keeps one and says nothing:
``SamApiProvider.merge_routes`` keeps one route per path and method, and
``LocalApigwService.create`` mounts an HTTP API's ``$default`` last, a catch-all behind every
other route.

lambgate serves a path in both forms, and reads it in this order (:func:`after_stage`):

1. as AWS reads the URL: a first segment equal to an API's named stage is the stage
   (``/prod/items`` is ``/items`` on stage ``prod``), so links an app builds under its stage
   work when followed;
2. as ``sam local`` does, whole, if the first reading found no route.

So a route that itself begins with the stage name (``/prod/report`` on stage ``prod``) is
always reached at ``/prod/prod/report``, as on AWS, and at ``/prod/report`` only while no route
of its API takes ``/report``: when both readings find a route, AWS's wins.

APIs share a port only when no request could be taken by routes of two of them, in any of
those forms (:func:`first_collision`); otherwise each would answer requests meant for the
other, which on AWS never meet. Each route is compared in every form the front accepts: its
path, the same led by the stage, and for REST with one trailing slash (REST serves ``/a/`` from
``/a``; :mod:`.route_matching`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lambgate.local.template.specs import DEFAULT_ROUTE_PATH, ApiKind, RouteSpec

from .route_matching import Segment, parse_route_path

__all__ = ["DEFAULT_STAGE", "Collision", "after_stage", "first_collision", "stage_routes"]

#: The stage an HTTP API serves at the root of its URL, with no prefix.
DEFAULT_STAGE = "$default"
#: What a variable stands for in an example request.
_EXAMPLE_SEGMENT = "x"


def after_stage(path: str, stage: str) -> str | None:
    """What follows a leading named ``stage`` in ``path`` (``/prod/items`` → ``/items``, and
    ``/prod`` → ``/``), or ``None`` when the path does not lead with it.

    "The name of the stage is the first path segment in the Uniform Resource Identifier (URI)
    of a call to API Gateway. Stage names can only contain alphanumeric characters, hyphens,
    and underscores" (https://docs.aws.amazon.com/apigateway/latest/api/API_Stage.html), so
    ``path``, as the client sent it (percent-encoded), shows it the same encoded or not.
    """
    if stage == DEFAULT_STAGE:
        return None
    prefix = "/" + stage
    if path == prefix:
        return "/"
    if path.startswith(prefix) and path[len(prefix)] == "/":
        return path[len(prefix) :]
    return None


def stage_routes(routes: Sequence[RouteSpec], stage: str) -> tuple[RouteSpec, ...]:
    """Routes whose path begins with the stage name: reached at ``/{stage}{path}`` for sure,
    and at their own path only while no route takes what follows the stage."""
    if stage == DEFAULT_STAGE:
        return ()
    return tuple(r for r in routes if r.path.split("/")[1:2] == [stage])


@dataclass(frozen=True, slots=True, kw_only=True)
class Collision:
    """A request two APIs' routes would both take on one port."""

    #: The route of the API that cannot join the port.
    route: RouteSpec
    #: The route of the API already there.
    other: RouteSpec
    method: str
    path: str

    def __str__(self) -> str:
        return (
            f"its {_route_name(self.route)} and {self.other.api_logical_id}'s "
            f"{_route_name(self.other)} would both take {self.method} {self.path}"
        )


def _route_name(route: RouteSpec) -> str:
    return route.path if route.path == DEFAULT_ROUTE_PATH else f"{route.method} {route.path}"


def first_collision(
    routes: Sequence[RouteSpec],
    stage: str,
    others: Sequence[RouteSpec],
    other_stage: str,
) -> Collision | None:
    """The first request (in route order) that a route of ``routes`` and one of ``others``
    would both take on one port, or ``None`` when the two APIs can share it."""
    for route in routes:
        for other in others:
            method = _common_method(route.method, other.method)
            if method is None:
                continue
            for form in _forms(route, stage):
                for other_form in _forms(other, other_stage):
                    example = _common_path(form, other_form)
                    if example is not None:
                        path = "/" + "/".join(example)
                        return Collision(route=route, other=other, method=method, path=path)
    return None


@dataclass(frozen=True, slots=True)
class _Form:
    """A route path as the front accepts it; ``segments`` ``None`` is ``$default``: any path."""

    segments: tuple[Segment, ...] | None
    kind: ApiKind


def _forms(route: RouteSpec, stage: str) -> Iterator[_Form]:
    if route.path == DEFAULT_ROUTE_PATH:
        yield _Form(None, route.kind)
        return
    segments = parse_route_path(route.path)
    variants = [segments]
    root = segments == (Segment("literal", ""),)
    if route.kind == "rest" and not root and segments and segments[-1].kind != "greedy":
        variants.append((*segments, Segment("literal", "")))
    for variant in variants:
        yield _Form(variant, route.kind)
        if stage != DEFAULT_STAGE:
            staged = (Segment("literal", stage), *variant)
            # The root resource under its stage is "/prod/" and "/prod" alike.
            if variant == (Segment("literal", ""),):
                yield _Form((Segment("literal", stage),), route.kind)
            yield _Form(staged, route.kind)


def _common_method(method: str, other: str) -> str | None:
    if method == "ANY":
        return "GET" if other == "ANY" else other
    return method if other in ("ANY", method) else None


def _common_path(form: _Form, other: _Form) -> list[str] | None:
    """Segments of a path both forms take, or ``None`` if there is none."""
    if form.segments is None and other.segments is None:
        return [""]
    if form.segments is None:
        return _example(other.segments)
    if other.segments is None:
        return _example(form.segments)
    return _meet(form.segments, form.kind, other.segments, other.kind)


def _meet(
    one: tuple[Segment, ...], one_kind: ApiKind, two: tuple[Segment, ...], two_kind: ApiKind
) -> list[str] | None:
    if one and one[0].kind == "greedy":
        return _greedy_takes(two, one_kind)
    if two and two[0].kind == "greedy":
        return _greedy_takes(one, two_kind)
    if not one or not two:
        return [] if not one and not two else None
    first, second = one[0], two[0]
    if first.kind == "literal" and second.kind == "literal":
        word: str | None = first.text if first.text == second.text else None
    elif first.kind == "literal":
        word = first.text or None  # an empty segment never fills a variable
    elif second.kind == "literal":
        word = second.text or None
    else:
        word = _EXAMPLE_SEGMENT
    if word is None:
        return None
    rest = _meet(one[1:], one_kind, two[1:], two_kind)
    return None if rest is None else [word, *rest]


def _greedy_takes(segments: tuple[Segment, ...], greedy_kind: ApiKind) -> list[str] | None:
    """What a greedy variable (the rest of the path, one segment or more) shares with
    ``segments``; REST's needs more than an empty segment (it never takes the root)."""
    example = _example(segments)
    if not example:
        return None
    if greedy_kind == "rest" and example == [""]:
        return None
    return example


def _example(segments: tuple[Segment, ...] | None) -> list[str]:
    """A path the segments take, as segments (``None``, ``$default``: the root)."""
    if segments is None:
        return [""]
    return [s.text if s.kind == "literal" else _EXAMPLE_SEGMENT for s in segments]
