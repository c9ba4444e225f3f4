"""What every event-source module provides, and the settings the translators share.

A source module owns its format in all four directions:

- ``event_to_request(event, context, options)`` and ``response_to_result(response, request,
  options)`` run inside Lambda; ``event_to_request`` raises ``MalformedEvent``, naming the
  source and the field, for an event its source would never send;
- ``request_to_event(request, gateway)`` and ``result_to_response(result, request, gateway)``
  are what AWS does around the function: the emulator, ``lambgate event`` and the tests use
  them. ``result_to_response`` raises ``ResultError`` where the service would answer its own
  error instead of the function's result.

All four are pure functions of their arguments. :class:`GatewayContext` carries what AWS
knows about a request beyond its HTTP bytes, which ``request_to_event`` needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from ..model import Request, Response
from .encoding import DEFAULT_TEXT_MIME_TYPES, is_text_type

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..types import SourceName

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_GATEWAY_CONTEXT",
    "DEFAULT_OPTIONS",
    "REGION",
    "EventSource",
    "GatewayContext",
    "Options",
    "request_time",
]


class Options:
    """Per-handler settings, fixed when the handler is made (treated as immutable)."""

    __slots__ = ("_text_types", "base_path", "exclude_headers", "text_mime_types")

    def __init__(
        self,
        *,
        base_path: str = "",
        text_mime_types: frozenset[str] = DEFAULT_TEXT_MIME_TYPES,
        exclude_headers: frozenset[str] = frozenset(),
    ) -> None:
        #: A custom-domain base path mapping such as ``/v1``, moved from the path into the
        #: root path when the request came through a custom domain.
        self.base_path = base_path
        #: Media types (lower-case, no parameters) sent as text rather than base64.
        self.text_mime_types = text_mime_types
        #: Response header names (lower-case) never passed on to the gateway.
        self.exclude_headers = exclude_headers
        # Content-Type values already judged: an app answers with a handful of them.
        self._text_types: dict[str, bool] = {}

    def sends_as_text(self, content_type: str | None, content_encoding: str | None) -> bool:
        """Whether a result body with these headers travels as text rather than base64.

        Any ``Content-Encoding`` other than ``identity`` means compressed bytes: those must go
        out base64 whatever the media type, or the gateway mangles them.
        """
        if content_type is None or (
            content_encoding and content_encoding.strip().lower() != "identity"
        ):
            return False
        known = self._text_types.get(content_type)
        if known is None:
            known = is_text_type(content_type, self.text_mime_types)
            if len(self._text_types) < 256:
                self._text_types[content_type] = known
        return known


DEFAULT_OPTIONS = Options()


#: The account id AWS's own documentation uses in its examples, for the local account
#: (e.g. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html).
ACCOUNT_ID = "123456789012"
#: The region events and ARNs name by default.
REGION = "us-east-1"


class GatewayContext:
    """The gateway's side of one request (treated as immutable)."""

    __slots__ = (
        "account_id",
        "api_id",
        "authorizer",
        "binary_media_types",
        "connected_at_ms",
        "connection_id",
        "disconnect_reason",
        "disconnect_status_code",
        "domain_name",
        "edge_event_type",
        "header_names",
        "path_parameters",
        "region",
        "request_id",
        "resource",
        "route_key",
        "stage",
        "stage_variables",
        "target_group_arn",
        "time_epoch_ms",
    )

    def __init__(
        self,
        *,
        request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        time_epoch_ms: int = 1_700_000_000_000,
        account_id: str = ACCOUNT_ID,
        api_id: str = "abcdef1234",
        region: str = REGION,
        domain_name: str | None = None,
        stage: str | None = None,
        resource: str | None = None,
        route_key: str | None = None,
        path_parameters: Mapping[str, str] | None = None,
        stage_variables: Mapping[str, str] | None = None,
        binary_media_types: tuple[str, ...] = (),
        target_group_arn: str = (
            f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:targetgroup/lambgate/"
            "6d0ecf831eec9f09"
        ),
        authorizer: Mapping[str, Any] | None = None,
        header_names: Mapping[str, str] | None = None,
        edge_event_type: str = "viewer-request",
        connection_id: str | None = None,
        connected_at_ms: int | None = None,
        disconnect_status_code: int = 1000,
        disconnect_reason: str = "",
    ) -> None:
        self.request_id = request_id
        self.time_epoch_ms = time_epoch_ms
        self.account_id = account_id
        self.api_id = api_id
        self.region = region
        #: ``requestContext.domainName``; by default the service's own domain for ``api_id``.
        #: (The ``Host`` header, which decides the URLs the app generates, is the request's.)
        self.domain_name = domain_name
        #: The stage name; by default taken from the request's root path.
        self.stage = stage
        #: REST ``resource`` / HTTP API route path template, e.g. ``/items/{id}``.
        self.resource = resource
        #: HTTP API ``routeKey`` as the route declares it (``ANY /{proxy+}``); by default the
        #: request's method with ``resource``, or ``$default``.
        self.route_key = route_key
        self.path_parameters = path_parameters
        self.stage_variables = stage_variables
        #: REST APIs decide ``isBase64Encoded`` by these (``*/*`` allowed); ALB and the 2.0
        #: formats decide by content type themselves.
        self.binary_media_types = binary_media_types
        self.target_group_arn = target_group_arn
        self.authorizer = authorizer
        #: How each header name is spelled in a REST event (lower-case name → spelling):
        #: REST passes names in the case the client sent them, where ``Request.headers`` has
        #: them lower-cased. Missing names stay lower-case.
        self.header_names = header_names
        #: The CloudFront trigger a Lambda@Edge event is for: ``viewer-request`` or
        #: ``origin-request`` (their limits and read-only headers differ).
        self.edge_event_type = edge_event_type
        #: A WebSocket connection's id and when it was opened: the same in every event of one
        #: connection (an emulator passes them); by default derived from ``request_id`` and
        #: ``time_epoch_ms``, as for a connection with a single event.
        self.connection_id = connection_id
        self.connected_at_ms = connected_at_ms
        #: How a WebSocket connection closed, for its DISCONNECT event.
        self.disconnect_status_code = disconnect_status_code
        self.disconnect_reason = disconnect_reason

    def execute_api_domain(self) -> str:
        """The execute-api domain API Gateway gives an API of its own."""
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"


