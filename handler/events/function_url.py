"""Lambda function URLs: the payload 2.0 format on ``<url-id>.lambda-url.<region>.on.aws``.

https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html

Unlike HTTP APIs, function URLs keep the path percent-encoded in ``rawPath`` and keep the
``cookie`` header beside the ``cookies`` list (live captures in hotsock/voker
``vokerhttp/testdata/functionurl-request.json``); there is no stage and no route.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..model import Request, Response
from .apigw_http import (
    response_to_result,
    v2_event_to_request,
    v2_request_to_event,
    v2_result_to_response,
)
from .apigw_rest import LAMBDA_RESULT_LIMIT
from .base import DEFAULT_INVOCATION, EventSource, Invocation, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SOURCE"]


def matches(event: Mapping[str, Any]) -> bool:
    if event.get("version") != "2.0":
        return False
    domain = (event.get("requestContext") or {}).get("domainName") or ""
    return ".lambda-url." in domain


def event_to_request(event: Mapping[str, Any], context: Any, options: Options) -> Request:
    return v2_event_to_request(event, context, options, path_is_decoded=False)


def request_to_event(
    request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> dict[str, Any]:
    # The URL id is 32 lower-case characters; the API id stands in for it.
    url_id = invocation.api_id.lower().ljust(32, "0")[:32]
    domain = invocation.domain_name or f"{url_id}.lambda-url.{invocation.region}.on.aws"
    event = v2_request_to_event(
        request,
        invocation,
        domain=domain,
        api_id=url_id,
        stage="$default",
        path=request.raw_path.decode("ascii"),
    )
    cookies = event.get("cookies")
    if cookies:
        event["headers"]["cookie"] = "; ".join(cookies)
    return event


def result_to_response(
    result: Any, request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> Response:
    # Function URLs infer a missing statusCode exactly as HTTP API payload 2.0 does.
    return v2_result_to_response(result)


SOURCE = EventSource(
    name="url",
    matches=matches,
    event_to_request=event_to_request,
    response_to_result=response_to_result,
    request_to_event=request_to_event,
    result_to_response=result_to_response,
    result_limit=LAMBDA_RESULT_LIMIT,
)
