"""The Lambda proxy payload 1.0, shared by REST APIs and HTTP APIs' payload format 1.0.

https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html

The two differ in the path: REST keeps it percent-encoded and shows the stage only in
``requestContext.path``; HTTP APIs deliver it decoded and led by a named stage. Each source
module binds these builders to its own path rule and has its own result leniency.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..model import Request, Response
from .addressing import client_at, mount, scheme_and_server, stage_mount
from .base import GatewayContext, Options, request_time
from .encoding import (
    body_from_event,
    body_to_event,
    encode_path,
    is_binary_media_type,
    query_from_multi_map,
    query_from_pairs,
    query_to_multi_map,
    wire_path,
)
from .fields import (
    FAILURES,
    checked_text,
    flag,
    header_map,
    list_of,
    malformed,
    map_of,
    obj,
    text,
    text_or,
)
from .headers import (
    forwarded_in_map,
    forwarded_in_multi_map,
    headers_from_map,
    headers_from_multi_map,
    headers_to_multi_map,
    render_headers,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "V1_FIELDS",
    "v1_event_to_request",
    "v1_request_to_event",
    "v1_response_to_result",
]

_NOTHING: Mapping[str, Any] = {}

#: The fields of a payload 1.0 event the translation reads, in the types AWS sends them.
#: ``requestContext.path`` is read by REST, ``requestContext.stage`` by HTTP APIs.
V1_FIELDS = obj(
    httpMethod=text(required=True, ascii=True),
    multiValueHeaders=header_map(list_of(text())),
    headers=header_map(text()),
    requestContext=obj(
        domainName=text(),
        path=text(path=True),
        stage=text(),
        identity=obj(sourceIp=text(ascii=True)),
    ),
    path=text(path=True),
    multiValueQueryStringParameters=map_of(list_of(text())),
    queryStringParameters=map_of(text()),
    body=text(),
    isBase64Encoded=flag(),
)


def v1_event_to_request(
    source: str, http_api: bool, event: Mapping[str, Any], context: Any, options: Options
) -> Request:
    """A request from the 1.0 payload shape, or :class:`MalformedEvent` naming ``source`` and
    the field. ``http_api``: the path is decoded and led by a named stage; otherwise (REST)
    encoded, the stage only in ``requestContext.path``. Sources bind the first two arguments
    (``functools.partial``)."""
    try:
        method = event["httpMethod"]
        if not method or not method.isascii():
            raise ValueError("httpMethod")
        multi = event.get("multiValueHeaders")
        if multi is not None:
            headers = headers_from_multi_map(multi)
            host, proto, port = forwarded_in_multi_map(multi)
        else:
            single = event.get("headers")
            if single is None:
                single = _NOTHING
            headers = headers_from_map(single)
            host, proto, port = forwarded_in_map(single)
        ctx = event.get("requestContext")
        if ctx is None:
            ctx = _NOTHING
        scheme, server = scheme_and_server(host, proto, port, ctx.get("domainName"))
        path = event.get("path")
        if path.__class__ is not str or not path:
            path = text_or(path, "/")
        if path[0] != "/":
            raise ValueError("path")
        if http_api:
            root_path, path = stage_mount(path, ctx.get("stage"), server[0])
        else:
            root_path = rest_mount(path, ctx.get("path"))
        if options.base_path:
            root_path, path = mount(path, root_path, server[0], options.base_path)
        if http_api:  # HTTP APIs hand over the path decoded: the wire form is rebuilt
            raw_path = encode_path(path)
        else:
            raw_path, path = wire_path(path), None  # decoded when asked
        multi_query = event.get("multiValueQueryStringParameters")
        if multi_query is not None:
            query_string = query_from_multi_map(multi_query)
        else:
            single_query = event.get("queryStringParameters")
            query_string = "" if single_query is None else query_from_pairs(single_query.items())
        body = event.get("body")
        is_base64 = event.get("isBase64Encoded")
        if is_base64 is False and body.__class__ is str:
            body = body.encode("utf-8")
        else:
            body = body_from_event(body, is_base64)
        identity = ctx.get("identity")
        client = None if identity is None else client_at(identity.get("sourceIp"))
        # Positionally, in the order of Request's parameters: see Request.__init__.
        return Request(
            method, raw_path, path, query_string, headers, body, scheme, server, client, root_path,
            event, context,
        )  # fmt: skip
    except FAILURES as failure:
        raise malformed(source, V1_FIELDS, event, failure) from None


def rest_mount(path: str, context_path: str | None) -> str:
    """The root path of a REST request.

    ``requestContext.path`` is the path the client asked for, stage included on the
    execute-api domain (``/prod/items`` for ``path`` ``/items``): the difference is where the
    API is mounted. The API's own landing page, ``/prod`` without a slash, arrives as ``path``
    ``/`` with ``requestContext.path`` ``/prod`` (captured events, e.g. apiId j3qfzmnyjl).
    """
    if context_path is None:
        return ""
    if not context_path.isascii():
        checked_text(context_path)
    if not context_path or context_path == path:
        return ""
    if context_path[0] != "/":
        raise ValueError("requestContext.path")
    if path == "/":
        return context_path[:-1] if context_path.endswith("/") else context_path
    if len(context_path) <= len(path) or not context_path.endswith(path):
        return ""
    return context_path[: len(context_path) - len(path)]


def v1_response_to_result(response: Response, request: Request, options: Options) -> dict[str, Any]:
    """Repeated headers go to ``multiValueHeaders`` so that every ``Set-Cookie`` survives."""
    single, multi, _, as_text = render_headers(response.headers, options)
    for name in multi:
        del single[name]
    body, is_base64 = body_to_event(response.body, as_text)
    return {
        "statusCode": response.status,
        "headers": single,
        "multiValueHeaders": multi,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def v1_request_to_event(
    request: Request,
    gateway: GatewayContext,
    *,
    version: str | None,
    path: str,
    context_path: str,
) -> dict[str, Any]:
    """The 1.0-shaped event; ``path`` and ``context_path`` are the event's ``path`` and
    ``requestContext.path`` as the service writes them."""
    # REST keeps the client's spelling of each name; HTTP API payload 1.0 lower-cases them.
    spellings = (gateway.header_names or {}) if version is None else {}
    multi_headers = headers_to_multi_map(
        (spellings.get(name) or name, value) for name, value in request.headers
    )
    multi_query = query_to_multi_map(request.query_string) if request.query_string else None
    # REST base64-encodes a request body only when its Content-Type is a binary media type
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html);
    # HTTP API payload 1.0 does so for any body that is not text.
    if version is None:
        as_text = not is_binary_media_type(
            request.header("content-type"), gateway.binary_media_types
        )
    else:
        as_text = True
    body, is_base64 = body_to_event(request.body, as_text) if request.body else (None, False)
    stage = gateway.stage or request.root_path.strip("/") or ("$default" if version else "prod")
    domain = gateway.domain_name or gateway.execute_api_domain()
    resource = gateway.resource or "/{proxy+}"
    path_parameters = gateway.path_parameters
    if path_parameters is None and resource == "/{proxy+}":
        path_parameters = {"proxy": path.lstrip("/")}
    client = request.client[0] if request.client else "127.0.0.1"
    event: dict[str, Any] = {
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": (
            {key: values[-1] for key, values in multi_query.items()} if multi_query else None
        ),
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": dict(gateway.stage_variables) if gateway.stage_variables else None,
        "requestContext": {
            "accountId": gateway.account_id,
            "apiId": gateway.api_id,
            "domainName": domain,
            "domainPrefix": domain.partition(".")[0],
            "extendedRequestId": gateway.request_id,
            "httpMethod": request.method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "sourceIp": client,
                "user": None,
                "userAgent": request.header("user-agent"),
                "userArn": None,
            },
            "path": context_path,
            "protocol": "HTTP/1.1",
            "requestId": gateway.request_id,
            "requestTime": request_time(gateway.time_epoch_ms),
            "requestTimeEpoch": gateway.time_epoch_ms,
            "resourceId": "abc123",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if gateway.authorizer is not None:
        event["requestContext"]["authorizer"] = dict(gateway.authorizer)
    if version is not None:
        event["version"] = version
    return event
