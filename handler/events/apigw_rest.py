"""API Gateway REST API, Lambda proxy integration (the "1.0" payload).

Event and result format:
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html

HTTP APIs' payload 1.0 shares this shape; :mod:`.apigw_http` reuses the builders here with
its own path rule and result leniency.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import MalformedEvent
from ..model import Request, Response
from .addressing import forwarded_headers, mount, scheme_and_server, stage_mount
from .base import DEFAULT_INVOCATION, EventSource, Invocation, Options, request_time
from .encoding import (
    body_from_event,
    body_to_event,
    body_to_result,
    decode_path,
    encode_path,
    query_from_pairs,
    query_to_multi_map,
)
from .headers import header_text, headers_to_multi_map, render_headers, single_or_multi
from .results import result_body, result_headers, result_mapping, result_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SOURCE"]

#: Lambda's synchronous response limit, in bytes of serialised JSON
#: (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
LAMBDA_RESULT_LIMIT = 6_291_556


def matches(event: Mapping[str, Any]) -> bool:
    # REST events carry no "version"; console test events may have requestContext null.
    return "httpMethod" in event and "version" not in event


def v1_event_to_request(
    event: Mapping[str, Any], context: Any, options: Options, *, http_api: bool
) -> Request:
    """A request from the 1.0 payload shape, shared by REST and HTTP API payload 1.0.

    HTTP APIs deliver the path decoded and led by a named stage; REST keeps it encoded, and
    its stage shows only in ``requestContext.path``.
    """
    method = event.get("httpMethod")
    if not method or not isinstance(method, str):
        raise MalformedEvent("payload 1.0 event has no httpMethod")
    headers = single_or_multi(event.get("headers"), event.get("multiValueHeaders"))
    ctx = event.get("requestContext") or {}
    scheme, server = scheme_and_server(*forwarded_headers(headers), ctx.get("domainName"))
    path = event.get("path") or "/"
    if http_api:
        root, path = stage_mount(path, ctx.get("stage"), server[0])
    else:
        root = rest_mount(path, ctx.get("path"))
    if options.base_path:
        root, path = mount(path, root, server[0], options.base_path)
    decoded, raw = encode_path(path) if http_api else decode_path(path)
    multi_query = event.get("multiValueQueryStringParameters")
    if multi_query:
        pairs = [(key, value) for key, values in multi_query.items() for value in values]
    else:
        pairs = list((event.get("queryStringParameters") or {}).items())
    identity = ctx.get("identity") or {}
    source_ip = identity.get("sourceIp")
    return Request(
        method=method,
        path=decoded,
        raw_path=raw,
        query_string=query_from_pairs(pairs) if pairs else b"",
        headers=headers,
        body=body_from_event(event.get("body"), event.get("isBase64Encoded")),
        scheme=scheme,
        server=server,
        client=(source_ip, 0) if source_ip else None,
        root_path=root,
        event=event,
        context=context,
    )


def rest_mount(path: str, context_path: str | None) -> str:
    """The root path of a REST request.

    ``requestContext.path`` is the path the client asked for, stage included on the
    execute-api domain (``/prod/items`` for ``path`` ``/items``): the difference is where the
    API is mounted. The API's own landing page, ``/prod`` without a slash, arrives as ``path``
    ``/`` with ``requestContext.path`` ``/prod`` (captured events, e.g. apiId j3qfzmnyjl).
    """
    if not context_path or context_path == path:
        return ""
    if path == "/":
        return context_path[:-1] if context_path.endswith("/") else context_path
    if len(context_path) <= len(path) or not context_path.endswith(path):
        return ""
    return context_path[: len(context_path) - len(path)]


def event_to_request(event: Mapping[str, Any], context: Any, options: Options) -> Request:
    return v1_event_to_request(event, context, options, http_api=False)


def response_to_result(response: Response, request: Request, options: Options) -> dict[str, Any]:
    """Repeated headers go to ``multiValueHeaders`` so that every ``Set-Cookie`` survives."""
    rendered = render_headers(response.headers, options.exclude_headers)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, values in rendered.groups.items():
        if len(values) == 1:
            single[name] = values[0]
        else:
            multi[name] = values
    body, is_base64 = body_to_result(
        response.body, rendered.content_type, rendered.content_encoding, options.text_mime_types
    )
    return {
        "statusCode": response.status,
        "headers": single,
        "multiValueHeaders": multi,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def media_type_matches(media_type: str | None, patterns: tuple[str, ...]) -> bool:
    """Whether ``media_type`` is one of ``binaryMediaTypes`` (``*/*`` and ``image/*`` allowed)."""
    if not media_type or not patterns:
        return False
    mime = media_type.partition(";")[0].strip().lower()
    major = mime.partition("/")[0]
    return any(p == "*/*" or p == mime or p == f"{major}/*" for p in patterns)


def default_domain(invocation: Invocation) -> str:
    """The execute-api domain API Gateway gives an API of its own."""
    return f"{invocation.api_id}.execute-api.{invocation.region}.amazonaws.com"


def v1_request_to_event(
    request: Request,
    invocation: Invocation,
    *,
    version: str | None,
    path: str,
    context_path: str,
) -> dict[str, Any]:
    """The 1.0-shaped event; ``path`` and ``context_path`` are the event's ``path`` and
    ``requestContext.path`` as the service writes them."""
    # REST keeps the client's spelling of each name; HTTP API payload 1.0 lower-cases them.
    spellings = (invocation.header_names or {}) if version is None else {}
    multi_headers = headers_to_multi_map(
        (spellings.get(name) or name.decode("latin-1"), value.decode("latin-1"))
        for name, value in request.headers
    )
    multi_query = query_to_multi_map(request.query_string) if request.query_string else None
    content_type = request.header(b"content-type")
    # REST base64-encodes a request body only when its Content-Type is a binary media type
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html);
    # HTTP API payload 1.0 does so for any body that is not text.
    if version is None:
        as_text = not media_type_matches(
            content_type.decode("latin-1") if content_type else None,
            invocation.binary_media_types,
        )
    else:
        as_text = True
    body, is_base64 = body_to_event(request.body, as_text) if request.body else (None, False)
    stage = invocation.stage or request.root_path.strip("/") or ("$default" if version else "prod")
    domain = invocation.domain_name or default_domain(invocation)
    resource = invocation.resource or "/{proxy+}"
    path_parameters = invocation.path_parameters
    if path_parameters is None and resource == "/{proxy+}":
        path_parameters = {"proxy": path.lstrip("/")}
    client = request.client[0] if request.client else "127.0.0.1"
    user_agent = request.header(b"user-agent")
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
        "stageVariables": dict(invocation.stage_variables) if invocation.stage_variables else None,
        "requestContext": {
            "accountId": invocation.account_id,
            "apiId": invocation.api_id,
            "domainName": domain,
            "domainPrefix": domain.partition(".")[0],
            "extendedRequestId": invocation.request_id,
            "httpMethod": request.method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "sourceIp": client,
                "user": None,
                "userAgent": user_agent.decode("latin-1") if user_agent else None,
                "userArn": None,
            },
            "path": context_path,
            "protocol": "HTTP/1.1",
            "requestId": invocation.request_id,
            "requestTime": request_time(invocation.time_epoch_ms),
            "requestTimeEpoch": invocation.time_epoch_ms,
            "resourceId": "abc123",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }
    if invocation.authorizer is not None:
        event["requestContext"]["authorizer"] = dict(invocation.authorizer)
    if version is not None:
        event["version"] = version
    return event


def request_to_event(
    request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> dict[str, Any]:
    path = request.raw_path.decode("utf-8")
    return v1_request_to_event(
        request, invocation, version=None, path=path, context_path=request.root_path + path
    )


_REST_RESULT_KEYS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)


def result_to_response(
    result: Any, request: Request, invocation: Invocation = DEFAULT_INVOCATION
) -> Response:
    """What REST API sends the client for a proxy result.

    REST is strict: anything but the five documented keys is a malformed proxy response
    (502). A base64 body is turned back into bytes only when the request's first ``Accept``
    type or the response's ``Content-Type`` is a binary media type; otherwise the client
    gets the base64 text (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html).
    Without a ``Content-Type`` the client gets ``application/json``.
    """
    mapping = result_mapping(result, _REST_RESULT_KEYS)
    status = result_status(mapping)
    headers = result_headers(mapping, multi=True)
    accept = request.header(b"accept")
    first_accept = accept.decode("latin-1").split(",")[0] if accept else None
    content_type = header_text(headers, b"content-type")
    binary = media_type_matches(first_accept, invocation.binary_media_types) or (
        media_type_matches(content_type, invocation.binary_media_types)
    )
    if content_type is None:
        # API Gateway's own default (aws/aws-sam-cli#1218: "If a lambda function does not set
        # the Content-Type response header, then the API Gateway will default it to
        # application/json"; localstack/localstack#6170, checked against AWS).
        headers.append((b"Content-Type", b"application/json"))
    return Response(status=status, headers=headers, body=result_body(mapping, decode_base64=binary))


SOURCE = EventSource(
    name="rest",
    matches=matches,
    event_to_request=event_to_request,
    response_to_result=response_to_result,
    request_to_event=request_to_event,
    result_to_response=result_to_response,
    result_limit=LAMBDA_RESULT_LIMIT,
)
