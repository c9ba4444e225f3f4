"""API Gateway HTTP API, Lambda proxy integration, payload format 1.0 and 2.0.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html

HTTP APIs deliver the path percent-*decoded* (``rawPath`` despite its name, and payload
1.0's ``path``), cut at a decoded ``?``: live captures in hotsock/voker
``vokerhttp/testdata/ingress-paths.json``, cited by middleapi/standard-server#93. The raw path
is therefore rebuilt by encoding, and ``%2F`` cannot survive an HTTP API.

On a named stage the path carries the stage (``/dev/items``); on ``$default`` and through a
custom domain mapping it does not ("rawPath doesn't provide the API mapping value", same page).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from ..lambda_limits import SYNC_RESPONSE_LIMIT
from ..model import Request, Response
from .addressing import DEFAULT_DOMAIN_SUFFIXES
from .base import DEFAULT_GATEWAY_CONTEXT, EventSource, GatewayContext
from .payload_v1 import v1_event_to_request, v1_request_to_event, v1_response_to_result
from .payload_v2 import (
    v2_event_to_request,
    v2_request_to_event,
    v2_response_to_result,
    v2_result_to_response,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SOURCE", "SOURCE_V1"]


def matches(event: Mapping[str, Any]) -> bool:
    # VPC Lattice v2 also says "2.0" but has no routeKey. An HTTP API authorizer's event has
    # one, and a routeArn that tells it apart
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
    return "routeKey" in event and "routeArn" not in event


def matches_v1(event: Mapping[str, Any]) -> bool:
    # A payload 1.0 authorizer event has httpMethod too, and a methodArn.
    return "httpMethod" in event and "methodArn" not in event


#: The 2.0 payload, its path delivered decoded.
event_to_request = partial(v2_event_to_request, "http", True)
#: The 1.0 payload, its path delivered decoded and led by a named stage.
event_to_request_v1 = partial(v1_event_to_request, "http-v1", True)


def request_to_event(
    request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> dict[str, Any]:
    # On AWS's own domain a named stage leads rawPath; through a custom domain the API
    # mapping's prefix does not appear in rawPath at all.
    host = request.header("host")
    on_aws_domain = host is None or host.partition(":")[0].endswith(DEFAULT_DOMAIN_SUFFIXES)
    prefix = request.root_path if on_aws_domain else ""
    return v2_request_to_event(
        request,
        gateway,
        domain=gateway.domain_name or gateway.execute_api_domain(),
        api_id=gateway.api_id,
        stage=gateway.stage or prefix.strip("/") or "$default",
        path=prefix + request.path,
    )


def request_to_event_v1(
    request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> dict[str, Any]:
    path = request.root_path + request.path
    return v1_request_to_event(request, gateway, version="1.0", path=path, context_path=path)


def result_to_response(
    result: Any, request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> Response:
    return v2_result_to_response(result)


def result_to_response_v1(
    result: Any, request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> Response:
    """Payload 1.0 has no inference: the result must carry ``statusCode``."""
    from .results import result_body, result_headers, result_mapping, result_status

    mapping = result_mapping(result, None)
    return Response(
        status=result_status(mapping),
        headers=result_headers(mapping, multi=True),
        body=result_body(mapping),
    )


SOURCE = EventSource(
    name="http",
    version="2.0",
    matches=matches,
    event_to_request=event_to_request,
    response_to_result=v2_response_to_result,
    request_to_event=request_to_event,
    result_to_response=result_to_response,
    result_limit=SYNC_RESPONSE_LIMIT,
)

SOURCE_V1 = EventSource(
    name="http-v1",
    version="1.0",
    matches=matches_v1,
    event_to_request=event_to_request_v1,
    # Payload 1.0 results are rendered exactly as REST's.
    response_to_result=v1_response_to_result,
    request_to_event=request_to_event_v1,
    result_to_response=result_to_response_v1,
    result_limit=SYNC_RESPONSE_LIMIT,
)
