"""The bundled example apps, as deployed by template.yaml, used the way their users use them.

Each test sends the event the deployed API would send (tests/factories.py), through
``make_handler(app)``, and checks what a browser or HTTP client would see: status, body,
cookies, where a redirect leads once resolved against the URL it came from, and binary bytes
after the base64 round trip. template.yaml puts the Flask app behind a REST API (stage
``prod``) and a function URL and the FastAPI app behind an HTTP API; both apps are run behind
all three here, since neither knows where it is deployed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
import pytest

from examples.fastapi_app.app import app as fastapi_app
from examples.flask_app.app import app as flask_app
from lambgate import make_handler
from tests.factories import (
    URL_ID,
    execute_api_domain,
    make_function_url_event,
    make_http_v2_event,
    make_lambda_context,
    make_rest_event,
)

ROOT = Path(__file__).resolve().parents[2]
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

#: One handler per app for the module, as one execution environment keeps it.
HANDLERS: dict[str, Handler] = {
    "flask": make_handler(flask_app),
    "fastapi": make_handler(fastapi_app),
}
APPS = tuple(HANDLERS)
SOURCES = ("rest", "http", "url")
#: Where each source's deployment is reached: host and the path prefix before the app's paths.
ORIGINS = {
    "rest": (execute_api_domain(), "/prod"),
    "http": (execute_api_domain(), ""),
    "url": (f"{URL_ID}.lambda-url.us-east-1.on.aws", ""),
}
FORM = "application/x-www-form-urlencoded"
#: Whether a text body reaches Lambda base64-encoded: template.yaml lists */* among the REST
#: API's BinaryMediaTypes, so REST encodes every body; HTTP APIs and function URLs encode
#: only binary ones.
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings.html
TEXT_AS_BASE64 = {"rest": True, "http": False, "url": False}


def make_event(source: str, path: str, **request: Any) -> dict[str, Any]:
    """The event ``source`` sends for a request to ``path`` (the app's path, no stage)."""
    if source == "rest":
        return make_rest_event(path=path, **request)
    if source == "http":
        return make_http_v2_event(path=path, **request)
    return make_function_url_event(path=path, **request)


def invoke(app: str, source: str, path: str, **request: Any) -> dict[str, Any]:
    return HANDLERS[app](make_event(source, path, **request), make_lambda_context())


def public_url(source: str, path: str) -> str:
    """The URL a client used to reach the app's ``path`` through ``source``."""
    host, prefix = ORIGINS[source]
    return f"https://{host}{prefix}{path}"


def header(result: dict[str, Any], name: str) -> str:
    """One response header as the client receives it, whatever case the app wrote it in."""
    values = [
        value for key, value in (result.get("headers") or {}).items() if key.lower() == name.lower()
    ]
    assert len(values) == 1, f"expected one {name} header in {result}"
    return str(values[0])


def set_cookies(source: str, result: dict[str, Any]) -> list[str]:
    """Every ``Set-Cookie`` the client receives: REST takes repeats from ``multiValueHeaders``,
    HTTP APIs and function URLs from ``cookies``.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    if source == "rest":
        assert not any(key.lower() == "set-cookie" for key in result["headers"])
        return [
            value
            for key, values in result["multiValueHeaders"].items()
            if key.lower() == "set-cookie"
            for value in values
        ]
    assert not any(key.lower() == "set-cookie" for key in result["headers"])
    return list(result.get("cookies", []))


def body_bytes(result: dict[str, Any]) -> bytes:
    body: str = result["body"]
    return base64.b64decode(body, validate=True) if result["isBase64Encoded"] else body.encode()


def body_json(result: dict[str, Any]) -> Any:
    assert header(result, "content-type").startswith("application/json")
    assert result["isBase64Encoded"] is False
    return json.loads(result["body"])


def multipart(fields: dict[str, tuple[str, bytes, str]]) -> tuple[str, bytes]:
    """A multipart/form-data body as httpx encodes a file upload: content type and bytes."""
    request = httpx.Request("POST", "https://example.invalid/", files=fields)
    return request.headers["content-type"], request.read()


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and unfiltered RGB rows of an 8-bit truecolour PNG, each chunk's CRC
    checked: what an image viewer does before it shows anything.
    https://www.w3.org/TR/png-3/#5DataRep"""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    chunks: dict[bytes, bytes] = {}
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        payload = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + payload), f"bad CRC in {kind!r}"
        chunks[kind] = chunks.get(kind, b"") + payload
        offset += 12 + length
    assert offset == len(data) and b"IEND" in chunks
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour_type, interlace) == (8, 2, 0)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 3 * width
    rows = [raw[i * stride : (i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows), "only filter type 0 is expected here"
    return width, height, [row[1:] for row in rows]


# ------------------------------------------------------------------------------------- JSON


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("app", APPS)
def test_json_body_is_echoed(app: str, source: str) -> None:
    document = {"name": "Zoë", "tags": ["a", "b"], "nested": {"n": 1.5, "none": None}}
    result = invoke(
        app,
        source,
        "/echo",
        method="POST",
        headers=[("Content-Type", "application/json")],
        body=json.dumps(document),
        is_base64=TEXT_AS_BASE64[source],
    )
    assert result["statusCode"] == 200
    assert body_json(result)["json"] == document


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("app", APPS)
def test_repeated_query_parameters_reach_the_app(app: str, source: str) -> None:
    result = invoke(app, source, "/items", raw_query="tag=a&tag=b%20c&tag=%C3%A9")
    assert result["statusCode"] == 200
    assert body_json(result)["items"] == ["a", "b c", "é"]


@pytest.mark.parametrize("source", SOURCES)
def test_fastapi_validates_a_json_order(source: str) -> None:
    order = {"item": "coffee", "quantity": 3, "unit_price": 2.5}
    created = invoke(
        "fastapi",
        source,
        "/orders",
        method="POST",
        body=json.dumps(order),
        headers=[("Content-Type", "application/json")],
        is_base64=TEXT_AS_BASE64[source],
    )
    assert created["statusCode"] == 201
    assert body_json(created) == {**order, "total": 7.5}

    invalid = invoke(
        "fastapi",
        source,
        "/orders",
        method="POST",
        body='{"item": "tea", "quantity": "many"}',
        headers=[("Content-Type", "application/json")],
        is_base64=TEXT_AS_BASE64[source],
    )
    # FastAPI answers a body that fails validation with 422 and where each error is.
    assert invalid["statusCode"] == 422
    problems = {tuple(error["loc"]) for error in body_json(invalid)["detail"]}
    assert problems == {("body", "quantity"), ("body", "unit_price")}


# ------------------------------------------------------------------------------- HTML forms


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("app", APPS)
def test_form_page_posts_back_under_the_stage(app: str, source: str) -> None:
    page = invoke(app, source, "/form")
    assert page["statusCode"] == 200
    assert header(page, "content-type") == "text/html; charset=utf-8"
    _, prefix = ORIGINS[source]
    # The browser posts to these; on REST they must keep the stage or API Gateway answers 403.
    assert f'action="{prefix}/form"' in page["body"]
    assert f'action="{prefix}/upload" enctype="multipart/form-data"' in page["body"]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("app", APPS)
def test_form_post_is_read_and_escaped(app: str, source: str) -> None:
    result = invoke(
        app,
        source,
        "/form",
        method="POST",
        headers=[("Content-Type", FORM)],
        body=urlencode({"name": "<b>Zoë</b> & co"}),
        is_base64=TEXT_AS_BASE64[source],
    )
    assert result["statusCode"] == 200
    assert "<p>Hello, &lt;b&gt;Zoë&lt;/b&gt; &amp; co!</p>" in result["body"]


# ------------------------------------------------------------------------------ file upload


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("app", APPS)
def test_multipart_upload_arrives_byte_for_byte(app: str, source: str) -> None:
    data = bytes(range(256)) * 64 + b"\r\n--not-a-boundary\r\n"
    content_type, body = multipart({"file": ("readings.bin", data, "application/octet-stream")})
    # Binary bodies reach Lambda base64-encoded from every source (REST: as multipart/form-data
    # is in the API's BinaryMediaTypes).
    result = invoke(
        app,
        source,
        "/upload",
        method="POST",
        headers=[("Content-Type", content_type)],
        body=body,
        is_base64=True,
    )
    assert result["statusCode"] == 200
    assert body_json(result) == {
        "filename": "readings.bin",
        "content_type": "application/octet-stream",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(("app", "status"), [("flask", 400), ("fastapi", 422)])
def test_upload_without_a_file_is_refused(app: str, status: int, source: str) -> None:
    content_type, body = multipart({"other": ("a.txt", b"x", "text/plain")})
    result = invoke(
        app,
        source,
        "/upload",
        method="POST",
        headers=[("Content-Type", content_type)],
        body=body,
        is_base64=True,
    )
    assert result["statusCode"] == status


def test_flask_refuses_uploads_lambda_could_not_carry() -> None:
    """Lambda takes 6 MB of request payload and the body arrives base64 (4/3 larger), so the
    app caps uploads at 4 MB and says so with 413 rather than failing obscurely.
    https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"""
    content_type, body = multipart({"file": ("big.bin", b"\0" * (4 * 1024 * 1024), "x/y")})
    result = invoke(
        "flask",
        "rest",
        "/upload",
        method="POST",
        headers=[("Content-Type", content_type)],
        body=body,
        is_base64=True,
    )
    assert result["statusCode"] == 413


# -------------------------------------------------------------------------- binary download


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("app", APPS)
def test_png_download_survives_the_base64_round_trip(app: str, source: str) -> None:
    result = invoke(
        app,
        source,
        "/swatch.png",
        query=[("color", "00ff7f"), ("size", "5")],
        headers=[("Accept", "image/png")],
    )
    assert result["statusCode"] == 200
    assert header(result, "content-type") == "image/png"
    # A binary body must go out base64 with isBase64Encoded, or the gateway corrupts it.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/lambda-proxy-binary-media.html
    assert result["isBase64Encoded"] is True
    png = body_bytes(result)
    assert int(header(result, "content-length")) == len(png)
    assert decode_png(png) == (5, 5, [b"\x00\xff\x7f" * 5] * 5)


def test_flask_png_result_is_exactly_what_rest_needs() -> None:
    result = invoke("flask", "rest", "/swatch.png", query=[("color", "102030"), ("size", "2")])
    png = body_bytes(result)
    assert decode_png(png) == (2, 2, [b"\x10\x20\x30" * 2] * 2)
    assert result == {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png", "Content-Length": str(len(png))},
        "multiValueHeaders": {},
        "body": base64.b64encode(png).decode("ascii"),
        "isBase64Encoded": True,
    }


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("app", APPS)
def test_bad_image_request_is_a_client_error(app: str, source: str) -> None:
    result = invoke(app, source, "/swatch.png", query=[("color", "chartreuse")])
    assert result["statusCode"] == 400
    assert result["isBase64Encoded"] is False


# ---------------------------------------------------------------------- cookies, redirects


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("app", APPS)
def test_login_sets_two_cookies_and_redirects_to_whoami(app: str, source: str) -> None:
    result = invoke(
        app,
        source,
        "/login",
        method="POST",
        headers=[("Content-Type", FORM)],
        body="user=ada&theme=dark",
        is_base64=TEXT_AS_BASE64[source],
    )
    assert result["statusCode"] == 303
    # Where the browser goes next: the Location resolved against the URL it posted to.
    location = urljoin(public_url(source, "/login"), header(result, "location"))
    assert location == public_url(source, "/whoami")

    cookies = SimpleCookie()
    for line in set_cookies(source, result):
        cookies.load(line)
    assert {name: morsel.value for name, morsel in cookies.items()} == {
        "user": "ada",
        "theme": "dark",
    }
    _, prefix = ORIGINS[source]
    user, theme = cookies["user"], cookies["theme"]
    assert (user["path"], user["httponly"], user["secure"]) == (prefix or "/", True, True)
    assert (theme["path"], theme["httponly"], theme["secure"]) == (prefix or "/", "", "")
    assert user["samesite"].lower() == theme["samesite"].lower() == "lax"

    # The browser sends both back on the next request, in one Cookie header.
    cookie_header = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
    whoami = invoke(app, source, "/whoami", headers=[("Cookie", cookie_header)])
    assert whoami["statusCode"] == 200
    assert body_json(whoami) == {"user": "ada", "theme": "dark"}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(("app", "status"), [("flask", 302), ("fastapi", 307)])
def test_url_for_redirect_leads_to_the_route(app: str, status: int, source: str) -> None:
    result = invoke(app, source, "/go")
    assert result["statusCode"] == status
    location = urljoin(public_url(source, "/go"), header(result, "location"))
    assert location == public_url(source, "/items")


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("app", APPS)
def test_index_links_are_absolute_public_urls(app: str, source: str) -> None:
    links = body_json(invoke(app, source, "/"))
    assert links["items"] == public_url(source, "/items")
    assert links["form"] == public_url(source, "/form")
    assert links["swatch"] == public_url(source, "/swatch.png?color=ff8800")


# ------------------------------------------------------------------------------- lifespan


def test_fastapi_lifespan_state_lives_as_long_as_the_environment() -> None:
    """Startup runs once per execution environment, so state it builds is shared by every
    invocation there and starts afresh in a new one."""
    environment = make_handler(fastapi_app)
    counts = [
        body_json(environment(make_http_v2_event(path="/"), make_lambda_context()))["visits"]
        for _ in range(3)
    ]
    assert counts == [1, 2, 3]
    greeting = body_json(environment(make_rest_event(path="/"), make_lambda_context()))
    assert (greeting["message"], greeting["visits"]) == ("hello from FastAPI on lambgate", 4)

    another_environment = make_handler(fastapi_app)
    first = body_json(another_environment(make_http_v2_event(path="/"), make_lambda_context()))
    assert first["visits"] == 1


@pytest.mark.parametrize("source", SOURCES)
def test_fastapi_serves_the_image_built_at_startup(source: str) -> None:
    result = invoke("fastapi", source, "/logo.png")
    assert (result["statusCode"], header(result, "content-type")) == (200, "image/png")
    assert decode_png(body_bytes(result)) == (16, 16, [b"\x23\x6b\x8e" * 16] * 16)


# ----------------------------------------------------------------------------------- demo


def test_demo_prints_a_successful_result_for_each_app_and_source() -> None:
    """README's first command ends by running this; it must work from a clean checkout."""
    proc = subprocess.run(
        [sys.executable, "examples/demo.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    sections = proc.stdout.split("== ")[1:]
    titles = [section.splitlines()[0] for section in sections]
    assert titles == [
        f"{app} behind {source}: GET /prod/items?tag=a&tag=b%20c"
        for app in ("Flask (WSGI)", "FastAPI (ASGI)")
        for source in ("rest", "http")
    ]
    for section in sections:
        result = json.loads(section.split("\n", 1)[1])
        assert result["statusCode"] == 200
        assert json.loads(result["body"])["items"] == ["a", "b c"]
