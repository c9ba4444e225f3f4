"""ASGI apps behind a Lambda event: the scope an app sees, the receive/send cycle as the ASGI
HTTP spec defines it, and what a broken app gets.

ASGI HTTP spec: https://asgi.readthedocs.io/en/latest/specs/www.html
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

from lambgate import make_handler
from tests.factories import (
    SOURCE_IP,
    execute_api_domain,
    make_http_v2_event,
    make_lambda_context,
    make_rest_event,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

API_HOST = execute_api_domain()

HTTP_INTERNAL_ERROR = {
    "statusCode": 500,
    "headers": {"content-type": "text/plain; charset=utf-8"},
    "body": "Internal Server Error",
    "isBase64Encoded": False,
}

START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/plain")],
}


def http_ok(body: str, status: int = 200) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "text/plain"},
        "body": body,
        "isBase64Encoded": False,
    }


class TestScope:
    def test_rest_request_scope_has_every_key_with_the_root_path_in_path(self) -> None:
        scopes: list[Scope] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scopes.append(scope)
            await send(START)
            await send({"type": "http.response.body", "body": b"ok"})

        event = make_rest_event(
            path="/items/a%20b%2Fc", raw_query="q=1&q=2", headers=[("Accept", "*/*")]
        )
        context = make_lambda_context()
        result = make_handler(app, lifespan="off")(event, context)

        assert result["statusCode"] == 200
        (scope,) = scopes
        assert scope == {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "https",
            # path and raw_path carry root_path, so that routing strips it (ASGI HTTP spec:
            # "PATH_INFO can be derived by stripping root_path from path").
            "path": "/prod/items/a b/c",
            "raw_path": b"/prod/items/a%20b%2Fc",
            "query_string": b"q=1&q=2",
            "root_path": "/prod",
            "headers": [
                (b"host", API_HOST.encode()),
                (b"x-amzn-trace-id", event["headers"]["X-Amzn-Trace-Id"].encode()),
                (b"x-forwarded-for", SOURCE_IP.encode()),
                (b"x-forwarded-port", b"443"),
                (b"x-forwarded-proto", b"https"),
                (b"accept", b"*/*"),
            ],
            "client": (SOURCE_IP, 0),
            "server": (API_HOST, 443),
            "extensions": {},
            "aws.event": event,
            "aws.context": context,
        }

    def test_http_api_named_stage_becomes_root_path(self) -> None:
        scopes: list[Scope] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scopes.append(scope)
            await send(START)
            await send({"type": "http.response.body", "body": b"ok"})

        event = make_http_v2_event(path="/dev/items/1", stage="dev", headers=[("Cookie", "a=1")])
        make_handler(app, lifespan="off")(event, make_lambda_context())

        (scope,) = scopes
        assert (scope["root_path"], scope["path"], scope["raw_path"]) == (
            "/dev",
            "/dev/items/1",
            b"/dev/items/1",
        )
        # HTTP APIs move Cookie into "cookies"; the app still gets a Cookie header.
        assert (b"cookie", b"a=1") in scope["headers"]

    def test_starlette_routes_under_the_stage_and_links_back_into_it(self) -> None:
        async def item(request: StarletteRequest) -> JSONResponse:
            return JSONResponse(
                {
                    "id": request.path_params["item_id"],
                    "link": str(request.url_for("item", item_id="2")),
                }
            )

        app = Starlette(routes=[Route("/items/{item_id}", item, name="item")])

        result = make_handler(app)(make_rest_event(path="/items/1"), make_lambda_context())

        body = f'{{"id":"1","link":"https://{API_HOST}/prod/items/2"}}'
        assert result == {
            "statusCode": 200,
            "headers": {"content-length": str(len(body)), "content-type": "application/json"},
            "multiValueHeaders": {},
            "body": body,
            "isBase64Encoded": False,
        }


class TestReceive:
    def test_body_arrives_once_then_disconnect_only_after_the_response(self) -> None:
        received: list[Message] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            received.append(await receive())
            client_gone = asyncio.Event()

            async def watch_for_disconnect() -> None:
                received.append(await receive())
                client_gone.set()

            watcher = asyncio.create_task(watch_for_disconnect())
            await send(START)
            for number in range(5):
                if client_gone.is_set():
                    return  # what a streaming app does when the client left: stop
                await send(
                    {"type": "http.response.body", "body": b"%d," % number, "more_body": True}
                )
                await asyncio.sleep(0.001)
            await send({"type": "http.response.body", "body": b"end"})
            await watcher

        event = make_http_v2_event(
            method="POST", body="payload", headers=[("Content-Type", "text/plain")]
        )
        result = make_handler(app, lifespan="off")(event, make_lambda_context())

        assert result == http_ok("0,1,2,3,4,end")
        assert received == [
            {"type": "http.request", "body": b"payload", "more_body": False},
            {"type": "http.disconnect"},
        ]

    def test_empty_body_is_still_one_request_message(self) -> None:
        received: list[Message] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            received.append(await receive())
            await send(START)
            await send({"type": "http.response.body", "body": b""})
            received.append(await receive())

        make_handler(app, lifespan="off")(make_http_v2_event(), make_lambda_context())

        assert received == [
            {"type": "http.request", "body": b"", "more_body": False},
            {"type": "http.disconnect"},
        ]


class TestSend:
    def test_more_body_chunks_are_concatenated(self) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await send(START)
            await send({"type": "http.response.body", "body": b"a", "more_body": True})
            await send({"type": "http.response.body", "body": bytearray(b"b"), "more_body": True})
            await send({"type": "http.response.body", "more_body": True})
            await send({"type": "http.response.body", "body": memoryview(b"c")})

        result = make_handler(app, lifespan="off")(make_http_v2_event(), make_lambda_context())

        assert result == http_ok("abc")

    def test_status_and_headers_are_the_apps(self) -> None:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 418,
                    "headers": [(b"content-type", b"text/plain"), (b"x-tea", b"earl grey")],
                }
            )
            await send({"type": "http.response.body", "body": b"short and stout"})

        result = make_handler(app, lifespan="off")(make_http_v2_event(), make_lambda_context())

        assert result == {
            "statusCode": 418,
            "headers": {"content-type": "text/plain", "x-tea": "earl grey"},
            "body": "short and stout",
            "isBase64Encoded": False,
        }


def messages_app(*messages: Message) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in messages:
            await send(message)

    return app


BODY = {"type": "http.response.body", "body": b"x"}


@pytest.mark.parametrize(
    ("app", "reason"),
    [
        (messages_app(BODY), "ASGI app sent 'http.response.body' before http.response.start"),
        (
            messages_app(START, START),
            "ASGI app sent 'http.response.start' after http.response.start",
        ),
        (
            messages_app(START, {"type": "http.response.trailers"}),
            "ASGI app sent 'http.response.trailers' after http.response.start",
        ),
        (
            messages_app({"type": "http.response.start", "status": "200"}),
            "'http.response.start' has an invalid status: '200'",
        ),
        (
            messages_app(START, {"type": "http.response.body", "body": "text"}),
            "'http.response.body' body must be bytes, got str",
        ),
        (messages_app(), "ASGI app returned without sending 'http.response.start'"),
        (
            messages_app(START, {"type": "http.response.body", "body": b"x", "more_body": True}),
            "ASGI app returned before the final 'http.response.body' (more_body=False)",
        ),
    ],
    ids=[
        "body-before-start",
        "start-twice",
        "unknown-message",
        "status-not-int",
        "str-body",
        "no-response",
        "unfinished-body",
    ],
)
def test_protocol_violations_answer_500_naming_the_message(
    app: Callable[[Scope, Receive, Send], Awaitable[None]],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="lambgate"):
        result = make_handler(app, lifespan="off")(
            make_http_v2_event(path="/broken"), make_lambda_context()
        )

    assert result == HTTP_INTERNAL_ERROR
    (record,) = caplog.records
    assert record.getMessage() == "GET /broken: app failed, answering 500"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == reason


class AppBug(Exception):
    pass


async def raises_before_start(scope: Scope, receive: Receive, send: Send) -> None:
    raise AppBug("before start")


async def raises_after_start(scope: Scope, receive: Receive, send: Send) -> None:
    await send(START)
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise AppBug("after start")


@pytest.mark.parametrize("app", [raises_before_start, raises_after_start])
def test_app_raising_before_the_response_ends_gives_500(
    app: Callable[[Scope, Receive, Send], Awaitable[None]], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="lambgate"):
        result = make_handler(app, lifespan="off")(make_http_v2_event(), make_lambda_context())

    assert result == HTTP_INTERNAL_ERROR
    (record,) = caplog.records
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], AppBug)


def test_app_raising_after_the_response_ends_keeps_its_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(START)
        await send({"type": "http.response.body", "body": b"done"})
        raise AppBug("background cleanup failed")

    with caplog.at_level(logging.ERROR, logger="lambgate"):
        result = make_handler(app, lifespan="off")(
            make_http_v2_event(path="/late"), make_lambda_context()
        )

    assert result == http_ok("done")
    (record,) = caplog.records
    assert record.getMessage() == "GET /late: app raised after its response was sent"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], AppBug)


def test_sending_after_the_response_ends_is_refused_but_the_response_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    errors: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(START)
        await send({"type": "http.response.body", "body": b"complete"})
        try:
            await send({"type": "http.response.body", "body": b"extra"})
        except Exception as exc:
            errors.append(str(exc))
            raise

    with caplog.at_level(logging.ERROR, logger="lambgate"):
        result = make_handler(app, lifespan="off")(make_http_v2_event(), make_lambda_context())

    assert result == http_ok("complete")
    assert errors == ["ASGI app sent 'http.response.body' after the final http.response.body"]
    assert "app raised after its response was sent" in caplog.text
