"""Lambda events that look like HTTP requests but are not, named when they are refused.

An API Gateway Lambda authorizer is invoked with the request's method, path and headers, but
must answer with an IAM policy (REST APIs, HTTP API payload 1.0) or ``{"isAuthorized": ...}``
(HTTP API payload 2.0), never an HTTP response: served as a request, the app's answer would be
rejected and the client denied. The event sources' ``matches`` leave these out; when nothing
matched, this table says what the event was.

- REST authorizers: ``type`` ``TOKEN`` or ``REQUEST``, and a ``methodArn``
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html).
- HTTP API authorizers: ``type`` ``REQUEST``, a ``methodArn`` (payload 1.0) or a ``routeArn``
  (2.0) (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
- CloudFront origin-response and viewer-response triggers: ``Records[0].cf`` holds the
  origin's ``response`` beside the ``request``, and the function may only change that
  response; an app's answer to the request would replace what the origin sent
  (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html#lambda-event-structure-response).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["LOOKALIKES", "describe"]

_AUTHORIZER = (
    "lambgate serves HTTP requests, and an authorizer must answer with a policy, not an HTTP "
    "response: give the authorizer a handler of its own"
)


def _is_authorizer(event: Mapping[str, Any]) -> bool:
    return event.get("type") in ("TOKEN", "REQUEST") and (
        "methodArn" in event or "routeArn" in event
    )


def _is_cloudfront_response(event: Mapping[str, Any]) -> bool:
    records = event.get("Records")
    if records.__class__ is not list or not records or records[0].__class__ is not dict:
        return False
    cf = records[0].get("cf")
    return cf.__class__ is dict and "response" in cf


#: ``(matches, what the event is, what to do instead)``
LOOKALIKES: tuple[tuple[Callable[[Mapping[str, Any]], bool], str, str], ...] = (
    (_is_authorizer, "an API Gateway Lambda authorizer event", _AUTHORIZER),
    (
        _is_cloudfront_response,
        "a CloudFront response trigger event",
        "lambgate serves requests (viewer-request / origin-request triggers)",
    ),
)


def describe(event: Mapping[str, Any]) -> str | None:
    """Why ``event`` is not served, if it is one of the look-alikes."""
    for matches, what, advice in LOOKALIKES:
        if matches(event):
            kind = event.get("type")
            shown = f" (type {kind})" if isinstance(kind, str) else ""
            return f"lambgate cannot serve {what}{shown}: {advice}"
    return None
