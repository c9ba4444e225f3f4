"""VPC Lattice Lambda targets, event structure version 1 and 2.

https://docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html

Version 1 is snake_case (``raw_path``, ``query_string_parameters``, ``is_base64_encoded``)
with one string per header and parameter. Version 2 is camelCase, says ``"version": "2.0"``,
carries a ``requestContext`` (service, service network and target group ARNs, the caller's
identity) and lists every value of a header or parameter. Version 2 is not HTTP API payload
2.0: it has a top-level ``method`` and no ``routeKey``, and detection keys on exactly that.

Both answer in one shape, ALB's single-value one: ``statusCode``, ``statusDescription``
(``"200 OK"``), ``headers`` with one string per name, ``isBase64Encoded`` and ``body``
(same page, "Respond to the VPC Lattice service"). Several ``Set-Cookie`` headers go out under
names that differ only in case, as through ALB.

The path arrives as the client sent it, still percent-encoded; query parameters arrive
decoded and are encoded again (as API Gateway's maps are). Version 1 events captured in AWS's
own libraries carry even a JSON body base64-encoded (aws-powertools
``tests/events/vpcLatticeEvent.json``), version 2 sends text bodies as text.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..lambda_limits import SYNC_RESPONSE_LIMIT
from ..model import Request, Response
from .addressing import scheme_and_server
from .base import DEFAULT_GATEWAY_CONTEXT, EventSource, GatewayContext, Options
from .encoding import (
    body_from_event,
    body_to_event,
    query_from_pairs,
    query_to_multi_map,
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
    case_variant,
    forwarded_in_map,
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

__all__ = ["SOURCE", "SOURCE_V2"]

_NOTHING: Mapping[str, Any] = {}

#: Request bodies version 2 passes as text besides ``text/*``; others travel base64.
REQUEST_TEXT_MIME_TYPES = frozenset(
    {"application/json", "application/javascript", "application/xml"}
)

FIELDS = obj(
    method=text(required=True, ascii=True),
    raw_path=text(required=True, path=True),
    headers=header_map(text()),
    query_string_parameters=map_of(text()),
    body=text(),
    is_base64_encoded=flag(),
)
#: Version 2 values are lists of strings, as AWS documents them; events AWS's libraries
#: captured earlier hold single strings (aws-powertools ``tests/events/vpcLatticeV2Event.json``),
#: and those are read too.
FIELDS_V2 = obj(
    method=text(required=True, ascii=True),
    path=text(required=True, path=True),
    headers=header_map(list_of(text())),
    queryStringParameters=map_of(list_of(text())),
    body=text(),
    isBase64Encoded=flag(),
)


def matches(event: Mapping[str, Any]) -> bool:
    return "raw_path" in event and "method" in event


def matches_v2(event: Mapping[str, Any]) -> bool:
    # HTTP API payload 2.0 also says "2.0", but keeps the method in requestContext.http and
    # always has a routeKey; Lattice has the method at the top and no routeKey.
    return "method" in event and "routeKey" not in event


def _client(forwarded_for: Any) -> tuple[str, int] | None:
    """The last ``X-Forwarded-For`` entry: the peer Lattice saw (the event has no other)."""
    if forwarded_for.__class__ is list:
        forwarded_for = forwarded_for[-1] if forwarded_for else None
    if not forwarded_for:
        return None
    address = forwarded_for.rpartition(",")[2].strip()
    if not address.isascii():
        raise FieldError(
            "headers: X-Forwarded-For must end with the address Lattice saw, got "
            + shown(forwarded_for)
        )
    return address, 0


def _path_and_query(path: Any) -> tuple[str, str | None]:
    """The path, and the query when the path carries one after ``?``."""
    path = text_or(path, "")
    if not path or path[0] != "/":
        raise ValueError("path")
    path, mark, query = path.partition("?")
    return wire_path(path), (query if mark else None)


def _body(body: Any, is_base64: Any) -> bytes:
    if is_base64 is False and body.__class__ is str:
        return body.encode("utf-8")
    return body_from_event(body, is_base64)


def event_to_request(event: Mapping[str, Any], context: Any, options: Options) -> Request:
    try:
        return _event_to_request(event, context)
    except FAILURES as failure:
        raise malformed("lattice", FIELDS, event, failure) from None


def _event_to_request(event: Mapping[str, Any], context: Any) -> Request:
    method = event["method"]
    if not method or not method.isascii():
        raise ValueError("method")
    single = event.get("headers")
    if single is None:
        single = _NOTHING
    headers = headers_from_map(single)
    scheme, server = scheme_and_server(*forwarded_in_map(single), None)
    raw_path, query = _path_and_query(event["raw_path"])
    if query is None:
        params = event.get("query_string_parameters")
        query = "" if params is None else query_from_pairs(list(params.items()))
    body = _body(event.get("body"), event.get("is_base64_encoded"))
    client = _client(header_in_map(single, "x-forwarded-for", "X-Forwarded-For"))
    return Request(
        method, raw_path, None, query, headers, body, scheme, server, client, "", event, context
    )


def event_to_request_v2(event: Mapping[str, Any], context: Any, options: Options) -> Request:
    try:
        return _event_to_request_v2(event, context)
    except FAILURES as failure:
        raise malformed("lattice-v2", FIELDS_V2, event, failure) from None


def _as_lists(values: Mapping[str, Any]) -> Mapping[str, list[str]]:
    """A map of lists from a version 2 map, whose values may also be single strings."""
    if all(value.__class__ is list for value in values.values()):
        return values
    return {key: value if value.__class__ is list else [value] for key, value in values.items()}


def _last(values: Any) -> Any:
    if values.__class__ is list:
        return values[-1] if values else None
    return values


def _event_to_request_v2(event: Mapping[str, Any], context: Any) -> Request:
    method = event["method"]
    if not method or not method.isascii():
        raise ValueError("method")
    multi = event.get("headers")
    multi = _NOTHING if multi is None else _as_lists(multi)
    headers = headers_from_multi_map(multi)
    host, proto, port = (
        _last(header_in_map(multi, "host", "Host")),
        _last(header_in_map(multi, "x-forwarded-proto", "X-Forwarded-Proto")),
        _last(header_in_map(multi, "x-forwarded-port", "X-Forwarded-Port")),
    )
    scheme, server = scheme_and_server(host, proto, port, None)
    raw_path, query = _path_and_query(event["path"])
    if query is None:
        params = event.get("queryStringParameters")
        query = (
            ""
            if params is None
            else query_from_pairs(
                [(key, value) for key, values in _as_lists(params).items() for value in values]
            )
        )
    body = _body(event.get("body"), event.get("isBase64Encoded"))
    client = _client(header_in_map(multi, "x-forwarded-for", "X-Forwarded-For"))
    return Request(
        method, raw_path, None, query, headers, body, scheme, server, client, "", event, context
    )


def response_to_result(response: Response, request: Request, options: Options) -> dict[str, Any]:
    """One string per header name; repeats are joined with commas, but ``Set-Cookie``, whose
    values cannot be joined, goes out under names that differ only in case."""
    rendered = render_headers(response.headers, options)
    set_cookie = take_set_cookie(rendered)
    headers, repeated, _, as_text = rendered
    for name, values in repeated.items():
        headers[name] = ", ".join(values)
    if set_cookie is not None:
        name, values = set_cookie
        index = 0
        for value in values:
            while case_variant(name, index) in headers:
                index += 1
            headers[case_variant(name, index)] = value
            index += 1
    body, is_base64 = body_to_event(response.body, as_text)
    return {
        "statusCode": response.status,
        "statusDescription": f"{response.status} {reason_phrase(response.status)}",
        "headers": headers,
        "isBase64Encoded": is_base64,
        "body": body,
    }


def request_to_event(
    request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> dict[str, Any]:
    """A version 1 event: the last value of a repeated header or parameter, every body
    base64 (as in the captured event named above)."""
    multi_headers = headers_to_multi_map(request.headers)
    params = query_to_multi_map(request.query_string)
    body, _ = body_to_event(request.body, False)
    return {
        "raw_path": request.root_path + request.raw_path,
        "method": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "query_string_parameters": {key: values[-1] for key, values in params.items()},
        "body": body,
        "is_base64_encoded": True,
    }


def request_to_event_v2(
    request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> dict[str, Any]:
    as_text = travels_as_text(request.header("content-type"), REQUEST_TEXT_MIME_TYPES)
    body, is_base64 = body_to_event(request.body, as_text)
    arn = f"arn:aws:vpc-lattice:{gateway.region}:{gateway.account_id}"
    event: dict[str, Any] = {
        "version": "2.0",
        "path": request.root_path + request.raw_path,
        "method": request.method,
        "headers": headers_to_multi_map(request.headers),
    }
    if request.query_string:
        event["queryStringParameters"] = query_to_multi_map(request.query_string)
    event["body"] = body
    event["isBase64Encoded"] = is_base64
    event["requestContext"] = {
        "serviceNetworkArn": f"{arn}:servicenetwork/sn-0bf3f2882e9cc805a",
        "serviceArn": f"{arn}:service/svc-0a40eebed65f8d69c",
        "targetGroupArn": f"{arn}:targetgroup/tg-6d0ecf831eec9f09",
        "identity": {"type": "NONE"},
        "region": gateway.region,
        # Microseconds, as a string.
        "timeEpoch": str(gateway.time_epoch_ms * 1000),
    }
    return event


def result_to_response(
    result: Any, request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> Response:
    """The result must carry a numeric ``statusCode``; headers are one string per name."""
    from ..errors import ResultError
    from .results import result_body, result_headers, result_mapping, result_status

    mapping = result_mapping(result, None)
    if "statusCode" not in mapping:
        raise ResultError("the result has no statusCode")
    return Response(
        status=result_status(mapping),
        headers=result_headers(mapping, multi=False),
        body=result_body(mapping),
    )


SOURCE = EventSource(
    name="lattice",
    version=None,
    matches=matches,
    event_to_request=event_to_request,
    response_to_result=response_to_result,
    request_to_event=request_to_event,
    result_to_response=result_to_response,
    # "The maximum size of the response JSON that the Lambda function can send is 6 MB."
    result_limit=SYNC_RESPONSE_LIMIT,
)

SOURCE_V2 = EventSource(
    name="lattice-v2",
    version="2.0",
    matches=matches_v2,
    event_to_request=event_to_request_v2,
    response_to_result=response_to_result,
    request_to_event=request_to_event_v2,
    result_to_response=result_to_response,
    result_limit=SYNC_RESPONSE_LIMIT,
)
