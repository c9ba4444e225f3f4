"""Event sources: one module per AWS service, detected by one ordered table.

The order of :data:`SOURCES` is the detection order, most specific shape first:

1. ``alb-multi`` before ``alb``: both carry ``requestContext.elb``; the multi-value maps
   decide, and the result must answer in the same mode.
2. ``url`` before ``http``: a function URL event is a payload 2.0 event whose
   ``requestContext.domainName`` is ``*.lambda-url.*``; their paths differ in encoding.
3. ``http`` keys on ``version == "2.0"`` *and* ``routeKey``: VPC Lattice v2 events also say
   ``"2.0"`` but carry no ``routeKey``; a Lattice row belongs before it.
4. ``http-v1`` (``version == "1.0"``) before ``rest``, which has no ``version`` at all.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ConfigurationError, UnknownEventSource
from . import alb, apigw_http, apigw_rest, function_url
from .base import DEFAULT_INVOCATION, DEFAULT_OPTIONS, EventSource, Invocation, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DEFAULT_INVOCATION",
    "DEFAULT_OPTIONS",
    "SOURCES",
    "EventSource",
    "Invocation",
    "Options",
    "detect",
    "get_source",
]

SOURCES: tuple[EventSource, ...] = (
    alb.SOURCE_MULTI,
    alb.SOURCE,
    function_url.SOURCE,
    apigw_http.SOURCE,
    apigw_http.SOURCE_V1,
    apigw_rest.SOURCE,
)

_BY_NAME = {source.name: source for source in SOURCES}


def detect(event: Any) -> EventSource:
    """The source whose shape ``event`` has; :class:`UnknownEventSource` names what it saw."""
    if isinstance(event, Mapping):
        for source in SOURCES:
            if source.matches(event):
                return source
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
