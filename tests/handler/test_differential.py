"""The same AWS events through lambgate and through its peers, mangum (ASGI) and apig-wsgi
(WSGI), running the same real apps: where the results differ, the difference is named here
with the reason lambgate differs on purpose. Anything unnamed must match.

Each named difference is a change from the peer's answer to lambgate's. A difference that no
longer changes anything fails the test too, so this list stays the true list.

apig-wsgi runs with ``binary_support=True``, as its README asks of any app that sends binary
responses; without it apig-wsgi fails on a body that is not UTF-8.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import flask
import pytest
from apig_wsgi import make_lambda_handler
from mangum import Mangum
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route

from lambgate import make_handler
from tests.factories import (
    SOURCE_IP,
    make_alb_event,
    make_function_url_event,
    make_http_v1_event,
    make_http_v2_event,
    make_lambda_context,
    make_rest_event,
)

Result = dict[str, Any]
SOURCES = ("rest", "http-v1", "http", "url", "alb", "alb-multi")
API_GATEWAY = frozenset({"rest", "http-v1", "http"})
HTTP_API = frozenset({"http-v1", "http"})
V1_SHAPE = frozenset({"rest", "http-v1"})
V2_SHAPE = frozenset({"http", "url"})
ALB = frozenset({"alb", "alb-multi"})
EVERY_SOURCE = frozenset(SOURCES)


# --- the apps -------------------------------------------------------------------------------

#: ``(status, headers, body)`` an app answers for each kind of response.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
ANSWERS: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {
    "cookies": (
        201,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Set-Cookie", "a=1; Path=/"),
            ("Set-Cookie", "b=2; Path=/"),
            ("Vary", "Accept"),
            ("Vary", "Cookie"),
        ],
        "<p>café</p>".encode(),
    ),
    "png": (200, [("Content-Type", "image/png")], PNG),
    "svg": (200, [("Content-Type", "image/svg+xml")], SVG),
    "gzip": (
        200,
        [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
        gzip.compress(b'{"ok": true}', mtime=0),
    ),
}


async def starlette_echo(request: StarletteRequest) -> JSONResponse:
    """What a Starlette app sees of the request, as JSON."""
    scope = request.scope
    root = scope.get("root_path", "")
    path = scope["path"]
    raw_path = scope.get("raw_path")
    grouped: dict[str, list[str]] = {}
    for name, value in scope["headers"]:
        grouped.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
    return JSONResponse(
        {
            "method": request.method,
            "url": str(request.url.replace(query="")),
            "root_path": root,
            # What Starlette routes on: the path below the mount point.
            "route_path": path[len(root) :] if path.startswith(root) else path,
            "raw_path": raw_path.decode("ascii") if raw_path is not None else None,
            "params": request.query_params.multi_items(),
            "headers": grouped,
            "cookies": request.cookies,
            "client": request.client.host if request.client else None,
            "body": (await request.body()).hex(),
        }
    )


async def starlette_answer(request: StarletteRequest) -> StarletteResponse:
    status, headers, body = ANSWERS[request.path_params["kind"]]
    response = StarletteResponse(body, status_code=status)
    for name, value in headers:
        response.headers.append(name, value)
    return response


starlette_app = Starlette(
    routes=[
        Route("/answer/{kind}", starlette_answer),
        Route("/{path:path}", starlette_echo, methods=["GET", "POST"]),
    ]
)

flask_app = flask.Flask("differential")


@flask_app.route("/answer/<kind>")
def flask_answer(kind: str) -> flask.Response:
    status, headers, body = ANSWERS[kind]
    return flask.Response(body, status=status, headers=headers)


@flask_app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@flask_app.route("/<path:path>", methods=["GET", "POST"])
def flask_echo(path: str) -> flask.Response:
    """What a Flask app sees of the request, as JSON."""
    request = flask.request
    return flask.jsonify(
        {
            "method": request.method,
            "url": request.base_url,
            "script_root": request.script_root,
            "path": request.path,
            "params": list(request.args.items(multi=True)),
            "headers": {name.lower(): value for name, value in request.headers.items()},
            "cookies": dict(request.cookies),
            "remote_addr": request.remote_addr,
            "body": request.get_data().hex(),
        }
    )


Handler = Callable[[dict[str, Any], Any], Result]
HANDLERS: dict[str, tuple[Handler, Handler]] = {
    "mangum": (
        make_handler(starlette_app, lifespan="off"),
        Mangum(starlette_app, lifespan="off"),
    ),
    "apig-wsgi": (
        make_handler(flask_app),
        make_lambda_handler(flask_app, binary_support=True),
    ),
}


# --- the events -----------------------------------------------------------------------------

#: A request that exercises everything a translation can get wrong: an encoded slash and a
#: UTF-8 character in the path, a repeated query key, a value holding ``& = + %`` and a space,
#: a repeated header, cookies, a client-supplied X-Forwarded-For and a binary body.
CLIENT_PATH = "/items/a%2Fb/caf%C3%A9"
CLIENT_REQUEST: dict[str, Any] = {
    "method": "POST",
    "query": [("tag", "a"), ("tag", "b"), ("q", "x y&z=1+2%")],
    "headers": [
        ("Accept", "text/html"),
        ("Accept", "application/json"),
        ("Cookie", "a=1; b=2"),
        ("Content-Type", "application/octet-stream"),
        ("X-Forwarded-For", "198.51.100.9"),
    ],
    "body": bytes(range(256)),
    "is_base64": True,
}


def client_event(
    source: str, path: str = CLIENT_PATH, *, named_stage: bool = True, **request: Any
) -> dict[str, Any]:
    """The event ``source`` sends for the client's request: REST on its default ``prod`` stage,
    HTTP APIs on a named ``dev`` stage, which leads the path the client asked for (or on
    ``$default``, which does not)."""
    stage = "dev" if named_stage else "$default"
    staged_path = "/dev" + path if named_stage else path
    if source == "rest":
        return make_rest_event(path=path, **request)
    if source == "http-v1":
        return make_http_v1_event(path=staged_path, stage=stage, **request)
    if source == "http":
        return make_http_v2_event(path=staged_path, stage=stage, **request)
    if source == "url":
        return make_function_url_event(path=path, **request)
    return make_alb_event(path=path, multi_value=source == "alb-multi", **request)


# --- named differences ----------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One way lambgate answers differently from a peer on purpose: ``why``, for which
    sources, and how the peer's answer becomes lambgate's."""

    why: str
    sources: frozenset[str]
    #: ``change(peer_answer, source)``
    change: Callable[[Result, str], Result]
    kinds: frozenset[str] | None = None  # for results: the responses it applies to


