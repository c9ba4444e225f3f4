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
from dataclasses import dataclass, field
from typing import Any

from ..model import Request, Response

__all__ = ["EventSource", "Invocation", "Options"]

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Per-handler settings, fixed when the handler is made."""

    #: A custom-domain base path mapping such as ``/v1``: stripped from the path into the root
    #: path when the request came through a custom domain.
    base_path: str = ""
    #: Extra media types (lower-case, no parameters) to send as text rather than base64.
    text_mime_types: frozenset[str] = DEFAULT_TEXT_MIME_TYPES
    #: Response header names (lower-case) never passed on to the gateway.
    exclude_headers: frozenset[str] = frozenset()


DEFAULT_OPTIONS = Options()


@dataclass(frozen=True, slots=True, kw_only=True)
class Invocation:
    """What the gateway knows about a request beyond the HTTP bytes: used to build events.

    Defaults describe a direct request to the service's own default domain, so that
    ``request_to_event(request)`` alone gives a realistic event.
    """

    request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    time_epoch_ms: int = 1_700_000_000_000
    account_id: str = "123456789012"
    api_id: str = "abcdef1234"
    region: str = "us-east-1"
    #: ``requestContext.domainName``; by default the service's own domain for ``api_id``.
    #: (The ``Host`` header, which decides the URLs the app generates, is the request's own.)
    domain_name: str | None = None
    stage: str | None = None
    #: REST ``resource`` / HTTP API ``routeKey`` path template, e.g. ``/items/{id}``.
    resource: str | None = None
    path_parameters: Mapping[str, str] | None = None
    stage_variables: Mapping[str, str] | None = None
    #: REST APIs decide ``isBase64Encoded`` by these (``*/*`` allowed); ALB and the 2.0
    #: formats decide by content type themselves.
    binary_media_types: tuple[str, ...] = ()
    #: For ALB: whether the target group has ``lambda.multi_value_headers.enabled``.
    multi_value_headers: bool = False
    target_group_arn: str = (
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambgate/6d0ecf831eec9f09"
    )
    authorizer: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


DEFAULT_INVOCATION = Invocation()


@dataclass(frozen=True, slots=True)
class EventSource:
    """One row of the detection table: a source's name and its four translators."""

    name: str
    matches: Callable[[Mapping[str, Any]], bool]
    event_to_request: Callable[[Mapping[str, Any], Any, Options], Request]
    response_to_result: Callable[[Response, Request, Options], dict[str, Any]]
    request_to_event: Callable[[Request, Invocation], dict[str, Any]]
    result_to_response: Callable[[Any, Request, Invocation], Response]
    #: The largest result (serialised JSON, bytes) the service accepts from the function.
    result_limit: int


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
