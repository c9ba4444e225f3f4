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
from functools import partial

from ..errors import ResultError
from ..model import Request, Response
from .addressing import scheme_and_server
from .base import DEFAULT_GATEWAY_CONTEXT, EventSource, GatewayContext, Options
from .encoding import (
    body_from_event,
    body_to_event,
    query_from_raw_multi_map,
    query_from_raw_pairs,
    query_to_raw_pairs,
    travels_as_text,
    wire_path,
)
from .fields import (
    FAILURES,
    FieldError,
    flag,
    header_map,
    list_of,
    malformed,
    map_of,
    obj,
    shown,
    text,
    text_or,
)
from .headers import (
    RenderedHeaders,
    case_variant,
    forwarded_in_map,
    forwarded_in_multi_map,
    header_in_map,
    headers_from_map,
    headers_from_multi_map,
    headers_to_multi_map,
    render_headers,
    take_set_cookie,
)
from .reason_phrases import reason_phrase

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SOURCE", "SOURCE_MULTI"]

#: "The maximum size of the response JSON that the Lambda function can send is 1 MB."
ALB_RESULT_LIMIT = 1_048_576

#: ALB sends request bodies of these types (and ``text/*``) as text and every other body
#: base64 (same AWS page, "Receive events from the load balancer").
REQUEST_TEXT_MIME_TYPES = frozenset(
    {"application/json", "application/javascript", "application/xml"}
)

_NOTHING: Mapping[str, Any] = {}

#: The fields of an ALB event the translation reads, in the types AWS sends them.
FIELDS = obj(
    httpMethod=text(required=True, ascii=True),
    multiValueHeaders=header_map(list_of(text())),
    headers=header_map(text()),
    path=text(path=True),
    multiValueQueryStringParameters=map_of(list_of(text())),
    queryStringParameters=map_of(text()),
    body=text(),
    isBase64Encoded=flag(),
)


def matches(event: Mapping[str, Any]) -> bool:
    context = event.get("requestContext")
    return context.__class__ is dict and "elb" in context


def matches_multi(event: Mapping[str, Any]) -> bool:
    # Multi-value mode sends the multi-value maps (the single ones absent or null), even when
    # empty: a health check must be answered in the target group's mode too.
    context = event.get("requestContext")
    return (
        context.__class__ is dict
        and "elb" in context
        and (
            event.get("multiValueHeaders") is not None
            or event.get("multiValueQueryStringParameters") is not None
        )
    )


def alb_event_to_request(
    source: str, event: Mapping[str, Any], context: Any, options: Options
) -> Request:
    """A request from an ALB event, or :class:`MalformedEvent` naming ``source`` (the same
    event in both header modes; the result is what differs) and the field."""
    try:
        method = event["httpMethod"]
        if not method or not method.isascii():
            raise ValueError("httpMethod")
        multi = event.get("multiValueHeaders")
        if multi is not None:
            headers = headers_from_multi_map(multi)
            host, proto, port = forwarded_in_multi_map(multi)
            forwarded_for = _last(header_in_map(multi, "x-forwarded-for", "X-Forwarded-For"))
        else:
            single = event.get("headers")
            if single is None:
                single = _NOTHING
            headers = headers_from_map(single)
            host, proto, port = forwarded_in_map(single)
            forwarded_for = header_in_map(single, "x-forwarded-for", "X-Forwarded-For")
        scheme, server = scheme_and_server(host, proto, port, None)
        path = event.get("path")
        if path.__class__ is not str or not path:
            path = text_or(path, "/")
        if path[0] != "/":
            raise ValueError("path")
        multi_query = event.get("multiValueQueryStringParameters")
        if multi_query is not None:
            query_string = query_from_raw_multi_map(multi_query)
        else:
            single_query = event.get("queryStringParameters")
            query_string = (
                "" if single_query is None else query_from_raw_pairs(single_query.items())
            )
        body = event.get("body")
        is_base64 = event.get("isBase64Encoded")
        if is_base64 is False and body.__class__ is str:
            body = body.encode("utf-8")
        else:
            body = body_from_event(body, is_base64)
        # ALB appends the peer it saw to X-Forwarded-For: the last entry is the only one it
        # vouches for (health checks carry no headers at all).
        client = _client(forwarded_for) if forwarded_for else None
        return Request(
            method, wire_path(path), None, query_string, headers, body, scheme, server, client, "",
            event, context,
        )  # fmt: skip
    except FAILURES as failure:
        raise malformed(source, FIELDS, event, failure) from None


