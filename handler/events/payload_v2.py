"""The payload format 2.0, shared by HTTP APIs and Lambda function URLs.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html

The two differ in the path (HTTP APIs deliver it decoded, function URLs keep it encoded), in
the ``cookie`` header (HTTP APIs move it into ``cookies``, function URLs keep both) and in
their domains; each source module binds these builders to its own rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ResultError
from ..model import Request, Response
from .addressing import client_at, mount, scheme_and_server, stage_mount
from .base import GatewayContext, Options, request_time
from .encoding import (
    body_from_event,
    body_to_event,
    encode_path,
    query_to_multi_map,
    raw_query,
    travels_as_text,
    wire_path,
)
from .fields import (
    FAILURES,
    flag,
    header_map,
    list_of,
    malformed,
    not_a_list,
    obj,
    text,
    text_or,
)
from .headers import headers_from_map, native, render_headers, take_set_cookie

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "REQUEST_TEXT_MIME_TYPES",
    "V2_FIELDS",
    "v2_event_to_request",
    "v2_request_to_event",
    "v2_response_to_result",
    "v2_result_to_response",
]

_NOTHING: Mapping[str, Any] = {}

#: The fields of a payload 2.0 event the translation reads, in the types AWS sends them.
V2_FIELDS = obj(
    requestContext=obj(
        required=True,
        http=obj(
            required=True,
            method=text(required=True, ascii=True),
            path=text(path=True),
            sourceIp=text(ascii=True),
        ),
        domainName=text(),
        stage=text(),
    ),
    headers=header_map(text()),
    cookies=list_of(text()),
    rawPath=text(path=True),
    rawQueryString=text(),
    body=text(),
    isBase64Encoded=flag(),
)

#: Request bodies HTTP APIs and function URLs pass as text besides ``text/*``; every other
#: type, a missing Content-Type and application/x-www-form-urlencoded included, arrives
#: base64-encoded. Verified against AWS in ministackorg/ministack#766; middyjs/middy#603 and
#: slackapi/python-slack-sdk#859 show Slack's form posts arriving base64-encoded.
REQUEST_TEXT_MIME_TYPES = frozenset(
    {"application/json", "application/xml", "application/javascript"}
)


def v2_event_to_request(
    source: str,
    path_is_decoded: bool,
    event: Mapping[str, Any],
    context: Any,
    options: Options,
) -> Request:
    """A request from the 2.0 payload shape, or :class:`MalformedEvent` naming ``source``
    and the field. ``path_is_decoded``: HTTP APIs hand over ``rawPath`` percent-decoded,
    function URLs as sent. Sources bind the first two arguments (``functools.partial``)."""
    try:
        ctx = event["requestContext"]
        http = ctx["http"]
        method = http["method"]
        if not method or not method.isascii():
            raise ValueError("method")
        header_map = event.get("headers")
        if header_map is None:
            header_map = _NOTHING
        headers = headers_from_map(header_map)
        cookies = event.get("cookies")
        # HTTP APIs move Cookie into the cookies list; function URLs send both.
        if cookies is not None and "cookie" not in header_map:
            if cookies.__class__ is not list:
                not_a_list(cookies)
            if cookies:
                headers.append(("cookie", native("; ".join(cookies))))
        # 2.0 header names are lower-case.
        scheme, server = scheme_and_server(
            header_map.get("host"),
            header_map.get("x-forwarded-proto"),
            header_map.get("x-forwarded-port"),
            ctx.get("domainName"),
        )
        path = event.get("rawPath")
        if path.__class__ is not str or not path:
            path = text_or(path, "") or text_or(http.get("path"), "/")
        if path[0] != "/":
            raise ValueError("path")
        root_path = ""
        stage = ctx.get("stage")
        if stage is not None and stage != "$default":
            root_path, path = stage_mount(path, stage, server[0])
        if options.base_path:
            root_path, path = mount(path, root_path, server[0], options.base_path)
        if path_is_decoded:
            raw_path = encode_path(path)
        else:
            raw_path, path = wire_path(path), None  # decoded when asked
        query_string = event.get("rawQueryString")
        if query_string is None:
            query_string = ""
        elif not query_string.isascii():
            query_string = raw_query(query_string)
        body = event.get("body")
        is_base64 = event.get("isBase64Encoded")
        if is_base64 is False and body.__class__ is str:
            body = body.encode("utf-8")
        else:
            body = body_from_event(body, is_base64)
        source_ip = http.get("sourceIp")
        client = client_at(source_ip)
        # Positionally, in the order of Request's parameters: see Request.__init__.
        return Request(
            method, raw_path, path, query_string, headers, body, scheme, server, client, root_path,
            event, context,
        )  # fmt: skip
    except FAILURES as failure:
        raise malformed(source, V2_FIELDS, event, failure) from None


def v2_response_to_result(response: Response, request: Request, options: Options) -> dict[str, Any]:
    """Every ``Set-Cookie`` goes to ``cookies``; other repeats are joined with commas, since
    2.0 ``headers`` hold one string per name."""
    rendered = render_headers(response.headers, options)
    headers, repeated, spellings, as_text = rendered
    set_cookie = take_set_cookie(rendered) if "set-cookie" in spellings else None
    for name, values in repeated.items():
        headers[name] = ",".join(values)
    body, is_base64 = body_to_event(response.body, as_text)
    result: dict[str, Any] = {
        "statusCode": response.status,
        "headers": headers,
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if set_cookie is not None:
        result["cookies"] = set_cookie[1]
    return result


def v2_request_to_event(
    request: Request, gateway: GatewayContext, *, domain: str, api_id: str, stage: str, path: str
) -> dict[str, Any]:
    """The 2.0-shaped event around ``path`` (the ``rawPath`` as the service writes it)."""
    headers: dict[str, list[str]] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        if name == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        else:
            headers.setdefault(name, []).append(value)
    query = request.query_string
    as_text = travels_as_text(request.header("content-type"), REQUEST_TEXT_MIME_TYPES)
    route_key = gateway.route_key or (
        f"{request.method} {gateway.resource}" if gateway.resource else "$default"
    )
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
        # Decoded, repeats joined with commas: "Duplicate query string parameters are
        # combined with commas" (the HTTP API page above, "Payload format version").
        params = query_to_multi_map(query)
        event["queryStringParameters"] = {k: ",".join(v) for k, v in params.items()}
    if gateway.path_parameters:
        event["pathParameters"] = dict(gateway.path_parameters)
    if gateway.stage_variables:
        event["stageVariables"] = dict(gateway.stage_variables)
    request_context: dict[str, Any] = {
        "accountId": gateway.account_id,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.partition(".")[0],
        "http": {
            "method": request.method,
            "path": request.root_path + request.path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.client[0] if request.client else "127.0.0.1",
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": gateway.request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": request_time(gateway.time_epoch_ms),
        "timeEpoch": gateway.time_epoch_ms,
    }
    if gateway.authorizer is not None:
        request_context["authorizer"] = dict(gateway.authorizer)
    event["requestContext"] = request_context
    if request.body:
        event["body"], event["isBase64Encoded"] = body_to_event(request.body, as_text)
    else:
        event["isBase64Encoded"] = False
    return event


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
            headers=[("content-type", "application/json")],
            body=json.dumps(result).encode("utf-8"),
        )
    from .results import result_body, result_headers, result_mapping, result_status

    mapping = result_mapping(result, None)
    headers = result_headers(mapping, multi=False)
    cookies = mapping.get("cookies") or []
    if not isinstance(cookies, list):
        raise ResultError("cookies is not a list")
    headers.extend(("set-cookie", native(str(cookie))) for cookie in cookies)
    return Response(status=result_status(mapping), headers=headers, body=result_body(mapping))