DEFAULT_GATEWAY_CONTEXT = GatewayContext()


class EventSource:
    """One row of the detection table: a source's name and its four translators.

    ``version`` is the event's ``version`` key (``None`` for formats without one), which
    detection looks at first; ``matches`` tells apart the sources that share a version.
    """

    __slots__ = (
        "event_to_request",
        "matches",
        "name",
        "request_to_event",
        "response_to_result",
        "result_limit",
        "result_to_response",
        "version",
    )

    def __init__(
        self,
        *,
        name: SourceName,
        version: str | None,
        matches: Callable[[Mapping[str, Any]], bool],
        event_to_request: Callable[[Mapping[str, Any], Any, Options], Request],
        response_to_result: Callable[[Response, Request, Options], dict[str, Any]],
        request_to_event: Callable[[Request, GatewayContext], dict[str, Any]],
        result_to_response: Callable[[Any, Request, GatewayContext], Response],
        result_limit: int,
    ) -> None:
        self.name = name
        self.version = version
        self.matches = matches
        self.event_to_request = event_to_request
        self.response_to_result = response_to_result
        self.request_to_event = request_to_event
        self.result_to_response = result_to_response
        #: The largest result (serialised JSON, bytes) the service accepts from the function.
        self.result_limit = result_limit

    def __repr__(self) -> str:
        return f"<EventSource {self.name!r}>"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


#: The last second :func:`request_time` formatted, and its text: a busy front builds many
#: events within one second.
_last_time: tuple[int, str] = (-1, "")


def request_time(epoch_ms: int) -> str:
    """API Gateway's ``requestTime``/``time`` text, e.g. ``09/Apr/2015:12:34:56 +0000``.

    Built by hand rather than with ``strftime("%b")``, which follows the process locale.
    """
    global _last_time
    second = epoch_ms // 1000
    last_second, text = _last_time
    if second == last_second:
        return text
    t = time.gmtime(second)
    text = (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )
    _last_time = (second, text)
    return text
