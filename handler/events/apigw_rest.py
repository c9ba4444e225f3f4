"""API Gateway REST API, Lambda proxy integration (the "1.0" payload, without ``version``).

Event and result format:
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html

The path arrives percent-encoded, without the stage, which shows only in
``requestContext.path``. Header names keep the case the client sent them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from ..lambda_limits import SYNC_RESPONSE_LIMIT
from ..model import Request, Response
from .base import DEFAULT_GATEWAY_CONTEXT, EventSource, GatewayContext
from .encoding import is_binary_media_type
from .headers import response_header
from .payload_v1 import v1_event_to_request, v1_request_to_event, v1_response_to_result

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SOURCE"]


def matches(event: Mapping[str, Any]) -> bool:
    # A REQUEST authorizer's event has httpMethod too; its methodArn tells it apart
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html).
    return "httpMethod" in event and "methodArn" not in event


#: The 1.0 payload, its path as the client sent it.
event_to_request = partial(v1_event_to_request, "rest", False)


def request_to_event(
    request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> dict[str, Any]:
    path = request.raw_path
    return v1_request_to_event(
        request, gateway, version=None, path=path, context_path=request.root_path + path
    )


_REST_RESULT_KEYS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)


def result_to_response(
    result: Any, request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> Response:
    """What REST API sends the client for a proxy result.

    REST is strict: anything but the five documented keys is a malformed proxy response
    (502). A base64 body is turned back into bytes only when the request's first ``Accept``
    type or the response's ``Content-Type`` is a binary media type; otherwise the client
    gets the base64 text (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html).
    Without a ``Content-Type`` the client gets ``application/json``.
    """
    from .results import result_body, result_headers, result_mapping, result_status

    mapping = result_mapping(result, _REST_RESULT_KEYS)
    status = result_status(mapping)
    headers = result_headers(mapping, multi=True)
    accept = request.header("accept")
    first_accept = accept.split(",")[0] if accept else None
    content_type = response_header(headers, "content-type")
    binary = is_binary_media_type(first_accept, gateway.binary_media_types) or (
        is_binary_media_type(content_type, gateway.binary_media_types)
    )
    if content_type is None:
        # API Gateway's own default (aws/aws-sam-cli#1218: "If a lambda function does not set
        # the Content-Type response header, then the API Gateway will default it to
        # application/json"; localstack/localstack#6170, checked against AWS).
        headers.append(("Content-Type", "application/json"))
    return Response(status=status, headers=headers, body=result_body(mapping, decode_base64=binary))


SOURCE = EventSource(
    name="rest",
    version=None,
    matches=matches,
    event_to_request=event_to_request,
    response_to_result=v1_response_to_result,
    request_to_event=request_to_event,
    result_to_response=result_to_response,
    result_limit=SYNC_RESPONSE_LIMIT,
)
