"""Lambda events and contexts as AWS sends them, built by code.

Each factory takes the request a client made (method, path, query, headers, body) and returns
the event the service hands to the function, modelled on live captures rather than on our own
``request_to_event``: hotsock/voker ``vokerhttp/testdata/{apigwv1,apigwv2,functionurl,alb}-
request.json`` (captured from CloudWatch in us-west-2), and the AWS pages cited per factory.
What each service does to the request, in short:

=============  ===========================  ==================  ==========================
source         path                         query maps          headers
=============  ===========================  ==================  ==========================
REST           encoded, stage stripped      decoded             case as sent, multi-value
HTTP API 1.0   *decoded*, stage kept        decoded             case as sent, multi-value
HTTP API 2.0   *decoded*, stage kept        decoded, joined ,   lower-case, joined ,
function URL   encoded                      decoded, joined ,   lower-case, joined ,
ALB            encoded                      *not decoded*       lower-case, last or multi
=============  ===========================  ==================  ==========================

Every gateway sets ``X-Forwarded-Proto`` and ``-Port`` itself and appends the peer it saw to
``X-Forwarded-For``, so a value the client sent there stays in front of the real address.

Query and headers are given as lists of pairs so that repeats and order are the test's to
choose; query pairs are decoded text, encoded the way a browser would (``quote``, so a space
is ``%20``) unless ``raw_query`` gives the exact bytes the client sent.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

__all__ = [
    "ACCOUNT_ID",
    "API_ID",
    "REGION",
    "SOURCE_IP",
    "LambdaContext",
    "make_alb_event",
    "make_edge_event",
    "make_lattice_event",
    "make_function_url_event",
    "make_http_v1_event",
    "make_http_v2_event",
    "make_lambda_context",
    "make_rest_event",
]

Pairs = Sequence[tuple[str, str]]

ACCOUNT_ID = "123456789012"
API_ID = "abcdef1234"
URL_ID = "2cxn22odiwguak4feg4jtt7cwm0ziblr"
REGION = "us-east-1"
#: A documentation address (RFC 5737): the client as the gateway saw it.
SOURCE_IP = "203.0.113.7"
USER_AGENT = "curl/8.7.1"
TIME_EPOCH_MS = 1_783_711_144_836
TRACE_ID = "Root=1-6a5145a8-536f3e792f6be9b44c1f46fa"
TARGET_GROUP_ARN = (
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:targetgroup/lambgate/4efa1ab384b3474d"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def execute_api_domain(api_id: str = API_ID, region: str = REGION) -> str:
    return f"{api_id}.execute-api.{region}.amazonaws.com"


def _request_time(epoch_ms: int) -> str:
    t = time.gmtime(epoch_ms // 1000)
    month = _MONTHS[t.tm_mon - 1]
    return (
        f"{t.tm_mday:02d}/{month}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def _encode_query(query: Pairs | None, raw_query: str | None) -> str:
    if raw_query is not None:
        return raw_query
    return "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in query or ())


def _raw_query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """The query split into pairs but left encoded, as ALB passes it on."""
    pairs = []
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


def _grouped(pairs: Pairs) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def _grouped_ignoring_case(pairs: Pairs) -> dict[str, list[str]]:
    """Header repeats grouped under the first spelling of the name, as API Gateway does."""
    spelling: dict[str, str] = {}
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        key = spelling.setdefault(name.lower(), name)
        grouped.setdefault(key, []).append(value)
    return grouped


def _gateway_headers(
    client_headers: Pairs | None,
    *,
    host: str,
    source_ip: str,
    scheme: str,
    port: int,
    title_case: bool,
) -> list[tuple[str, str]]:
    """The client's headers as the gateway forwards them: ``Host`` and ``X-Forwarded-*`` are
    the gateway's own (the peer appended to any ``X-Forwarded-For`` the client sent)."""
    names = {
        "host": "Host",
        "x-amzn-trace-id": "X-Amzn-Trace-Id",
        "x-forwarded-for": "X-Forwarded-For",
        "x-forwarded-port": "X-Forwarded-Port",
        "x-forwarded-proto": "X-Forwarded-Proto",
    }
    client = list(client_headers or ())
    sent_for = [value for name, value in client if name.lower() == "x-forwarded-for"]
    client = [(name, value) for name, value in client if name.lower() not in names]
    values = {
        "host": host,
        "x-amzn-trace-id": TRACE_ID,
        "x-forwarded-for": ", ".join([*sent_for, source_ip]),
        "x-forwarded-port": str(port),
        "x-forwarded-proto": scheme,
    }
    own = [(names[key] if title_case else key, value) for key, value in values.items()]
    return own + client


