"""Application Load Balancer Lambda targets, single- and multi-value header modes.

https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html

ALB passes the path and query parameters as the client sent them, still percent-encoded ("If
the query parameters are URL-encoded, the load balancer does not decode them"), so they are
joined, never encoded a second time. The result must answer in the header mode the target
group uses ("You must use multiValueHeaders if you have enabled multi-value headers and
headers otherwise"); the request tells which.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import MalformedEvent, ResultError
from ..model import Request, Response
from .addressing import forwarded_headers, scheme_and_server
from .base import DEFAULT_INVOCATION, EventSource, Invocation, Options
from .encoding import (
    body_from_event,
    body_to_event,
    body_to_result,
    decode_path,
    query_from_raw_map,
    query_to_raw_pairs,
)
from .headers import (
    RenderedHeaders,
    header_text,
    headers_to_multi_map,
    render_headers,
    single_or_multi,
)
from .results import result_body, result_headers, result_mapping, result_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SOURCE", "SOURCE_MULTI"]

#: "The maximum size of the response JSON that the Lambda function can send is 1 MB."
ALB_RESULT_LIMIT = 1_048_576

# ALB sends these as text and every other body base64 (same AWS page, "Receive events").
_ALB_TEXT_TYPES = frozenset({"application/json", "application/javascript", "application/xml"})


def matches(event: Mapping[str, Any]) -> bool:
    return "elb" in (event.get("requestContext") or {})


def matches_multi(event: Mapping[str, Any]) -> bool:
    # Multi-value mode sends the multi-value maps (the single ones absent or null), even when
    # empty: a health check must be answered in the target group's mode too.
    return matches(event) and (
        event.get("multiValueHeaders") is not None
        or event.get("multiValueQueryStringParameters") is not None
    )


def event_to_request(event: Mapping[str, Any], context: Any, options: Options) -> Request:
    method = event.get("httpMethod")
    if not method or not isinstance(method, str):
        raise MalformedEvent("ALB event has no httpMethod")
    headers = single_or_multi(event.get("headers"), event.get("multiValueHeaders"))
    scheme, server = scheme_and_server(*forwarded_headers(headers), None)
    path, raw = decode_path(event.get("path") or "/")
    query = event.get("multiValueQueryStringParameters") or event.get("queryStringParameters")
    # ALB appends the peer it saw to X-Forwarded-For: the last entry is the only one it vouches
    # for (health checks carry no headers at all).
    client = None
    for name, value in reversed(headers):
        if name == b"x-forwarded-for":
            client = (value.decode("latin-1").rpartition(",")[2].strip(), 0)
            break
    return Request(
        method=method,
        path=path,
        raw_path=raw,
        query_string=query_from_raw_map(query) if query else b"",
        headers=headers,
        body=body_from_event(event.get("body"), event.get("isBase64Encoded")),
        scheme=scheme,
        server=server,
        client=client,
        event=event,
        context=context,
    )


def status_description(status: int) -> str:
    """``"200 OK"``: ALB wants the code and reason phrase "separated by a single space"."""
    from http import HTTPStatus  # here, not at import: it builds an enum (cold start)

    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _result(response: Response, options: Options) -> tuple[dict[str, Any], RenderedHeaders]:
    rendered = render_headers(response.headers, options.exclude_headers)
    body, is_base64 = body_to_result(
        response.body, rendered.content_type, rendered.content_encoding, options.text_mime_types
    )
    result = {
        "statusCode": response.status,
        "statusDescription": status_description(response.status),
        "body": body,
        "isBase64Encoded": is_base64,
    }
    return result, rendered


def response_to_result(response: Response, request: Request, options: Options) -> dict[str, Any]:
    """Single-value mode: one string per name. Repeated ``Set-Cookie`` headers are sent under
    names that differ only in case, which ALB passes on as separate headers; other repeats are
    joined with commas."""
    result, rendered = _result(response, options)
    headers: dict[str, str] = {}
    for name, values in rendered.groups.items():
        if name.lower() == "set-cookie":
            index = 0
            for value in values:
                # The app's own spelling may equal a later variant ("Set-cookie"): skip it.
                while _case_variant(name, index) in headers:
                    index += 1
                headers[_case_variant(name, index)] = value
                index += 1
        else:
            headers[name] = ", ".join(values)
    result["headers"] = headers
    return result


def response_to_result_multi(
    response: Response, request: Request, options: Options
) -> dict[str, Any]:
    result, rendered = _result(response, options)
    result["multiValueHeaders"] = rendered.groups
    return result


def _case_variant(name: str, index: int) -> str:
    """The ``index``-th spelling of ``name`` by upper-casing letters in binary counting order:
    distinct for up to 2**letters repeats (1024 for ``set-cookie``)."""
    if index == 0:
        return name
    chars = list(name.lower())
    letters = [i for i, char in enumerate(chars) if char.isalpha()]
    for bit, position in enumerate(letters):
        if index >> bit & 1:
            chars[position] = chars[position].upper()
    return "".join(chars)


def _request_to_event(request: Request, invocation: Invocation, multi: bool) -> dict[str, Any]:
    content_type = header_text(request.headers, b"content-type")
    mime = content_type.partition(";")[0].strip().lower() if content_type else ""
    as_text = mime.startswith("text/") or mime in _ALB_TEXT_TYPES
    body, is_base64 = body_to_event(request.body, as_text)
    multi_headers = headers_to_multi_map(
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers
    )
    multi_query: dict[str, list[str]] = {}
    for key, value in query_to_raw_pairs(request.query_string):
        multi_query.setdefault(key, []).append(value)
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": invocation.target_group_arn}},
        "httpMethod": request.method,
        "path": request.raw_path.decode("ascii"),
    }
    # "If you do not enable multi-value header syntax and a header or query parameter has
    # multiple values, the load balancer uses the last value that it receives."
    if multi:
        event["multiValueQueryStringParameters"] = multi_query
        event["multiValueHeaders"] = multi_headers
    else:
        event["queryStringParameters"] = {k: v[-1] for k, v in multi_query.items()}
        event["headers"] = {k: v[-1] for k, v in multi_headers.items()}
    event["body"] = body
    event["isBase64Encoded"] = is_base64
    return event


def request_to_event(
    request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> dict[str, Any]:
    return _request_to_event(request, invocation, multi=False)


def request_to_event_multi(
    request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> dict[str, Any]:
    return _request_to_event(request, invocation, multi=True)


def _result_to_response(result: Any, multi: bool) -> Response:
    """ALB answers 502 for a result without a numeric ``statusCode``, with ``null`` values, or
    with the header map of the other mode (awsdocs/elb-application-load-balancers-user-guide#33,
    aws/aws-lambda-dotnet#507; troubleshooting: "The target response is malformed")."""
    mapping = result_mapping(result, None)
    if not isinstance(mapping.get("statusCode"), int):
        raise ResultError(f"statusCode must be a number, got {mapping.get('statusCode')!r}")
    nulls = sorted(key for key, value in mapping.items() if value is None)
    if nulls:
        raise ResultError(f"the result has null values for {nulls}")
    wrong = "headers" if multi else "multiValueHeaders"
    if wrong in mapping:
        mode = "enabled" if multi else "disabled"
        raise ResultError(f"the result uses {wrong!r} but multi-value headers are {mode}")
    return Response(
        status=result_status(mapping),
        headers=result_headers(mapping, multi=multi, single=not multi),
        body=result_body(mapping),
    )


def result_to_response(
    result: Any, request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> Response:
    return _result_to_response(result, multi=False)


def result_to_response_multi(
    result: Any, request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> Response:
    return _result_to_response(result, multi=True)


SOURCE = EventSource(
    name="alb",
    matches=matches,
    event_to_request=event_to_request,
    response_to_result=response_to_result,
    request_to_event=request_to_event,
    result_to_response=result_to_response,
    result_limit=ALB_RESULT_LIMIT,
)

SOURCE_MULTI = EventSource(
    name="alb-multi",
    matches=matches_multi,
    event_to_request=event_to_request,
    response_to_result=response_to_result_multi,
    request_to_event=request_to_event_multi,
    result_to_response=result_to_response_multi,
    result_limit=ALB_RESULT_LIMIT,
)