event_to_request = partial(alb_event_to_request, "alb")
event_to_request_multi = partial(alb_event_to_request, "alb-multi")


def _client(forwarded_for: str) -> tuple[str, int]:
    address = forwarded_for.rpartition(",")[2].strip()
    if not address.isascii():
        raise FieldError(
            "headers: X-Forwarded-For must end with the address ALB saw, got "
            + shown(forwarded_for)
        )
    return address, 0


def _last(values: list[str] | None) -> str | None:
    return values[-1] if values else None


def status_description(status: int) -> str:
    """``"200 OK"``: ALB wants the code and reason phrase "separated by a single space"."""
    return f"{status} {reason_phrase(status)}"


def _result(response: Response, options: Options) -> tuple[dict[str, Any], RenderedHeaders]:
    rendered = render_headers(response.headers, options)
    body, is_base64 = body_to_event(response.body, rendered[3])
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
    set_cookie = take_set_cookie(rendered)
    headers, repeated, _, _ = rendered
    for name, values in repeated.items():
        headers[name] = ", ".join(values)
    if set_cookie is not None:
        name, values = set_cookie
        index = 0
        for value in values:
            # The app's own spelling may equal a later variant ("Set-cookie"): skip it.
            while case_variant(name, index) in headers:
                index += 1
            headers[case_variant(name, index)] = value
            index += 1
    result["headers"] = headers
    return result


def response_to_result_multi(
    response: Response, request: Request, options: Options
) -> dict[str, Any]:
    result, (single, repeated, _, _) = _result(response, options)
    result["multiValueHeaders"] = {
        name: repeated.get(name) or [value] for name, value in single.items()
    }
    return result


def _request_to_event(request: Request, gateway: GatewayContext, multi: bool) -> dict[str, Any]:
    as_text = travels_as_text(request.header("content-type"), REQUEST_TEXT_MIME_TYPES)
    body, is_base64 = body_to_event(request.body, as_text)
    multi_headers = headers_to_multi_map(request.headers)
    multi_query: dict[str, list[str]] = {}
    for key, value in query_to_raw_pairs(request.query_string):
        multi_query.setdefault(key, []).append(value)
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": gateway.target_group_arn}},
        "httpMethod": request.method,
        "path": request.raw_path,
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
    request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> dict[str, Any]:
    return _request_to_event(request, gateway, multi=False)


def request_to_event_multi(
    request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> dict[str, Any]:
    return _request_to_event(request, gateway, multi=True)


def _result_to_response(result: Any, multi: bool) -> Response:
    """ALB answers 502 for a result without a numeric ``statusCode``, with ``null`` values, or
    with the header map of the other mode (awsdocs/elb-application-load-balancers-user-guide#33,
    aws/aws-lambda-dotnet#507; troubleshooting: "The target response is malformed")."""
    from .results import result_body, result_headers, result_mapping, result_status

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
    result: Any, request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> Response:
    return _result_to_response(result, multi=False)


def result_to_response_multi(
    result: Any, request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> Response:
    return _result_to_response(result, multi=True)


SOURCE = EventSource(
    name="alb",
    version=None,
    matches=matches,
    event_to_request=event_to_request,
    response_to_result=response_to_result,
    request_to_event=request_to_event,
    result_to_response=result_to_response,
    result_limit=ALB_RESULT_LIMIT,
)

SOURCE_MULTI = EventSource(
    name="alb-multi",
    version=None,
    matches=matches_multi,
    event_to_request=event_to_request_multi,
    response_to_result=response_to_result_multi,
    request_to_event=request_to_event_multi,
    result_to_response=result_to_response_multi,
    result_limit=ALB_RESULT_LIMIT,
)