def _body(body: str | bytes | None, is_base64: bool) -> str | None:
    if body is None:
        return None
    data = body.encode("utf-8") if isinstance(body, str) else body
    return base64.b64encode(data).decode("ascii") if is_base64 else data.decode("utf-8")


def _content_length(body: str | bytes | None) -> list[tuple[str, str]]:
    if body is None:
        return []
    data = body.encode("utf-8") if isinstance(body, str) else body
    return [("content-length", str(len(data)))]


def _v1_event(
    *,
    version: str | None,
    method: str,
    path: str,
    proxy: str,
    context_path: str,
    query: Pairs | None,
    raw_query: str | None,
    headers: list[tuple[str, str]],
    body: str | bytes | None,
    is_base64: bool,
    stage: str,
    domain: str,
    api_id: str,
    source_ip: str,
    resource: str,
    request_id: str,
    time_epoch_ms: int,
) -> dict[str, Any]:
    encoded_query = _encode_query(query, raw_query)
    decoded_query = parse_qsl(encoded_query, keep_blank_values=True)
    multi_query = _grouped(decoded_query)
    multi_headers = _grouped_ignoring_case(headers)
    event: dict[str, Any] = {}
    if version is not None:
        event["version"] = version
    event |= {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        # The single-value maps keep the last of repeated values (voker capture).
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": (
            {key: values[-1] for key, values in multi_query.items()} if multi_query else None
        ),
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": proxy} if resource == "/{proxy+}" else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "authorizer": None,
            "domainName": domain,
            "domainPrefix": domain.partition(".")[0],
            "extendedRequestId": "ATfSdF7nPHcErRA=",
            "httpMethod": method,
            "identity": {
                "accessKey": "",
                "accountId": "",
                "caller": "",
                "cognitoAuthenticationProvider": "",
                "cognitoAuthenticationType": "",
                "cognitoIdentityId": "",
                "cognitoIdentityPoolId": "",
                "principalOrgId": "",
                "sourceIp": source_ip,
                "user": "",
                "userAgent": multi_headers.get("user-agent", [USER_AGENT])[-1],
                "userArn": "",
            },
            "operationName": "",
            "path": context_path,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": _request_time(time_epoch_ms),
            "requestTimeEpoch": time_epoch_ms,
            "resourceId": "al6gqb",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": _body(body, is_base64),
        "isBase64Encoded": is_base64,
    }
    return event


def make_rest_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: Pairs | None = None,
    raw_query: str | None = None,
    headers: Pairs | None = None,
    body: str | bytes | None = None,
    is_base64: bool = False,
    stage: str = "prod",
    domain: str | None = None,
    mapping: str = "",
    api_id: str = API_ID,
    source_ip: str = SOURCE_IP,
    resource: str = "/{proxy+}",
    request_id: str = "7c2af7db-31f3-42b5-8a6d-9ffc74e3b9e0",
    time_epoch_ms: int = TIME_EPOCH_MS,
) -> dict[str, Any]:
    """A REST API proxy-integration event.

    ``path`` is the path the API routes on, percent-encoded as the client sent it: no stage,
    no custom-domain mapping. On the execute-api domain the stage shows only in
    ``requestContext.path`` (``/live/capture/...`` in the voker capture). On a custom
    ``domain`` with a base path ``mapping`` (``/v1``), the mapping leads both ``path`` and
    ``requestContext.path``, while ``pathParameters.proxy`` lacks it
    (aws/serverless-java-container#34, awslabs/aws-lambda-go-api-proxy#82).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    """
    host = domain or execute_api_domain(api_id)
    context_path = f"/{stage}{path}" if domain is None else mapping + path
    return _v1_event(
        version=None,
        method=method,
        path=path if domain is None else mapping + path,
        proxy=path.lstrip("/"),
        context_path=context_path,
        query=query,
        raw_query=raw_query,
        headers=_gateway_headers(
            headers, host=host, source_ip=source_ip, scheme="https", port=443, title_case=True
        ),
        body=body,
        is_base64=is_base64,
        stage=stage,
        domain=host,
        api_id=api_id,
        source_ip=source_ip,
        resource=resource,
        request_id=request_id,
        time_epoch_ms=time_epoch_ms,
    )