def expected_from(
    theirs: Result, differences: Iterable[Difference], source: str, kind: str | None = None
) -> Result:
    """The peer's answer with every named difference for ``source`` applied, each checked to
    still be a difference."""
    expected = theirs
    for difference in differences:
        if source not in difference.sources:
            continue
        if kind is not None and difference.kinds is not None and kind not in difference.kinds:
            continue
        changed = difference.change(expected, source)
        assert changed != expected, f"no longer a difference: {difference.why}"
        expected = changed
    return expected


def with_fields(**fields: Any) -> Callable[[Result, str], Result]:
    return lambda view, source: view | fields


def with_header(name: str, value: Any) -> Callable[[Result, str], Result]:
    return lambda view, source: view | {"headers": view["headers"] | {name: value}}


def result_change(change: Callable[[Result], Result]) -> Callable[[Result, str], Result]:
    return lambda result, source: change(result)


#: The raw path lambgate gives the app: the path as the client sent it, but re-encoded from
#: the decoded path HTTP APIs deliver.
RAW_PATHS = {
    "rest": "/prod/items/a%2Fb/caf%C3%A9",
    "http-v1": "/dev/items/a/b/caf%C3%A9",
    "http": "/dev/items/a/b/caf%C3%A9",
}


EXECUTE_API = "https://abcdef1234.execute-api.us-east-1.amazonaws.com"
DECODED_PATH = "/items/a/b/café"

ASGI_REQUEST_DIFFERENCES = [
    Difference(
        "ASGI raw_path is the path as received (encoded, %2F intact); mangum sends None, so an "
        "app cannot tell /items/a%2Fb from /items/a/b. HTTP APIs decode the path, so there "
        "lambgate can only re-encode it (live captures: hotsock/voker ingress-paths.json).",
        EVERY_SOURCE,
        lambda view, source: view | {"raw_path": RAW_PATHS.get(source, CLIENT_PATH)},
    ),
    Difference(
        "REST's stage is part of every URL on the execute-api domain: lambgate mounts the app "
        "at root_path /prod so url_for() links work; mangum drops the stage from URLs.",
        frozenset({"rest"}),
        with_fields(url=EXECUTE_API + "/prod" + DECODED_PATH, root_path="/prod"),
    ),
    Difference(
        "A named HTTP API stage leads the path: lambgate mounts the app under it, so routes are "
        "written without it; under mangum the app must route /dev/items.",
        HTTP_API,
        with_fields(root_path="/dev", route_path=DECODED_PATH),
    ),
    Difference(
        "REST and HTTP API 1.0 deliver repeated headers in multiValueHeaders: lambgate passes "
        "each line to the app, as ASGI allows; mangum joins them into one with ', '.",
        V1_SHAPE,
        with_header("accept", ["text/html", "application/json"]),
    ),
    Difference(
        "ALB appends the peer it saw to X-Forwarded-For; anything before it is what the client "
        "claimed. lambgate takes the last entry; mangum hands the whole header over as the "
        "client's host.",
        ALB,
        with_fields(client=SOURCE_IP),
    ),
]

