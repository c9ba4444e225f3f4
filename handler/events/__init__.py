"""Event sources: one module per AWS service, detected by one ordered table.

Detection looks at the event's ``version`` first (``"2.0"``, ``"1.0"`` or none), then asks
the sources of that version in the order of :data:`SOURCES`, most specific shape first:

1. ``alb-multi`` before ``alb``: both carry ``requestContext.elb``; the multi-value maps
   decide, and the result must answer in the same mode. ``rest`` keys on ``httpMethod``
   alone, so ``alb`` and ``websocket`` (``eventType`` and ``connectionId``) come before it;
   ``edge`` and ``lattice``, which no ``httpMethod`` event matches, come after it, so that the
   most common versionless event is not tested against them first.
2. ``url`` before ``http``: a function URL event is a payload 2.0 event whose
   ``requestContext.domainName`` is ``*.lambda-url.*``; their paths differ in encoding.
3. ``http`` keys on ``routeKey`` (and ``url`` on its domain); ``lattice-v2`` events also say
   ``"2.0"`` but carry no ``routeKey`` and a top-level ``method``, which no payload 2.0 event
   has: each of the three rules out the others.
4. ``edge`` keys on ``Records[0].cf.request``; ``lattice`` (version 1) on ``raw_path`` with
   ``method``: shapes no other source has.
5. ``websocket`` keys on ``requestContext.eventType`` with ``connectionId``; it comes before
   ``rest``, which a captured CONNECT event (it has ``httpMethod``) would otherwise match.

Events that look like requests but are not (API Gateway authorizers) match
no source and are refused by name (:mod:`.lookalikes`).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ConfigurationError, UnknownEventSource
from . import alb, apigw_http, apigw_rest, apigw_websocket, edge, function_url, vpc_lattice
from .base import DEFAULT_GATEWAY_CONTEXT, DEFAULT_OPTIONS, EventSource, GatewayContext, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DEFAULT_GATEWAY_CONTEXT",
    "DEFAULT_OPTIONS",
    "SOURCES",
    "EventSource",
    "GatewayContext",
    "Options",
    "detect",
    "get_source",
]

SOURCES: tuple[EventSource, ...] = (
    alb.SOURCE_MULTI,
    alb.SOURCE,
    function_url.SOURCE,
    apigw_http.SOURCE,
    vpc_lattice.SOURCE_V2,
    apigw_http.SOURCE_V1,
    apigw_websocket.SOURCE,
    apigw_rest.SOURCE,
    # Keyed on top-level keys no request event of another source has (Records; raw_path with
    # method, and no httpMethod): after REST, which then pays for no test of theirs.
    edge.SOURCE,
    vpc_lattice.SOURCE,
)

_BY_NAME: dict[str, EventSource] = {source.name: source for source in SOURCES}
_BY_VERSION: dict[str | None, tuple[EventSource, ...]] = {}
for _source in SOURCES:
    _BY_VERSION[_source.version] = (*_BY_VERSION.get(_source.version, ()), _source)
del _source


def detect(event: Any) -> EventSource:
    """The source whose shape ``event`` has; :class:`UnknownEventSource` names what it saw."""
    if event.__class__ is dict or isinstance(event, Mapping):
        try:
            candidates = _BY_VERSION[event.get("version")]
        except (KeyError, TypeError):  # another version, or not even a string
            candidates = ()
        for source in candidates:
            if source.matches(event):
                return source
        from .lookalikes import describe  # an event that is refused: imported when one comes

        lookalike = describe(event)
        if lookalike is not None:
            raise UnknownEventSource(lookalike)
        seen = ", ".join(sorted(map(str, event))) or "none"
        what = f"an event with top-level keys [{seen}]"
    else:
        what = f"a {type(event).__name__} event"
    raise UnknownEventSource(
        f"lambgate cannot serve {what}: it matches no supported source "
        f"({', '.join(_BY_NAME)}). Pass source= to make_handler to force one."
    )


def get_source(name: str) -> EventSource:
    """The source called ``name`` (as in ``make_handler(source=...)``)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown event source {name!r}; supported: {', '.join(_BY_NAME)}"
        ) from None