def make_http_v1_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: Pairs | None = None,
    raw_query: str | None = None,
    headers: Pairs | None = None,
    body: str | bytes | None = None,
    is_base64: bool = False,
    stage: str = "$default",
    domain: str | None = None,
    api_id: str = API_ID,
    source_ip: str = SOURCE_IP,
    request_id: str = "ATfSmjLgPHcESJw=",
    time_epoch_ms: int = TIME_EPOCH_MS,
) -> dict[str, Any]:
    """An HTTP API event in payload format 1.0.

    ``path`` is the URL path the client sent (percent-encoded; a named stage leads it, a
    custom domain's API mapping does not); HTTP APIs deliver it *decoded*, in ``path`` and
    ``requestContext.path`` alike (middleapi/standard-server#93). The gateway's own headers
    come title-cased as in REST events (metaskills' captured 1.0 event, gist 1eee9da3).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    host = domain or execute_api_domain(api_id)
    decoded = unquote(path)
    return _v1_event(
        version="1.0",
        method=method,
        path=decoded,
        proxy=decoded.lstrip("/"),
        context_path=decoded,
        query=query,
        raw_query=raw_query,
        headers=_gateway_headers(
            headers, host=host, source_ip=source_ip, scheme="https", port=443, title_case=True
        )
        + [(name.title(), value) for name, value in _content_length(body)],
        body=body,
        is_base64=is_base64,
        stage=stage,
        domain=host,
        api_id=api_id,
        source_ip=source_ip,
        resource="$default",
        request_id=request_id,
        time_epoch_ms=time_epoch_ms,
    )


def _v2_event(
    *,
    method: str,
    raw_path: str,
    context_path: str,
    query: Pairs | None,
    raw_query: str | None,
    headers: list[tuple[str, str]],
    keep_cookie_header: bool,
    body: str | bytes | None,
    is_base64: bool,
    domain: str,
    api_id: str,
    account_id: str,
    stage: str,
    source_ip: str,
    request_id: str,
    time_epoch_ms: int,
) -> dict[str, Any]:
    encoded_query = _encode_query(query, raw_query)
    joined: dict[str, list[str]] = {}
    for name, value in headers:
        joined.setdefault(name.lower(), []).append(value)
    # "All cookie headers in the request are combined with commas and added to the cookies
    # field"; live captures show each cookie as its own entry (split on "; ").
    cookie_headers = joined.get("cookie", [])
    cookies = [c.strip() for header in cookie_headers for c in header.split(";") if c.strip()]
    if not keep_cookie_header:
        joined.pop("cookie", None)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": encoded_query,
    }
    if cookies:
        event["cookies"] = cookies
    # "Duplicate headers are combined with commas" (voker capture: "first,second").
    event["headers"] = {name: ",".join(values) for name, values in joined.items()}
    decoded_query = _grouped(parse_qsl(encoded_query, keep_blank_values=True))
    if decoded_query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in decoded_query.items()}
    event |= {
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": domain.partition(".")[0],
            "http": {
                "method": method,
                "path": context_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", [USER_AGENT])[-1],
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": stage,
            "time": _request_time(time_epoch_ms),
            "timeEpoch": time_epoch_ms,
        },
    }
    if body is not None:
        event["body"] = _body(body, is_base64)
    event["isBase64Encoded"] = is_base64
    return event


def make_http_v2_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: Pairs | None = None,
    raw_query: str | None = None,
    headers: Pairs | None = None,
    body: str | bytes | None = None,
    is_base64: bool = False,
    stage: str = "$default",
    domain: str | None = None,
    api_id: str = API_ID,
    source_ip: str = SOURCE_IP,
    request_id: str = "ATfSmjLgPHcESJw=",
    time_epoch_ms: int = TIME_EPOCH_MS,
) -> dict[str, Any]:
    """An HTTP API event in payload format 2.0.

    ``path`` is the URL path the client sent, percent-encoded: a named stage leads it
    (``/dev/items``), a custom domain's API mapping does not ("rawPath doesn't provide the API
    mapping value"). ``rawPath`` holds it *decoded* despite its name (voker capture:
    ``"/capture/space value"``); the ``cookie`` header moves to ``cookies``.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    host = domain or execute_api_domain(api_id)
    decoded = unquote(path)
    return _v2_event(
        method=method,
        raw_path=decoded,
        context_path=decoded,
        query=query,
        raw_query=raw_query,
        headers=_gateway_headers(
            headers, host=host, source_ip=source_ip, scheme="https", port=443, title_case=False
        )
        + _content_length(body),
        keep_cookie_header=False,
        body=body,
        is_base64=is_base64,
        domain=host,
        api_id=api_id,
        account_id=ACCOUNT_ID,
        stage=stage,
        source_ip=source_ip,
        request_id=request_id,
        time_epoch_ms=time_epoch_ms,
    )


