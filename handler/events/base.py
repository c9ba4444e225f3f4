"""What every event-source module provides, and the settings the translators share.

A source module owns its format in all four directions:

- ``event_to_request(event, context, options)`` and ``response_to_result(response, request,
  options)`` run inside Lambda;
- ``request_to_event(request, invocation)`` and ``result_to_response(result, request,
  invocation)`` are what AWS does around the function: the emulator, ``lambgate event`` and the
  tests use them. ``result_to_response`` raises ``ResultError`` where the service would answer
  its own error instead of the function's result.

All four are pure functions of their arguments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from ..model import Request, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DEFAULT_INVOCATION",
    "DEFAULT_OPTIONS",
    "DEFAULT_TEXT_MIME_TYPES",
    "EventSource",
    "Invocation",
    "Options",
    "request_time",
]

#: Media types that go out as text whatever ``text_mime_types`` says; everything else is
#: base64 (see ``encoding.body_to_result``).
DEFAULT_TEXT_MIME_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/xml",
        "application/ecmascript",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "image/svg+xml",
    }
)


class Options:
    """Per-handler settings, fixed when the handler is made (treated as immutable)."""

    __slots__ = ("base_path", "exclude_headers", "text_mime_types")

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


DEFAULT_OPTIONS = Options()


class Invocation:
    """What the gateway knows about a request beyond the HTTP bytes: used to build events.

    Defaults describe a direct request to the service's own default domain, so that
    ``request_to_event(request)`` alone gives a realistic event.
    """

    __slots__ = (
        "account_id",
        "api_id",
        "authorizer",
        "binary_media_types",
        "domain_name",
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
        account_id: str = "123456789012",
        api_id: str = "abcdef1234",
        region: str = "us-east-1",
        domain_name: str | None = None,
        stage: str | None = None,
        resource: str | None = None,
        route_key: str | None = None,
        path_parameters: Mapping[str, str] | None = None,
        stage_variables: Mapping[str, str] | None = None,
        binary_media_types: tuple[str, ...] = (),
        target_group_arn: str = (
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambgate/"
            "6d0ecf831eec9f09"
        ),
        authorizer: Mapping[str, Any] | None = None,
        header_names: Mapping[bytes, str] | None = None,
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


DEFAULT_INVOCATION = Invocation()


class EventSource:
    """One row of the detection table: a source's name and its four translators."""

    __slots__ = (
        "event_to_request",
        "matches",
        "name",
        "request_to_event",
        "response_to_result",
        "result_limit",
        "result_to_response",
    )

    def __init__(
        self,
        *,
        name: str,
        matches: Callable[[Mapping[str, Any]], bool],
        event_to_request: Callable[[Mapping[str, Any], Any, Options], Request],
        response_to_result: Callable[[Response, Request, Options], dict[str, Any]],
        request_to_event: Callable[[Request, Invocation], dict[str, Any]],
        result_to_response: Callable[[Any, Request, Invocation], Response],
        result_limit: int,
    ) -> None:
        self.name = name
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


def request_time(epoch_ms: int) -> str:
    """API Gateway's ``requestTime``/``time`` text, e.g. ``09/Apr/2015:12:34:56 +0000``.

    Built by hand rather than with ``strftime("%b")``, which follows the process locale.
    """
    t = time.gmtime(epoch_ms // 1000)
    return (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )
