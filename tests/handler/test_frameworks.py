"""Real Flask, Django, FastAPI and Falcon apps behind every event source, end to end.

Each test builds the event AWS would send (tests/factories.py), runs it through
``make_handler(app)`` and checks the whole Lambda result. Where a response does not depend on
the request's origin, the expected result is what the framework answers under its own test
harness (Werkzeug's ``Client`` for WSGI, httpx's ``ASGITransport`` for ASGI), rendered in each
source's documented result format by :func:`expected_result`: the adapter must add nothing,
lose nothing and encode correctly.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from werkzeug.test import Client

from lambgate import make_handler
from tests.factories import (
    EDGE_HOST,
    LATTICE_HOST,
    SOURCE_IP,
    execute_api_domain,
    make_alb_event,
    make_edge_event,
    make_function_url_event,
    make_http_v1_event,
    make_http_v2_event,
    make_lambda_context,
    make_lattice_event,
    make_rest_event,
)
from tests.handler.apps import (
    BINARY,
    GZIP_JSON,
    JSON_DOC,
    django_app,
    falcon_app,
    fastapi_app,
    flask_app,
)

SOURCES = ("rest", "http-v1", "http", "url", "alb", "alb-multi", "edge", "lattice", "lattice-v2")

#: name: (app, interface)
APPS: dict[str, tuple[Any, str]] = {
    "flask": (flask_app.app, "wsgi"),
    "django-wsgi": (django_app.wsgi_app, "wsgi"),
    "django-asgi": (django_app.asgi_app, "asgi"),
    "fastapi": (fastapi_app.app, "asgi"),
    "falcon-wsgi": (falcon_app.wsgi_app, "wsgi"),
    "falcon-asgi": (falcon_app.asgi_app, "asgi"),
}

ALB_HOST = "lambgate-alb-1316758055.us-east-1.elb.amazonaws.com"
URL_HOST = "2cxn22odiwguak4feg4jtt7cwm0ziblr.lambda-url.us-east-1.on.aws"
#: Where each source's app is reached by default: host and root path (REST's stage).
ORIGINS = {
    "rest": (execute_api_domain(), "/prod"),
    "http-v1": (execute_api_domain(), ""),
    "http": (execute_api_domain(), ""),
    "url": (URL_HOST, ""),
    "alb": (ALB_HOST, ""),
    "alb-multi": (ALB_HOST, ""),
    "edge": (EDGE_HOST, ""),
    "lattice": (LATTICE_HOST, ""),
    "lattice-v2": (LATTICE_HOST, ""),
}

_handlers: dict[str, Callable[[Any, Any], dict[str, Any]]] = {}


def handler_for(app_name: str) -> Callable[[Any, Any], dict[str, Any]]:
    """One handler per app for the whole run, as one execution environment keeps it."""
    if app_name not in _handlers:
        _handlers[app_name] = make_handler(APPS[app_name][0])
    return _handlers[app_name]


def make_event(source: str, **request: Any) -> dict[str, Any]:
    """The event ``source`` sends for a client's request to the source's default origin."""
    if source == "rest":
        return make_rest_event(**request)
    if source == "http-v1":
        return make_http_v1_event(**request)
    if source == "http":
        return make_http_v2_event(**request)
    if source == "url":
        return make_function_url_event(**request)
    if source == "edge":
        return make_edge_event(**request)
    if source.startswith("lattice"):
        return make_lattice_event(version=2 if source == "lattice-v2" else 1, **request)
    return make_alb_event(multi_value=source == "alb-multi", **request)


def invoke(app_name: str, source: str, **request: Any) -> dict[str, Any]:
    return handler_for(app_name)(make_event(source, **request), make_lambda_context())


def body_bytes(result: dict[str, Any]) -> bytes:
    body: str = result["body"]
    return base64.b64decode(body) if is_base64(result) else body.encode("utf-8")


def is_base64(result: dict[str, Any]) -> bool:
    """``isBase64Encoded``, or CloudFront's ``bodyEncoding``."""
    if "bodyEncoding" in result:
        return bool(result["bodyEncoding"] == "base64")
    return bool(result["isBase64Encoded"])


def status_of(result: dict[str, Any]) -> int:
    """``statusCode``, or CloudFront's ``status`` string."""
    return int(result["status"]) if "status" in result else int(result["statusCode"])


def expected_result(
    source: str,
    status: int,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    is_base64: bool,
) -> dict[str, Any]:
    """The result each source documents for a response, header names as the app wrote them.

    - REST and HTTP API 1.0: one value in ``headers``, repeats in ``multiValueHeaders``
      (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
    - HTTP API 2.0 and function URLs: ``Set-Cookie`` in ``cookies``, other repeats joined with
      commas (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
    - ALB: ``statusDescription`` "200 OK"; ``multiValueHeaders`` in multi-value mode, else one
      value per name (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html);
      repeated ``Set-Cookie`` there is checked by :func:`alb_cookies`.
    """
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        existing = next((key for key in grouped if key.lower() == name.lower()), name)
        grouped.setdefault(existing, []).append(value)
    text = base64.b64encode(body).decode("ascii") if is_base64 else body.decode("utf-8")
    if source == "edge":
        # CloudFront's shape; it frames the body itself, so Content-Length is not sent, and
        # a response with no body carries no body fields.
        edge: dict[str, Any] = {
            "status": str(status),
            "statusDescription": HTTPStatus(status).phrase,
            "headers": {
                name.lower(): [{"key": name, "value": value} for value in values]
                for name, values in grouped.items()
                if name.lower() not in ("content-length", "transfer-encoding")
            },
        }
        if text:
            edge.update(bodyEncoding="base64" if is_base64 else "text", body=text)
        return edge
    result: dict[str, Any] = {"statusCode": status}
    if source in ("rest", "http-v1"):
        result["headers"] = {
            name: values[0] for name, values in grouped.items() if len(values) == 1
        }
        result["multiValueHeaders"] = {
            name: values for name, values in grouped.items() if len(values) > 1
        }
    elif source in ("http", "url"):
        cookies = [v for name, v in headers if name.lower() == "set-cookie"]
        result["headers"] = {
            name: ",".join(values)
            for name, values in grouped.items()
            if name.lower() != "set-cookie"
        }
        if cookies:
            result["cookies"] = cookies
    else:
        result["statusDescription"] = f"{status} {HTTPStatus(status).phrase}"
        if source == "alb-multi":
            result["multiValueHeaders"] = grouped
        else:
            result["headers"] = {
                name: ", ".join(values)
                for name, values in grouped.items()
                if name.lower() != "set-cookie"
            }
    result["body"] = text
    result["isBase64Encoded"] = is_base64
    return result


def alb_cookies(result: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """ALB single-value results carry repeated ``Set-Cookie`` under names that differ only in
    case, each sent on as its own header: the result without them, and their values."""
    headers = result["headers"]
    cookies = [value for name, value in headers.items() if name.lower() == "set-cookie"]
    rest = {name: value for name, value in headers.items() if name.lower() != "set-cookie"}
    return {**result, "headers": rest}, cookies


def native_response(
    app_name: str,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
) -> tuple[int, list[tuple[str, str]], bytes]:
    """What the framework answers under its own test harness: the reference."""
    app, interface = APPS[app_name]
    if interface == "wsgi":
        response = Client(app).open(path, method=method, data=body, headers=list(headers))
        return response.status_code, response.headers.to_wsgi_list(), response.get_data()

    async def request() -> tuple[int, list[tuple[str, str]], bytes]:
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="https://testserver") as client,
            client.stream(method, path, content=body, headers=list(headers)) as reply,
        ):
            # Raw bytes: httpx would otherwise undo a Content-Encoding.
            content = b"".join([chunk async for chunk in reply.aiter_raw()])
            raw = reply.headers.raw
        pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
        return reply.status_code, pairs, content

    return asyncio.run(request())


def assert_matches_native(
    result: dict[str, Any],
    source: str,
    native: tuple[int, list[tuple[str, str]], bytes],
    *,
    is_base64: bool,
) -> None:
    status, headers, body = native
    expected = expected_result(source, status, headers, body, is_base64=is_base64)
    if source in ("alb", "lattice", "lattice-v2"):
        result, cookies = alb_cookies(result)
        assert cookies == [v for name, v in headers if name.lower() == "set-cookie"]
    assert result == expected


every_app_and_source = pytest.mark.parametrize(
    ("app_name", "source"),
    [
        pytest.param(
            app_name,
            source,
            id=f"{app_name}-{source}",
        )
        for app_name in APPS
        for source in SOURCES
    ],
)

#: Query values holding every character with a meaning in a query string.
TRICKY_QUERY = [("q", "a&b=c+d %e"), ("q", "second"), ("sp ace", "x y"), ("empty", "")]


@every_app_and_source
def test_get_reaches_app_as_the_client_sent_it(app_name: str, source: str) -> None:
    """Path, query, repeated headers, cookies, client and origin as the app sees them.

    The client spoofs ``X-Forwarded-For``; the gateway's own record of the peer wins (the
    factories append it, as every gateway does).
    """
    result = invoke(
        app_name,
        source,
        path="/echo/caf%C3%A9",
        query=TRICKY_QUERY,
        headers=[
            ("X-Probe", "first"),
            ("X-Probe", "second"),
            ("X-Forwarded-For", "198.51.100.66"),
            ("Cookie", "session=abc123; theme=dark"),
        ],
    )
    host, root = ORIGINS[source]
    query, probe = [list(pair) for pair in TRICKY_QUERY], "first,second"
    if source in ("alb", "lattice"):
        # "If you do not enable multi-value header syntax and a header or query parameter has
        # multiple values, the load balancer uses the last value that it receives."
        query, probe = [["q", "second"], ["sp ace", "x y"], ["empty", ""]], "second"
    if source == "lattice":
        probe = "first,second"  # version 1 joins repeats (vpcLatticeEvent.json: "header2")
    assert (status_of(result), is_base64(result)) == (200, False)
    assert json.loads(result["body"]) == {
        "method": "GET",
        "root_path": root,
        "path": "/echo/café",
        "query": query,
        "probe": probe,
        "cookies": {"session": "abc123", "theme": "dark"},
        "body": "",
        "client": SOURCE_IP,
        "scheme": "https",
        "url_root": f"https://{host}{root}/",
        "aws_request_id": make_lambda_context().aws_request_id,
        "aws_event_method": "GET",
    }


@every_app_and_source
def test_plus_in_query_is_a_space_and_encoded_plus_a_plus(app_name: str, source: str) -> None:
    """A browser's ``a+b`` means "a b"; ``a%2Bb`` means "a+b", whether the gateway decoded the
    query (API Gateway) or not (ALB: "the load balancer does not decode them")."""
    result = invoke(app_name, source, path="/echo", raw_query="x=a+b&y=a%2Bb&z=%25")
    assert json.loads(result["body"])["query"] == [["x", "a b"], ["y", "a+b"], ["z", "%"]]


@every_app_and_source
def test_post_form(app_name: str, source: str) -> None:
    form = "a=1&a=2&b=x+y&c=%26%3D%2B%25"
    headers = [("Content-Type", "application/x-www-form-urlencoded")]
    result = invoke(app_name, source, method="POST", path="/form", headers=headers, body=form)
    assert json.loads(result["body"]) == [["a", "1"], ["a", "2"], ["b", "x y"], ["c", "&=+%"]]
    native = native_response(app_name, "POST", "/form", body=form.encode(), headers=headers)
    assert_matches_native(result, source, native, is_base64=False)


@every_app_and_source
def test_post_json(app_name: str, source: str) -> None:
    document = {"message": "hello from the public internet", "unicode": "lambda-λ"}
    body = json.dumps(document, ensure_ascii=False)
    headers = [("Content-Type", "application/json")]
    result = invoke(app_name, source, method="POST", path="/json", headers=headers, body=body)
    assert json.loads(result["body"]) == document
    native = native_response(app_name, "POST", "/json", body=body.encode(), headers=headers)
    assert_matches_native(result, source, native, is_base64=False)


@every_app_and_source
def test_binary_upload_and_download_round_trip(app_name: str, source: str) -> None:
    """The gateway base64-encodes a binary body; the app's binary answer must go back base64
    with ``isBase64Encoded`` true, byte for byte."""
    headers = [("Content-Type", "application/octet-stream")]
    result = invoke(
        app_name,
        source,
        method="POST",
        path="/upload",
        headers=headers,
        body=BINARY,
        is_base64=True,
    )
    assert body_bytes(result) == BINARY
    native = native_response(app_name, "POST", "/upload", body=BINARY, headers=headers)
    assert_matches_native(result, source, native, is_base64=True)


@every_app_and_source
def test_binary_download(app_name: str, source: str) -> None:
    result = invoke(app_name, source, path="/download")
    assert body_bytes(result) == BINARY
    assert_matches_native(
        result, source, native_response(app_name, "GET", "/download"), is_base64=True
    )


@every_app_and_source
def test_head_answers_get_headers_without_body(app_name: str, source: str) -> None:
    result = invoke(app_name, source, method="HEAD", path="/download")
    status, headers, _ = native_response(app_name, "GET", "/download")
    assert_matches_native(result, source, (status, headers, b""), is_base64=False)


@every_app_and_source
@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses(app_name: str, source: str, status: int) -> None:
    result = invoke(app_name, source, path=f"/status/{status}")
    native = native_response(app_name, "GET", f"/status/{status}")
    assert native[0] == status
    assert_matches_native(result, source, native, is_base64=False)


@every_app_and_source
def test_every_set_cookie_reaches_the_client(app_name: str, source: str) -> None:
    """Two ``Set-Cookie`` headers must stay two: ``multiValueHeaders`` (REST, 1.0, ALB multi),
    ``cookies`` (2.0, function URL), names differing in case (ALB single-value)."""
    result = invoke(app_name, source, path="/cookies")
    native = native_response(app_name, "GET", "/cookies")
    cookies = [value for name, value in native[1] if name.lower() == "set-cookie"]
    assert [cookie.split(";")[0].strip() for cookie in cookies] == ["first=1", "second=2"]
    assert_matches_native(result, source, native, is_base64=False)


@every_app_and_source
def test_gzip_json_goes_out_base64(app_name: str, source: str) -> None:
    """Compressed bytes are binary whatever the media type: sent as text they would be
    mangled by the JSON string round trip."""
    result = invoke(app_name, source, path="/gzip")
    assert body_bytes(result) == GZIP_JSON
    native = native_response(app_name, "GET", "/gzip")
    assert_matches_native(result, source, native, is_base64=True)
    assert gzip.decompress(body_bytes(result)) == JSON_DOC


@pytest.mark.parametrize(
    ("source", "raw_path"),
    [
        ("rest", "/raw/a%2Fb%20c"),
        ("url", "/raw/a%2Fb%20c"),
        ("alb", "/raw/a%2Fb%20c"),
        ("alb-multi", "/raw/a%2Fb%20c"),
        ("edge", "/raw/a%2Fb%20c"),
        ("lattice", "/raw/a%2Fb%20c"),
        ("lattice-v2", "/raw/a%2Fb%20c"),
        # HTTP APIs decode the path before the function sees it: %2F is gone for good
        # (middleapi/standard-server#93, hotsock/voker ingress-paths.json).
        ("http", "/raw/a/b%20c"),
        ("http-v1", "/raw/a/b%20c"),
    ],
)
def test_encoded_slash_survives_in_asgi_raw_path(source: str, raw_path: str) -> None:
    result = invoke("fastapi", source, path="/raw/a%2Fb%20c")
    root = ORIGINS[source][1]
    assert json.loads(result["body"]) == {"path": f"{root}/raw/a/b c", "raw_path": root + raw_path}


#: name: (event, the app's root URL as the client addressed it, root path)
ORIGIN_CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "alb-http-8080": (
        make_alb_event(path="/echo", host="lb.example.com:8080", scheme="http", port=8080),
        "http://lb.example.com:8080/",
        "",
    ),
    "alb-http-80": (
        make_alb_event(path="/echo", host="lb.example.com", scheme="http", port=80),
        "http://lb.example.com/",
        "",
    ),
    "rest-custom-domain": (
        make_rest_event(path="/echo", domain="api.example.com"),
        "https://api.example.com/",
        "",
    ),
    "http-named-stage": (
        make_http_v2_event(path="/dev/echo", stage="dev"),
        f"https://{execute_api_domain()}/dev/",
        "/dev",
    ),
}


@pytest.mark.parametrize(
    ("app_name", "case"),
    [
        pytest.param(
            app_name,
            case,
            id=f"{app_name}-{case}",
        )
        for app_name in APPS
        for case in ORIGIN_CASES
    ],
)
def test_scheme_host_and_port_come_from_the_forwarded_headers(app_name: str, case: str) -> None:
    event, url_root, root_path = ORIGIN_CASES[case]
    result = handler_for(app_name)(event, make_lambda_context())
    echo = json.loads(result["body"])
    scheme = url_root.partition(":")[0]
    assert (echo["url_root"], echo["scheme"], echo["root_path"]) == (url_root, scheme, root_path)