def make_function_url_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: Pairs | None = None,
    raw_query: str | None = None,
    headers: Pairs | None = None,
    body: str | bytes | None = None,
    is_base64: bool = False,
    url_id: str = URL_ID,
    source_ip: str = SOURCE_IP,
    request_id: str = "d16a6b55-dea9-4b23-8499-eb85c3d2d904",
    time_epoch_ms: int = TIME_EPOCH_MS,
) -> dict[str, Any]:
    """A Lambda function URL event (payload 2.0 shape, auth type NONE).

    Unlike HTTP APIs, ``rawPath`` stays percent-encoded (only ``requestContext.http.path`` is
    decoded) and the ``cookie`` header is kept beside ``cookies`` (voker capture).
    https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
    """
    host = f"{url_id}.lambda-url.{REGION}.on.aws"
    tls = [
        ("x-amzn-tls-cipher-suite", "TLS_AES_128_GCM_SHA256"),
        ("x-amzn-tls-version", "TLSv1.3"),
    ]
    return _v2_event(
        method=method,
        raw_path=path,
        context_path=unquote(path),
        query=query,
        raw_query=raw_query,
        headers=_gateway_headers(
            headers, host=host, source_ip=source_ip, scheme="https", port=443, title_case=False
        )
        + tls
        + _content_length(body),
        keep_cookie_header=True,
        body=body,
        is_base64=is_base64,
        domain=host,
        api_id=url_id,
        account_id="anonymous",
        stage="$default",
        source_ip=source_ip,
        request_id=request_id,
        time_epoch_ms=time_epoch_ms,
    )


def make_alb_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: Pairs | None = None,
    raw_query: str | None = None,
    headers: Pairs | None = None,
    body: str | bytes | None = None,
    is_base64: bool = False,
    multi_value: bool = False,
    host: str = "lambgate-alb-1316758055.us-east-1.elb.amazonaws.com",
    scheme: str = "https",
    port: int | None = None,
    source_ip: str = SOURCE_IP,
    target_group_arn: str = TARGET_GROUP_ARN,
) -> dict[str, Any]:
    """An Application Load Balancer event; ``scheme`` and ``port`` are the listener's.

    ALB passes path and query values on still percent-encoded ("If the query parameters are
    URL-encoded, the load balancer does not decode them"); without multi-value mode "the load
    balancer uses the last value that it receives". In multi-value mode the single-value maps
    are present and ``null`` (voker capture). Header names arrive lower-case.
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
    """
    forwarded = _gateway_headers(
        headers,
        host=host,
        source_ip=source_ip,
        scheme=scheme,
        port=port or (443 if scheme == "https" else 80),
        title_case=False,
    ) + _content_length(body)
    multi_headers: dict[str, list[str]] = {}
    for name, value in forwarded:
        multi_headers.setdefault(name.lower(), []).append(value)
    multi_query = _grouped(_raw_query_pairs(_encode_query(query, raw_query)))
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": target_group_arn}},
        "httpMethod": method,
        "path": path,
    }
    if multi_value:
        event |= {
            "queryStringParameters": None,
            "multiValueQueryStringParameters": multi_query,
            "headers": None,
            "multiValueHeaders": multi_headers,
        }
    else:
        event |= {
            "queryStringParameters": {key: values[-1] for key, values in multi_query.items()},
            "headers": {name: values[-1] for name, values in multi_headers.items()},
        }
    event["body"] = _body(body, is_base64) or ""
    event["isBase64Encoded"] = is_base64
    return event


EDGE_HOST = "d111111abcdef8.cloudfront.net"
_LATTICE_ARN = f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT_ID}"
LATTICE_HOST = "lattice-svc-027b423199122da5f.7d67968.vpc-lattice-svcs.us-east-1.on.aws"


