"""The answers each AWS front gives on its own when the function behind it cannot answer.

A front is what the client talks to: a REST API, an HTTP API, a function URL or an ALB. When
the function raises, times out, returns a result the front cannot read, or returns too much,
the client never sees the function's words: it sees the front's own error, and each front has
its own status and body. They are collected here, one row per front, each with its source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from .route_matching import GatewayAnswer

__all__ = ["FRONT_ERRORS", "FrontErrors", "FrontKind"]

#: The fronts ``lambgate serve`` emulates: API types, function URLs and ALB target modes.
FrontKind = Literal["rest", "http", "url", "alb", "alb-multi"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontErrors:
    """What one kind of front answers instead of the function's result."""

    #: The function raised, timed out, crashed, returned a malformed result or a response over
    #: Lambda's 6 MB limit: the invocation ran and failed.
    function_failed: GatewayAnswer
    #: The front stopped waiting (its integration timeout); ``None`` where there is none
    #: shorter than the function's own timeout.
    integration_timeout: GatewayAnswer | None
    #: Lambda refused the invocation before running it (an event over 6 MB).
    invoke_refused: GatewayAnswer
    #: The response header carrying the front's request id, if it sends one.
    request_id_header: str | None


def _json(status: int, body: dict[str, str], *, separators: tuple[str, str]) -> GatewayAnswer:
    return GatewayAnswer(
        status=status,
        headers=(("content-type", "application/json"),),
        body=json.dumps(body, separators=separators).encode(),
    )


#: REST's own bodies keep the space after the colon, as the AWS page quotes them.
_REST = (", ", ": ")
#: HTTP API's bodies are compact (``{"message":"Internal Server Error"}``, AWS page below).
_HTTP = (",", ":")

_ALB_502 = GatewayAnswer(
    status=502,
    headers=(("content-type", "text/html"),),
    # ALB's own error page (serverless-express#688 quotes its title; the shape is ELB's
    # fixed response page).
    body=(
        b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
    ),
)

FRONT_ERRORS: dict[FrontKind, FrontErrors] = {
    # "If the Lambda API rejects the invocation request, API Gateway returns a 500 error code.
    # If the function runs but returns an error, or returns a response in the wrong format,
    # API Gateway returns a 502. In both cases, the body of the response from API Gateway is
    # {"message": "Internal server error"}."
    # (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html)
    # The 29 s integration timeout answers 504 "Endpoint request timed out"
    # (https://repost.aws/knowledge-center/api-gateway-504-errors).
    "rest": FrontErrors(
        function_failed=_json(502, {"message": "Internal server error"}, separators=_REST),
        integration_timeout=_json(504, {"message": "Endpoint request timed out"}, separators=_REST),
        invoke_refused=_json(500, {"message": "Internal server error"}, separators=_REST),
        request_id_header="x-amzn-requestid",
    ),
    # "My API with a Lambda integration returns {"message":"Internal Server Error"}" for
    # function errors and results in the wrong format
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html),
    # with status 500 (denoland/deno_registry2#87). The 30 s integration timeout answers 503
    # "Service Unavailable" (anomalyco/sst#2232: "originating from API Gateway itself").
    "http": FrontErrors(
        function_failed=_json(500, {"message": "Internal Server Error"}, separators=_HTTP),
        integration_timeout=_json(503, {"message": "Service Unavailable"}, separators=_HTTP),
        invoke_refused=_json(500, {"message": "Internal Server Error"}, separators=_HTTP),
        request_id_header="apigw-requestid",
    ),
    # AWS does not document it; a function error through a function URL is reported as 502
    # with the plain text "Internal Server Error" (awsdocs/aws-lambda-developer-guide#430).
    # A function URL waits for the function's own timeout: there is no shorter one.
    "url": FrontErrors(
        function_failed=GatewayAnswer(
            status=502,
            headers=(("content-type", "text/plain; charset=utf-8"),),
            body=b"Internal Server Error",
        ),
        integration_timeout=None,
        invoke_refused=GatewayAnswer(
            status=413,
            headers=(("content-type", "text/plain; charset=utf-8"),),
            body=b"Request Entity Too Large",
        ),
        request_id_header="x-amzn-requestid",
    ),
    # ALB answers 502 when "The target response is malformed", "the response body exceeds
    # 1 MB" or the function "did not respond before its configured timeout", and 413 when
    # "the request body exceeds 1 MB" (https://docs.aws.amazon.com/elasticloadbalancing/latest/
    # application/load-balancer-troubleshooting.html).
    "alb": FrontErrors(
        function_failed=_ALB_502,
        integration_timeout=None,
        invoke_refused=GatewayAnswer(
            status=413,
            headers=(("content-type", "text/html"),),
            body=(
                b"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n"
                b"<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n"
                b"</body>\r\n</html>\r\n"
            ),
        ),
        request_id_header=None,
    ),
}
FRONT_ERRORS["alb-multi"] = FRONT_ERRORS["alb"]