WSGI_REQUEST_DIFFERENCES = [
    Difference(
        "REST's stage is part of every URL on the execute-api domain: lambgate sets "
        "SCRIPT_NAME=/prod so generated links carry it; apig-wsgi leaves SCRIPT_NAME empty.",
        frozenset({"rest"}),
        with_fields(url=EXECUTE_API + "/prod" + DECODED_PATH, script_root="/prod"),
    ),
    Difference(
        "HTTP APIs hand over the path decoded (hotsock/voker ingress-paths.json); apig-wsgi "
        "puts that text in "
        "PATH_INFO as if it were Latin-1 bytes, so 'café' reaches Flask as 'caf\\ufffd', and "
        "keeps the named stage there. lambgate mounts the app under the stage, PATH_INFO "
        "holding the path's UTF-8 bytes as PEP 3333 asks.",
        HTTP_API,
        with_fields(url=EXECUTE_API + "/dev" + DECODED_PATH, script_root="/dev", path=DECODED_PATH),
    ),
    Difference(
        "The client address is the gateway's own record (identity.sourceIp; ALB's last "
        "X-Forwarded-For entry). apig-wsgi takes the first X-Forwarded-For entry, which the "
        "client wrote itself and can forge.",
        V1_SHAPE | ALB,
        with_fields(remote_addr=SOURCE_IP),
    ),
    Difference(
        "Payload 2.0 splits Cookie into the cookies array; lambgate joins them back with '; ' "
        "as RFC 6265 writes the header, apig-wsgi with ';'.",
        frozenset({"http"}),
        with_header("cookie", "a=1; b=2"),
    ),
    Difference(
        "Function URLs send both the cookie header and the cookies array (voker capture): "
        "apig-wsgi adds the two together, so every cookie appears twice in the header.",
        frozenset({"url"}),
        with_header("cookie", "a=1; b=2"),
    ),
]


def status_description(result: Result) -> Result:
    status = result["statusCode"]
    return result | {"statusDescription": f"{status} {HTTPStatus(status).phrase}"}


def joined_non_cookie_repeats(result: Result) -> Result:
    grouped: dict[str, list[tuple[str, str]]] = {}
    for name, value in result["headers"].items():
        grouped.setdefault(name.lower(), []).append((name, value))
    headers: dict[str, str] = {}
    for lower, spellings in grouped.items():
        if lower == "set-cookie":
            headers.update(spellings)
        else:
            headers[spellings[0][0]] = ", ".join(value for _, value in spellings)
    return result | {"headers": headers}


def svg_as_text(result: Result) -> Result:
    return result | {"body": SVG.decode(), "isBase64Encoded": False}


ALB_STATUS_DESCRIPTION = Difference(
    "ALB: 'The statusDescription header must contain the status code and reason phrase, "
    "separated by a single space' (lambda-functions.html); the peer leaves it out.",
    ALB,
    result_change(status_description),
)
SVG_IS_TEXT = Difference(
    "image/svg+xml is XML text: lambgate sends it as text, so a REST API without a "
    "binaryMediaTypes entry for it still serves an image rather than base64; the peer "
    "base64-encodes it.",
    EVERY_SOURCE,
    result_change(svg_as_text),
    kinds=frozenset({"svg"}),
)

MANGUM_RESULT_DIFFERENCES = [
    ALB_STATUS_DESCRIPTION,
    SVG_IS_TEXT,
    Difference(
        "ALB single-value mode: lambgate joins a repeated header other than Set-Cookie into "
        "one line (RFC 9110 5.3) and spreads only Set-Cookie, which cannot be joined, over "
        "case variants of its name; mangum spreads every repeated header that way.",
        frozenset({"alb"}),
        result_change(joined_non_cookie_repeats),
        kinds=frozenset({"cookies"}),
    ),
]

