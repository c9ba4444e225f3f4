"""Every answer an AWS front gives on its own, without the function's words, in one place.

A front is what the client talks to: a REST API, an HTTP API, a function URL or an ALB. It
answers by itself when no route takes a request, when it cannot read the request's path, and
when the function raises, times out, returns a result the front cannot read, or returns too
much: the client then sees the front's own status and body, which differ by kind of front.
They are collected here, each with its source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from lambgate.local.front.messages import ERROR_BODIES
from lambgate.local.template.specs import ApiKind

__all__ = [
    "BAD_REQUEST",
    "FRONT_ERRORS",
    "FrontErrors",
    "FrontKind",
    "GatewayAnswer",
    "no_route_answer",
]

#: The fronts ``lambgate serve`` emulates: API types, function URLs and ALB target modes.
FrontKind = Literal["rest", "http", "url", "alb", "alb-multi", "edge", "lattice", "lattice-v2"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayAnswer:
    """A response the gateway gives on its own, without calling a function."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


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


_JSON = ("content-type", "application/json")
#: API Gateway's own JSON bodies are compact (``{"message":"Internal Server Error"}``)...
_COMPACT = (",", ":")
#: ...except REST's 5xx answers, which keep the space after the colon, as AWS's page quotes them.
_SPACED = (", ", ": ")


def _message(
    status: int, message: str, *extra: tuple[str, str], separators: tuple[str, str] = _COMPACT
) -> GatewayAnswer:
    """API Gateway's ``{"message": ...}`` answer."""
    body = json.dumps({"message": message}, separators=separators).encode()
    return GatewayAnswer(status=status, headers=(_JSON, *extra), body=body)


def _plain(status: int, text: str) -> GatewayAnswer:
    """A function URL's plain-text answer."""
    headers = (("content-type", "text/plain; charset=utf-8"),)
    return GatewayAnswer(status=status, headers=headers, body=text.encode())


def _alb_page(status: int, reason: str) -> GatewayAnswer:
    """ALB's own error page (serverless-express#688 quotes its title; the shape is ELB's
    fixed response page)."""
    body = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return GatewayAnswer(
        status=status, headers=(("content-type", "text/html"),), body=body.encode()
    )


#: What each API type answers for a request no route takes. REST hides which paths exist behind
#: a 403 (https://repost.aws/knowledge-center/api-gateway-authentication-token-errors), with the
#: ``x-amzn-ErrorType`` header real responses carry; HTTP APIs answer 404
#: (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
#: Request-id headers are per request: the gateway adds them.
_NO_ROUTE_ANSWERS: dict[ApiKind, GatewayAnswer] = {
    "rest": _message(
        403,
        "Missing Authentication Token",
        ("x-amzn-errortype", "MissingAuthenticationTokenException"),
    ),
    "http": _message(404, "Not Found"),
}


def no_route_answer(kind: ApiKind) -> GatewayAnswer:
    """The answer an API of ``kind`` gives when no route matches the request."""
    return _NO_ROUTE_ANSWERS[kind]


#: HTTP API's answer to a path it cannot decode (live captures, hotsock/voker
#: ``vokerhttp/testdata/ingress-paths.json``: ``/capture/percent%25done`` gets a 400): the same
#: body as the HTTP front's own 400 for a request it cannot parse.
BAD_REQUEST = GatewayAnswer(status=400, headers=(_JSON,), body=ERROR_BODIES[400])

#: "If the Lambda API rejects the invocation request, API Gateway returns a 500 error code.
#: If the function runs but returns an error, or returns a response in the wrong format,
#: API Gateway returns a 502. In both cases, the body of the response from API Gateway is
#: {"message": "Internal server error"}."
#: (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html)
_REST_INTERNAL_ERROR = "Internal server error"
#: "My API with a Lambda integration returns {"message":"Internal Server Error"}" for
#: function errors and results in the wrong format
#: (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html),
#: with status 500 (denoland/deno_registry2#87), and for an invocation Lambda refused.
_HTTP_INTERNAL_ERROR = _message(500, "Internal Server Error")

FRONT_ERRORS: dict[FrontKind, FrontErrors] = {
    # The 29 s integration timeout answers 504 "Endpoint request timed out"
    # (https://repost.aws/knowledge-center/api-gateway-504-errors).
    "rest": FrontErrors(
        function_failed=_message(502, _REST_INTERNAL_ERROR, separators=_SPACED),
        integration_timeout=_message(504, "Endpoint request timed out", separators=_SPACED),
        invoke_refused=_message(500, _REST_INTERNAL_ERROR, separators=_SPACED),
        request_id_header="x-amzn-requestid",
    ),
    # The 30 s integration timeout answers 503 "Service Unavailable" (anomalyco/sst#2232:
    # "originating from API Gateway itself").
    "http": FrontErrors(
        function_failed=_HTTP_INTERNAL_ERROR,
        integration_timeout=_message(503, "Service Unavailable"),
        invoke_refused=_HTTP_INTERNAL_ERROR,
        request_id_header="apigw-requestid",
    ),
    # AWS does not document it; a function error through a function URL is reported as 502
    # with the plain text "Internal Server Error" (awsdocs/aws-lambda-developer-guide#430).
    # A function URL waits for the function's own timeout: there is no shorter one.
    "url": FrontErrors(
        function_failed=_plain(502, "Internal Server Error"),
        integration_timeout=None,
        invoke_refused=_plain(413, "Request Entity Too Large"),
        request_id_header="x-amzn-requestid",
    ),
    # ALB answers 502 when "The target response is malformed", "the response body exceeds
    # 1 MB" or the function "did not respond before its configured timeout", and 413 when
    # "the request body exceeds 1 MB" (https://docs.aws.amazon.com/elasticloadbalancing/latest/
    # application/load-balancer-troubleshooting.html).
    "alb": FrontErrors(
        function_failed=_alb_page(502, "Bad Gateway"),
        integration_timeout=None,
        invoke_refused=_alb_page(413, "Request Entity Too Large"),
        request_id_header=None,
    ),
}
FRONT_ERRORS["alb-multi"] = FRONT_ERRORS["alb"]
# CloudFront answers 502 when the function fails or its result "failed validation"
# (LambdaExecutionError, LambdaValidationError: https://docs.aws.amazon.com/AmazonCloudFront/
# latest/DeveloperGuide/http-502-bad-gateway.html), with its own error page, and 413 for a
# request over its limits.
FRONT_ERRORS["edge"] = FrontErrors(
    function_failed=_plain(502, "502 ERROR\nThe request could not be satisfied.\n"),
    integration_timeout=None,
    invoke_refused=_plain(413, "413 ERROR\nThe request could not be satisfied.\n"),
    request_id_header="x-amz-cf-id",
)
# VPC Lattice documents no error bodies of its own; it answers as a proxy does, 502.
FRONT_ERRORS["lattice"] = FRONT_ERRORS["lattice-v2"] = FrontErrors(
    function_failed=_plain(502, "Bad Gateway"),
    integration_timeout=None,
    invoke_refused=_plain(413, "Request Entity Too Large"),
    request_id_header=None,
)
