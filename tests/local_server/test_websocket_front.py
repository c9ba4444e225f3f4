"""A WebSocket API served to a real WebSocket client (the ``websockets`` library): the upgrade
invokes ``$connect``, messages their selected route, the close ``$disconnect``."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from lambgate import make_handler
from lambgate.local.front.websocket_limits import AWS_WEBSOCKET_LIMITS, WebSocketLimits
from lambgate.local.front.websocket_server import start_websocket_server
from lambgate.local.gateway.websocket_gateway import WebSocketGateway
from lambgate.local.lambda_service.function import FunctionConfig
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.template.specs import WebSocketApiSpec, WebSocketRouteSpec
from lambgate.model import Request

PROBE = Path(__file__).parent / "functions" / "websocket_probe"
HANDLER_EVENTS = Path(__file__).parents[1] / "handler" / "events"
T = TypeVar("T")


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(scenario(), 60))


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines if line.startswith('{"routeKey"')]


def chat_api(*keys: str, timeout_ms: int = 29_000) -> WebSocketApiSpec:
    return WebSocketApiSpec(
        logical_id="Chat",
        stage_name="live",
        route_selection_expression="$request.body.action",
        routes=tuple(
            WebSocketRouteSpec(route_key=key, function="Probe", integration_timeout_ms=timeout_ms)
            for key in keys
        ),
    )


@asynccontextmanager
async def serving(
    api: WebSocketApiSpec, limits: WebSocketLimits = AWS_WEBSOCKET_LIMITS
) -> AsyncIterator[tuple[str, Log]]:
    log = Log()
    runtime = FunctionRuntime(
        FunctionConfig(name="Probe", code_uri=PROBE, handler="app.handler", timeout=5.0),
        log=log,
    )
    server = await start_websocket_server(
        WebSocketGateway(api, {"Probe": runtime}), "127.0.0.1", 0, limits
    )
    try:
        yield f"ws://127.0.0.1:{server.port}/live", log
    finally:
        await server.close()
        await runtime.close()


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def test_connect_messages_and_close_invoke_their_routes_on_one_connection() -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with serving(chat_api("$connect", "$default", "join", "$disconnect")) as (url, log):
            async with connect(url + "?room=1") as client:
                await client.send(json.dumps({"action": "join"}))
                await client.send("hello")
                await until(lambda: len(log.events()) == 3)
            await until(lambda: len(log.events()) == 4)
            return log.events()

    connect_event, join, default, disconnect = run(scenario)
    assert [e["routeKey"] for e in (connect_event, join, default, disconnect)] == [
        "$connect",
        "join",
        "$default",
        "$disconnect",
    ]
    assert [e["eventType"] for e in (connect_event, join, disconnect)] == [
        "CONNECT",
        "MESSAGE",
        "DISCONNECT",
    ]
    assert connect_event["query"] == {"room": "1"}
    assert (join["body"], default["body"]) == ('{"action": "join"}', "hello")
    assert len({e["connectionId"] for e in (connect_event, join, default, disconnect)}) == 1
    assert len({e["connectedAt"] for e in (connect_event, join, default, disconnect)}) == 1
    assert {e["stage"] for e in (connect_event, join)} == {"live"}
    assert disconnect["disconnectStatusCode"] == 1000


def test_a_connect_route_answering_403_refuses_the_upgrade() -> None:
    async def scenario() -> int:
        async with serving(chat_api("$connect", "$default")) as (url, _):
            with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
                async with connect(url + "?deny=1"):
                    pass
            return refused.value.response.status_code

    assert run(scenario) == 403


@pytest.mark.parametrize("path", ["/other", "/live/more", "/liveother"])
def test_an_upgrade_on_a_path_other_than_the_stage_is_refused_with_403(path: str) -> None:
    async def scenario() -> tuple[int, list[Any]]:
        async with serving(chat_api("$connect", "$default")) as (url, log):
            with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
                async with connect(url.removesuffix("/live") + path):
                    pass
            async with connect(url + "/"):  # the stage's own path, a trailing slash allowed
                pass
            await until(lambda: len(log.events()) == 1)
            return refused.value.response.status_code, log.events()

    status, events = run(scenario)
    assert status == 403
    assert [e["routeKey"] for e in events] == ["$connect"]  # only the stage's upgrade ran it


def test_without_a_connect_route_every_upgrade_is_accepted() -> None:
    async def scenario() -> list[str]:
        async with serving(chat_api("$default")) as (url, log):
            async with connect(url) as client:
                await client.send("ping")
                await until(lambda: len(log.events()) == 1)
            return [e["routeKey"] for e in log.events()]

    assert run(scenario) == ["$default"]


@pytest.mark.parametrize(
    "message",
    [
        "x" * (32 * 1024 + 1),  # one frame over 32 KB
        ("x" * (32 * 1024) for _ in range(5)),  # 160 KB in 32 KB frames: a message over 128 KB
    ],
    ids=["frame", "message"],
)
def test_a_frame_or_message_over_aws_limits_closes_with_1009(message: Any) -> None:
    async def scenario() -> tuple[int | None, list[Any]]:
        async with serving(chat_api("$default", "$disconnect")) as (url, log):
            async with connect(url, max_size=None) as client:
                await client.send(message)
                with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                    await client.recv()
            await until(lambda: len(log.events()) == 1)
            code = closed.value.rcvd.code if closed.value.rcvd else None
            return code, [(e["routeKey"], e["disconnectStatusCode"]) for e in log.events()]

    code, events = run(scenario)
    assert code == 1009
    assert events == [("$disconnect", 1009)]  # the over-size message invoked nothing


def test_a_binary_frame_closes_the_connection_with_1003_and_invokes_no_route() -> None:
    """API Gateway rejects binary frames with close code 1003 (websocket-api-develop-binary-
    media-types.html); a text frame before it is routed as usual."""

    async def scenario() -> tuple[int | None, list[str]]:
        async with serving(chat_api("$default", "$disconnect")) as (url, log):
            async with connect(url) as client:
                await client.send("text first")
                await client.send(b"\x00binary")
                with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                    await client.recv()
            await until(lambda: len(log.events()) == 2)
            code = closed.value.rcvd.code if closed.value.rcvd else None
            return code, [e["routeKey"] for e in log.events()]

    assert run(scenario) == (1003, ["$default", "$disconnect"])


def test_an_idle_connection_is_closed_and_disconnect_invoked() -> None:
    async def scenario() -> tuple[int | None, list[str]]:
        limits = WebSocketLimits(idle_seconds=0.5)
        async with serving(chat_api("$default", "$disconnect"), limits) as (url, log):
            async with connect(url) as client:
                with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                    await asyncio.wait_for(client.recv(), 10)
            await until(lambda: len(log.events()) == 1)
            code = closed.value.rcvd.code if closed.value.rcvd else None
            return code, [e["routeKey"] for e in log.events()]

    assert run(scenario) == (1001, ["$disconnect"])


def test_a_message_past_its_integration_timeout_tells_the_client_as_aws_does() -> None:
    async def scenario() -> dict[str, Any]:
        async with (
            serving(chat_api("$default", timeout_ms=300)) as (url, _),
            connect(url) as client,
        ):
            await client.send("sleep")
            answer = await asyncio.wait_for(client.recv(), 10)
            assert isinstance(answer, str)
            return dict(json.loads(answer))

    answer = run(scenario)
    assert answer["message"] == "Endpoint request timed out"
    assert set(answer) == {"message", "connectionId", "requestId"}


def test_connection_ids_are_url_safe_as_aws_gives_them() -> None:
    """An id with ``/`` or ``+`` (standard base64) did not survive the ``@connections`` path
    boto3 puts it in: one post in a few was answered 404."""

    async def scenario() -> set[str]:
        gateway = WebSocketGateway(chat_api("$default"), {})

        async def nothing(*_: object) -> None:
            return None

        ids = set()
        for _ in range(500):
            connection, status, _ = await gateway.connect(Request("GET", "/"), nothing, nothing)
            assert connection is not None and status == 200
            ids.add(connection.connection_id)
        return ids

    ids = run(scenario)
    assert len(ids) == 500
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{15}=", one) for one in ids), sorted(ids)[:5]


#: API Gateway's own messages to a client, spaced as AWS sends them (no space after the
#: colons of connectionId and requestId): ``{"message": "Forbidden", "connectionId":"..."}``.
GATEWAY_MESSAGE = (
    r'\{"message": "(?P<message>[^"]+)", "connectionId":"(?P<id>[A-Za-z0-9_-]{15}=)",'
    r' "requestId":"[^"]+"\}'
)


def test_a_message_no_route_takes_is_answered_forbidden_as_aws_does() -> None:
    """No matching route and no ``$default``: API Gateway tells the client ``Forbidden``; it
    was dropped without a word. A message a route takes is still invoked."""

    async def scenario() -> tuple[str, list[str]]:
        async with (
            serving(chat_api("join")) as (url, log),
            connect(url) as client,
        ):
            await client.send("hello")
            answer = await asyncio.wait_for(client.recv(), 10)
            await client.send(json.dumps({"action": "join"}))
            await until(lambda: len(log.events()) == 1)
            assert isinstance(answer, str)
            return answer, [e["routeKey"] for e in log.events()]

    answer, routes = run(scenario)
    assert re.fullmatch(GATEWAY_MESSAGE, answer), answer
    assert json.loads(answer)["message"] == "Forbidden"
    assert routes == ["join"]


def test_a_failed_invocation_and_a_timeout_are_told_in_aws_words_and_spacing() -> None:
    async def scenario() -> list[str]:
        async with (
            serving(chat_api("$default", timeout_ms=300)) as (url, _),
            connect(url) as client,
        ):
            answers = []
            for message in ("raise", "sleep"):
                await client.send(message)
                answer = await asyncio.wait_for(client.recv(), 10)
                assert isinstance(answer, str)
                answers.append(answer)
            return answers

    failed, timed_out = run(scenario)
    assert re.fullmatch(GATEWAY_MESSAGE, failed)["message"] == "Internal server error"  # type: ignore[index]
    assert re.fullmatch(GATEWAY_MESSAGE, timed_out)["message"] == "Endpoint request timed out"  # type: ignore[index]


def test_the_connect_results_subprotocol_is_picked_and_its_cookies_are_not_sent() -> None:
    """API Gateway passes a ``$connect`` answer's ``Sec-WebSocket-Protocol`` to the client
    and no other header, ``Set-Cookie`` included (AWS's answer on re:Post: "WebSocket API
    doesn't allow to set other header")."""

    async def scenario() -> tuple[str | None, list[str]]:
        async with (
            serving(chat_api("$connect", "$default")) as (url, _),
            connect(url + "?proto=chat", subprotocols=[Subprotocol("chat")]) as client,
        ):
            assert client.response is not None
            return client.subprotocol, client.response.headers.get_all("Set-Cookie")

    assert run(scenario) == ("chat", [])


def test_a_subprotocol_the_client_did_not_offer_fails_the_handshake_at_the_client() -> None:
    """API Gateway sends whatever ``$connect`` answered; the client then refuses it. The
    emulator's WebSocket library refused to send it, failing the server's side instead."""

    async def scenario() -> str:
        async with serving(chat_api("$connect", "$default")) as (url, _):
            # The client's own refusal of the handshake, not a dropped connection.
            with pytest.raises(websockets.exceptions.NegotiationError) as refused:
                async with connect(url + "?proto=unoffered"):
                    pass
            return str(refused.value)

    assert "subprotocol" in run(scenario)


def test_a_send_to_a_connection_the_client_left_is_websocket_disconnect_in_the_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The emulator's ``@connections`` answers ``GoneException`` (410) for a connection that is
    not there, as AWS does: through lambgate the app's ``send_text`` raises Starlette's
    ``WebSocketDisconnect`` (ASGI: an ``OSError`` on a closed connection), and the invocation
    answers 200 instead of failing with a botocore traceback."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(Path(__file__).parent / "no-such-config"),
    }.items():
        monkeypatch.setenv(name, value)
    seen: list[int] = []

    async def answer_late(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()
        try:
            await websocket.send_text("too late")
        except WebSocketDisconnect as disconnect:
            seen.append(disconnect.code)

    event = json.loads((HANDLER_EVENTS / "apigw-websocket-request-send-message.json").read_text())
    event["body"] = "hello"
    event["isBase64Encoded"] = False

    async def scenario() -> dict[str, Any]:
        async with serving(chat_api("$default")) as (url, _):
            endpoint = url.replace("ws://", "http://")

            def invoke() -> dict[str, Any]:  # on a thread: the handler runs its own loop
                app = Starlette(routes=[WebSocketRoute("/", answer_late)])
                result: dict[str, Any] = make_handler(app, websocket_endpoint=endpoint)(event, None)
                return result

            return await asyncio.to_thread(invoke)

    assert run(scenario) == {"statusCode": 200}
    assert seen == [1006]