#: How Flask spells the header names it sends; apig-wsgi lower-cases them in 2.0 results.
FLASK_SPELLING = {
    name.lower(): name
    for name in ("Content-Type", "Content-Length", "Content-Encoding", "Set-Cookie", "Vary")
}


def flask_spelling(result: Result) -> Result:
    return result | {"headers": {FLASK_SPELLING[n]: v for n, v in result["headers"].items()}}


def single_values_in_headers(result: Result) -> Result:
    multi = result["multiValueHeaders"]
    return {k: v for k, v in result.items() if k != "multiValueHeaders"} | {
        "headers": {name: values[0] for name, values in multi.items() if len(values) == 1},
        "multiValueHeaders": {name: values for name, values in multi.items() if len(values) > 1},
    }


def without_empty_cookies(result: Result) -> Result:
    return {k: v for k, v in result.items() if not (k == "cookies" and v == [])}


def with_result_headers(**headers: str) -> Callable[[Result, str], Result]:
    return lambda result, source: result | {"headers": result["headers"] | headers}


APIG_RESULT_DIFFERENCES = [
    ALB_STATUS_DESCRIPTION,
    SVG_IS_TEXT,
    Difference(
        "REST and HTTP API 1.0 results: apig-wsgi puts every header in multiValueHeaders; "
        "lambgate puts single values in headers and repeats in multiValueHeaders. API Gateway "
        "merges the two, so the client sees the same response.",
        V1_SHAPE,
        result_change(single_values_in_headers),
    ),
    Difference(
        "Payload 2.0 results: apig-wsgi lower-cases header names; lambgate keeps the app's "
        "spelling (API Gateway passes either on).",
        V2_SHAPE,
        result_change(flask_spelling),
    ),
    Difference(
        "Payload 2.0 results: apig-wsgi always sends a cookies array; lambgate only when the "
        "app set a cookie.",
        V2_SHAPE,
        result_change(without_empty_cookies),
        kinds=frozenset({"png", "svg", "gzip"}),
    ),
    Difference(
        "Payload 2.0 headers hold one string per name: apig-wsgi keeps only the last Vary, "
        "so the client loses 'Vary: Accept'; lambgate joins repeats with ','.",
        V2_SHAPE,
        with_result_headers(Vary="Accept,Cookie"),
        kinds=frozenset({"cookies"}),
    ),
    Difference(
        "ALB single-value mode: apig-wsgi builds headers with dict(), so only the last "
        "Set-Cookie and the last Vary survive; lambgate keeps every cookie under case variants "
        "of the name ('Set-Cookie', 'Set-cookie') and joins other repeats.",
        frozenset({"alb"}),
        with_result_headers(
            **{"Vary": "Accept, Cookie", "Set-Cookie": "a=1; Path=/", "Set-cookie": "b=2; Path=/"}
        ),
        kinds=frozenset({"cookies"}),
    ),
]

REQUEST_DIFFERENCES = {"mangum": ASGI_REQUEST_DIFFERENCES, "apig-wsgi": WSGI_REQUEST_DIFFERENCES}
RESULT_DIFFERENCES = {"mangum": MANGUM_RESULT_DIFFERENCES, "apig-wsgi": APIG_RESULT_DIFFERENCES}


# --- the tests ------------------------------------------------------------------------------


def seen_by_app(result: Mapping[str, Any]) -> Result:
    assert result["statusCode"] == 200, result
    assert result["isBase64Encoded"] is False
    view: Result = json.loads(result["body"])
    return view


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("peer", ["mangum", "apig-wsgi"])
def test_app_sees_the_same_request(peer: str, source: str) -> None:
    ours, theirs = HANDLERS[peer]
    event = client_event(source, **CLIENT_REQUEST)
    our_view = seen_by_app(ours(event, make_lambda_context()))
    their_view = seen_by_app(theirs(event, make_lambda_context()))
    assert our_view == expected_from(their_view, REQUEST_DIFFERENCES[peer], source)


@pytest.mark.parametrize("kind", ANSWERS)
@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("peer", ["mangum", "apig-wsgi"])
def test_gateway_gets_the_same_result(peer: str, source: str, kind: str) -> None:
    ours, theirs = HANDLERS[peer]
    # $default stage: the peers would route a named one as part of the path (see above).
    event = client_event(source, path=f"/answer/{kind}", named_stage=False)
    our_result = ours(event, make_lambda_context())
    their_result = theirs(event, make_lambda_context())
    assert our_result == expected_from(their_result, RESULT_DIFFERENCES[peer], source, kind)