def make_edge_event(
    *,
    method: str = "GET",
    path: str = "/",
    query: Pairs | None = None,
    raw_query: str | None = None,
    headers: Pairs | None = None,
    body: str | bytes | None = None,
    is_base64: bool = True,
    event_type: str = "viewer-request",
    host: str = EDGE_HOST,
    source_ip: str = SOURCE_IP,
) -> dict[str, Any]:
    """A Lambda@Edge request event with "include body", after aws/aws-lambda-go's captured
    ``events/testdata/cloudfront-request.json``: headers listed under their lower-case names
    as ``{key, value}``, the query as sent, the client in ``clientIp``. CloudFront shows an
    edge function neither X-Forwarded-Proto nor X-Forwarded-Port (disallowed headers), and
    ``is_base64`` is kept for the factories' common signature: CloudFront sends base64."""
    listed: dict[str, list[dict[str, str]]] = {"host": [{"key": "Host", "value": host}]}
    for name, value in [*(headers or ()), *_content_length(body)]:
        if name.lower() == "host":
            continue
        listed.setdefault(name.lower(), []).append({"key": name, "value": value})
    data = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    return {
        "Records": [
            {
                "cf": {
                    "config": {
                        "distributionDomainName": EDGE_HOST,
                        "distributionId": "EDFDVBD6EXAMPLE",
                        "eventType": event_type,
                        "requestId": "MRVMF7KydIvxMWfJIglgwHQwZsbG2IhRJ07sn9AkKUFSHS9EXAMPLE==",
                    },
                    "request": {
                        "body": {
                            "action": "read-only",
                            "data": base64.b64encode(data).decode("ascii"),
                            "encoding": "base64",
                            "inputTruncated": False,
                        },
                        "clientIp": source_ip,
                        "querystring": _encode_query(query, raw_query),
                        "uri": path,
                        "method": method,
                        "headers": listed,
                    },
                }
            }
        ]
    }


def make_lattice_event(
    *,
    version: int = 2,
    method: str = "GET",
    path: str = "/",
    query: Pairs | None = None,
    raw_query: str | None = None,
    headers: Pairs | None = None,
    body: str | bytes | None = None,
    is_base64: bool = False,
    host: str = LATTICE_HOST,
    source_ip: str = SOURCE_IP,
) -> dict[str, Any]:
    """A VPC Lattice event, after aws-powertools' captures ``tests/events/vpcLatticeEvent.json``
    (version 1: snake_case, one string per header with repeats joined by commas, the last
    value of a parameter, a base64 body) and ``vpcLatticeV2EventWithHeaders.json`` (version 2:
    lists of values). Parameters arrive decoded; the peer is appended to X-Forwarded-For.
    https://docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html"""
    forwarded = [("host", host)]
    client = list(headers or ())
    sent_for = [value for name, value in client if name.lower() == "x-forwarded-for"]
    forwarded.append(("x-forwarded-for", ", ".join([*sent_for, source_ip])))
    forwarded += [(n.lower(), v) for n, v in client if n.lower() not in ("host", "x-forwarded-for")]
    forwarded += _content_length(body)
    multi_headers = _grouped(forwarded)
    params = _grouped(
        [
            (unquote_plus_text(k), unquote_plus_text(v))
            for k, v in _raw_query_pairs(_encode_query(query, raw_query))
        ]
    )
    if version == 1:
        return {
            "raw_path": path,
            "method": method,
            "headers": {name: ",".join(values) for name, values in multi_headers.items()},
            "query_string_parameters": {key: values[-1] for key, values in params.items()},
            "body": _body(body, True) or "",
            "is_base64_encoded": True,
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "path": path,
        "method": method,
        "headers": multi_headers,
    }
    if params:
        event["queryStringParameters"] = params
    event |= {
        "body": _body(body, is_base64) or "",
        "isBase64Encoded": is_base64,
        "requestContext": {
            "serviceNetworkArn": f"{_LATTICE_ARN}:servicenetwork/sn-0bf3f2882e9cc805a",
            "serviceArn": f"{_LATTICE_ARN}:service/svc-0a40eebed65f8d69c",
            "targetGroupArn": f"{_LATTICE_ARN}:targetgroup/tg-6d0ecf831eec9f09",
            "identity": {"type": "NONE"},
            "region": REGION,
            "timeEpoch": str(TIME_EPOCH_MS * 1000),
        },
    }
    return event


def unquote_plus_text(text: str) -> str:
    return unquote(text.replace("+", " "))


class LambdaContext:
    """The parts of the Lambda context object that handlers and powertools read.

    https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
    """

    def __init__(
        self,
        *,
        remaining_ms: int,
        function_name: str,
        memory_limit_in_mb: int,
        aws_request_id: str,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = aws_request_id
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "2026/07/10/[$LATEST]6d0ecf831eec9f09a6c3cd5d67a6e1b2"
        self._deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def make_lambda_context(
    *,
    remaining_ms: int = 30_000,
    function_name: str = "lambgate-test",
    memory_limit_in_mb: int = 512,
    aws_request_id: str = "8f5ec5b4-3c1f-4a45-9c2e-0b1d2f3a4b5c",
) -> LambdaContext:
    return LambdaContext(
        remaining_ms=remaining_ms,
        function_name=function_name,
        memory_limit_in_mb=memory_limit_in_mb,
        aws_request_id=aws_request_id,
    )
