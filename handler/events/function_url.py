"""Lambda function URLs: the payload 2.0 format on ``<url-id>.lambda-url.<region>.on.aws``.

https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html

Unlike HTTP APIs, function URLs keep the path percent-encoded in ``rawPath`` and keep the
``cookie`` header beside the ``cookies`` list (live captures in hotsock/voker
``vokerhttp/testdata/functionurl-request.json``); there is no stage and no route.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from ..lambda_limits import SYNC_RESPONSE_LIMIT
from ..model import Request, Response
from .base import DEFAULT_GATEWAY_CONTEXT, EventSource, GatewayContext
from .payload_v2 import (
    v2_event_to_request,
    v2_request_to_event,
    v2_response_to_result,
    v2_result_to_response,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SOURCE"]


def matches(event: Mapping[str, Any]) -> bool:
    context = event.get("requestContext")
    domain = context.get("domainName") if context.__class__ is dict else None
    return domain.__class__ is str and ".lambda-url." in domain


#: The 2.0 payload, its path as the client sent it.
event_to_request = partial(v2_event_to_request, "url", False)


def request_to_event(
    request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> dict[str, Any]:
    # The URL id is 32 lower-case characters; the API id stands in for it.
    url_id = gateway.api_id.lower().ljust(32, "0")[:32]
    domain = gateway.domain_name or f"{url_id}.lambda-url.{gateway.region}.on.aws"
    event = v2_request_to_event(
        request, gateway, domain=domain, api_id=url_id, stage="$default", path=request.raw_path
    )
    cookies = event.get("cookies")
    if cookies:
        event["headers"]["cookie"] = "; ".join(cookies)
    return event


def result_to_response(
    result: Any, request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> Response:
    # Function URLs infer a missing statusCode exactly as HTTP API payload 2.0 does.
    return v2_result_to_response(result)


SOURCE = EventSource(
    name="url",
    version="2.0",
    matches=matches,
    event_to_request=event_to_request,
    response_to_result=v2_response_to_result,
    request_to_event=request_to_event,
    result_to_response=result_to_response,
    result_limit=SYNC_RESPONSE_LIMIT,
)
