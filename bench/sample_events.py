"""The events, context and hello apps every benchmark shares.

Events come from ``tests/factories.py``, which models them on live captures, with the headers
a real browser or HTTP client sends (and, for REST, the CloudFront headers API Gateway adds),
so that header translation, the part of the work that grows with real traffic, is measured at
its real size.
"""

from __future__ import annotations

import copy
import json
from typing import Any

# The same hello app http_front serves; both adapters run its lifespan by default.
from bench.hello_app import app as asgi_hello
from tests.factories import (
    LambdaContext,
    make_alb_event,
    make_http_v2_event,
    make_lambda_context,
    make_rest_event,
)

__all__ = [
    "alb_get_event",
    "asgi_hello",
    "binary_body",
    "binary_post_event",
    "fresh",
    "http_post_event",
    "json_body",
    "lambda_context",
    "rest_get_event",
    "wsgi_hello",
]

_BROWSER = [
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Accept-Language", "en-GB,en;q=0.9"),
    (
        "User-Agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0 Safari/537.36",
    ),
    ("Cookie", "session=8f14e45fceea167a5a36dedd4bea2543; theme=dark"),
]

# What API Gateway's CloudFront distribution adds in front of a REST API (edge-optimized).
_CLOUDFRONT = [
    ("CloudFront-Forwarded-Proto", "https"),
    ("CloudFront-Is-Desktop-Viewer", "true"),
    ("CloudFront-Is-Mobile-Viewer", "false"),
    ("CloudFront-Is-SmartTV-Viewer", "false"),
    ("CloudFront-Is-Tablet-Viewer", "false"),
    ("CloudFront-Viewer-Country", "GB"),
    ("Via", "2.0 a1b2c3d4e5f6.cloudfront.net (CloudFront)"),
    ("X-Amz-Cf-Id", "Qm9vZ2llV29vZ2llQm9vZ2llV29vZ2llQm9vZ2llV29vZ2ll=="),
]

_QUERY = [("page", "2"), ("sort", "name")]


def rest_get_event() -> dict[str, Any]:
    """A browser's GET through an edge-optimized REST API, ``prod`` stage."""
    return make_rest_event(path="/items/42", query=_QUERY, headers=_BROWSER + _CLOUDFRONT)


def json_body(size: int) -> bytes:
    """A JSON document of exactly ``size`` bytes (padded inside a string)."""
    document = {"items": [{"id": i, "name": f"item-{i}", "tags": ["a", "b"]} for i in range(8)]}
    text = json.dumps({**document, "note": ""})
    return json.dumps({**document, "note": "x" * max(0, size - len(text))}).encode("utf-8")


def http_post_event(body_size: int = 1024) -> dict[str, Any]:
    """An API client's POST of a ``body_size``-byte JSON document to an HTTP API (payload 2.0)."""
    return make_http_v2_event(
        method="POST",
        path="/items",
        headers=[
            ("accept", "application/json"),
            ("content-type", "application/json"),
            ("user-agent", "python-httpx/0.27.0"),
        ],
        body=json_body(body_size).decode("utf-8"),
    )


def alb_get_event() -> dict[str, Any]:
    """A browser's GET through an ALB whose target group has multi-value headers on, as
    apig-wsgi's README asks for ALB ("need explicit activation on ALBs")."""
    return make_alb_event(path="/items/42", query=_QUERY, headers=_BROWSER, multi_value=True)


def binary_body(size: int) -> bytes:
    """``size`` bytes that look random (every byte value, no runs): an upload that cannot
    travel as text."""
    return bytes((i * 2654435761 >> 13) & 0xFF for i in range(size))


def binary_post_event(body: bytes) -> dict[str, Any]:
    """An HTTP API POST of ``body`` as ``application/octet-stream``, hence base64 in the event."""
    return make_http_v2_event(
        method="POST",
        path="/upload",
        headers=[("content-type", "application/octet-stream")],
        body=body,
        is_base64=True,
    )


def lambda_context() -> LambdaContext:
    """A context whose deadline (the longest Lambda allows) outlasts any benchmark run: lambgate
    arms a timer against it for ASGI apps, as it does in Lambda."""
    return make_lambda_context(remaining_ms=900_000)


def fresh(event: dict[str, Any]) -> dict[str, Any]:
    """A private copy, so that no contender can see (or be slowed by) another's mutations."""
    return copy.deepcopy(event)


def wsgi_hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"Hello"]
