"""API Gateway HTTP API, Lambda proxy integration, payload format 1.0 and 2.0.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html

HTTP APIs deliver the path percent-*decoded* (``rawPath`` despite its name, and payload
1.0's ``path``), cut at a decoded ``?``: live captures in hotsock/voker
``vokerhttp/testdata/ingress-paths.json``, cited by middleapi/standard-server#93. The raw path
is therefore rebuilt by encoding, and ``%2F`` cannot survive an HTTP API.

On a named stage the path carries the stage (``/dev/items``); on ``$default`` and through a
custom domain mapping it does not.

Function URLs use the 2.0 format too; :mod:`.function_url` reuses the 2.0 builders here.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import MalformedEvent, ResultError
from ..model import Request, Response
from .addressing import DEFAULT_DOMAIN_SUFFIXES, mount, scheme_and_server, stage_mount
from .apigw_rest import (
    LAMBDA_RESULT_LIMIT,
    default_domain,
    v1_event_to_request,
    v1_request_to_event,
)
from .apigw_rest import response_to_result as rest_response_to_result
from .base import (
    DEFAULT_INVOCATION,
    EventSource,
    Invocation,
    Options,
    request_time,
)
from .encoding import (
    body_from_event,
    body_to_event,
    body_to_result,
    decode_path,
    encode_path,
    query_to_multi_map,
    raw_query,
)
from .headers import as_latin1, headers_from_map, render_headers
from .results import result_body, result_headers, result_mapping, result_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SOURCE", "SOURCE_V1"]


def matches(event: Mapping[str, Any]) -> bool:
    # VPC Lattice v2 also says "2.0" but has no routeKey; it is tried earlier in the table.
    return event.get("version") == "2.0" and "routeKey" in event


def matches_v1(event: Mapping[str, Any]) -> bool:
    return event.get("version") == "1.0" and "httpMethod" in event


def v2_event_to_request(
    event: Mapping[str, Any], context: Any, options: Options, *, path_is_decoded: bool
) -> Request:
    """A request from the 2.0 payload shape, shared with Function URLs."""
    header_map = event.get("headers") or {}
    headers = headers_from_map(header_map)
    cookies = event.get("cookies")
    # HTTP APIs move Cookie into the cookies list; Function URLs send both.
    if cookies and "cookie" not in header_map:
        headers.append((b"cookie", as_latin1("; ".join(cookies))))
    ctx = event.get("requestContext") or {}
    http = ctx.get("http") or {}
    # 2.0 header names are lower-case.
    scheme, server = scheme_and_server(
        header_map.get("host"),
        header_map.get("x-forwarded-proto"),
        header_map.get("x-forwarded-port"),
        ctx.get("domainName"),
    )
    path = event.get("rawPath") or http.get("path") or "/"
    root, path = stage_mount(path, ctx.get("stage"), server[0])
    if options.base_path:
        root, path = mount(path, root, server[0], options.base_path)
    decoded, raw = encode_path(path) if path_is_decoded else decode_path(path)
    source_ip = http.get("sourceIp")
    method = http.get("method")
    if not method:
        raise MalformedEvent("payload 2.0 event has no requestContext.http.method")
    return Request(
        method=method,
        path=decoded,
        raw_path=raw,
        query_string=raw_query(event.get("rawQueryString") or ""),
        headers=headers,
        body=body_from_event(event.get("body"), event.get("isBase64Encoded")),
        scheme=scheme,
        server=server,
        client=(source_ip, 0) if source_ip else None,
        root_path=root,
        event=event,
        context=context,
    )


def event_to_request(event: Mapping[str, Any], context: Any, options: Options) -> Request:
    return v2_event_to_request(event, context, options, path_is_decoded=True)


def event_to_request_v1(event: Mapping[str, Any], context: Any, options: Options) -> Request:
    return v1_event_to_request(event, context, options, http_api=True)


def response_to_result(response: Response, request: Request, options: Options) -> dict[str, Any]:
    """Every ``Set-Cookie`` goes to ``cookies``; other repeats are joined with commas, since
    2.0 ``headers`` hold one string per name."""
    rendered = render_headers(response.headers, options.exclude_headers)
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, values in rendered.groups.items():
        if name.lower() == "set-cookie":
            cookies = values
        else:
            headers[name] = values[0] if len(values) == 1 else ",".join(values)
    body, is_base64 = body_to_result(
        response.body, rendered.content_type, rendered.content_encoding, options.text_mime_types
    )
    result: dict[str, Any] = {
        "statusCode": response.status,
        "headers": headers,
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if cookies:
        result["cookies"] = cookies
    return result


def v2_request_to_event(
    request: Request, invocation: Invocation, *, domain: str, api_id: str, stage: str, path: str
) -> dict[str, Any]:
    """The 2.0-shaped event around ``path`` (the ``rawPath`` as the service writes it)."""
    headers: dict[str, list[str]] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        text = value.decode("latin-1")
        if name == b"cookie":
            cookies.extend(c.strip() for c in text.split(";") if c.strip())
        else:
            headers.setdefault(name.decode("latin-1"), []).append(text)
    query = request.query_string.decode("latin-1")
    content_type = request.header(b"content-type")
    as_text = content_type is not None and _is_text(content_type.decode("latin-1"))
    route_key = invocation.route_key or (
        f"{request.method} {invocation.resource}" if invocation.resource else "$default"
    )
    user_agent = request.header(b"user-agent")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = {name: ",".join(values) for name, values in headers.items()}
    if query:
        # Decoded, repeats joined with commas (F13 in shared/AWS_FACTS.md).
        params = query_to_multi_map(request.query_string)
        event["queryStringParameters"] = {k: ",".join(v) for k, v in params.items()}
    if invocation.path_parameters:
        event["pathParameters"] = dict(invocation.path_parameters)
    if invocation.stage_variables:
        event["stageVariables"] = dict(invocation.stage_variables)
    request_context: dict[str, Any] = {
        "accountId": invocation.account_id,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.partition(".")[0],
        "http": {
            "method": request.method,
            "path": request.root_path + request.path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.client[0] if request.client else "127.0.0.1",
            "userAgent": user_agent.decode("latin-1") if user_agent else "",
        },
        "requestId": invocation.request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": request_time(invocation.time_epoch_ms),
        "timeEpoch": invocation.time_epoch_ms,
    }
    if invocation.authorizer is not None:
        request_context["authorizer"] = dict(invocation.authorizer)
    event["requestContext"] = request_context
    if request.body:
        event["body"], event["isBase64Encoded"] = body_to_event(request.body, as_text)
    else:
        event["isBase64Encoded"] = False
    return event


#: Request bodies HTTP APIs and function URLs pass as text; every other type, a missing
#: Content-Type and application/x-www-form-urlencoded included, arrives base64-encoded.
#: Verified against AWS in ministackorg/ministack#766; middyjs/middy#603 and
#: slackapi/python-slack-sdk#859 show Slack's form posts arriving base64-encoded.
REQUEST_TEXT_MIME_TYPES = frozenset(
    {"application/json", "application/xml", "application/javascript"}
)


def _is_text(content_type: str) -> bool:
    mime = content_type.partition(";")[0].strip().lower()
    return mime.startswith("text/") or mime in REQUEST_TEXT_MIME_TYPES


def request_to_event(
    request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> dict[str, Any]:
    # On AWS's own domain a named stage leads rawPath; through a custom domain the API
    # mapping's prefix does not appear in rawPath at all (F13 in shared/AWS_FACTS.md).
    host = request.header(b"host")
    on_aws_domain = host is None or host.decode("latin-1").partition(":")[0].endswith(
        DEFAULT_DOMAIN_SUFFIXES
    )
    prefix = request.root_path if on_aws_domain else ""
    return v2_request_to_event(
        request,
        invocation,
        domain=invocation.domain_name or default_domain(invocation),
        api_id=invocation.api_id,
        stage=invocation.stage or prefix.strip("/") or "$default",
        path=prefix + request.path,
    )


def request_to_event_v1(
    request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> dict[str, Any]:
    path = request.root_path + request.path
    return v1_request_to_event(request, invocation, version="1.0", path=path, context_path=path)


def v2_result_to_response(result: Any) -> Response:
    """Payload 2.0 results, with the documented inference for anything without ``statusCode``:
    "If your Lambda function returns valid JSON and doesn't return a statusCode", the client
    gets 200, ``application/json`` and the return value as the body
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
    """
    if not isinstance(result, Mapping) or "statusCode" not in result:
        import json  # the emulator's side only: not on the Lambda import path

        return Response(
            status=200,
            headers=[(b"content-type", b"application/json")],
            body=json.dumps(result).encode("utf-8"),
        )
    mapping = result_mapping(result, None)
    headers = result_headers(mapping, multi=False)
    cookies = mapping.get("cookies") or []
    if not isinstance(cookies, list):
        raise ResultError("cookies is not a list")
    headers.extend((b"set-cookie", as_latin1(str(cookie))) for cookie in cookies)
    return Response(status=result_status(mapping), headers=headers, body=result_body(mapping))


def result_to_response(
    result: Any, request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> Response:
    return v2_result_to_response(result)


def result_to_response_v1(
    result: Any, request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> Response:
    """Payload 1.0 has no inference: the result must carry ``statusCode``."""
    mapping = result_mapping(result, None)
    return Response(
        status=result_status(mapping),
        headers=result_headers(mapping, multi=True),
        body=result_body(mapping),
    )


def response_to_result_v1(response: Response, request: Request, options: Options) -> dict[str, Any]:
    return rest_response_to_result(response, request, options)


SOURCE = EventSource(
    name="http",
    matches=matches,
    event_to_request=event_to_request,
    response_to_result=response_to_result,
    request_to_event=request_to_event,
    result_to_response=result_to_response,
    result_limit=LAMBDA_RESULT_LIMIT,
)

SOURCE_V1 = EventSource(
    name="http-v1",
    matches=matches_v1,
    event_to_request=event_to_request_v1,
    # Payload 1.0 results are rendered exactly as REST's.
    response_to_result=rest_response_to_result,
    request_to_event=request_to_event_v1,
    result_to_response=result_to_response_v1,
    result_limit=LAMBDA_RESULT_LIMIT,
)
