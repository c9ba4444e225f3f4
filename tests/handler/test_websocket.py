"""API Gateway WebSocket events through a Starlette ``WebSocketRoute`` app, against moto's
API Gateway Management API with real boto3."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from lambgate import ConfigurationError, MalformedEvent, make_handler
from lambgate.events import detect
from tests.factories import make_lambda_context

EVENTS = Path(__file__).parent / "events"
ACCOUNT = "123456789012"
# moto keys its connections by the id as it appears in the URL path, percent-encoded.
STORED_ID = "R1kmxc2VNjMCFIA%3D"

disconnects: list[tuple[str, int]] = []
after_receive: list[str] = []


async def chat(websocket: WebSocket) -> None:
    if websocket.query_params.get("token") == "bad":
        await websocket.close()
        return
    await websocket.accept(
        subprotocol="chat" if "chat" in websocket.scope["subprotocols"] else None
    )
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message["code"])
            if message.get("bytes") is not None:
                await websocket.send_bytes(message["bytes"][::-1])
            elif message["text"] == "bye":
                await websocket.close()
                return
            else:
                await websocket.send_text(f"echo {message['text']}")
            after_receive.append(websocket.scope["aws.connection_id"])
    except WebSocketDisconnect as exc:
        disconnects.append((websocket.scope["aws.connection_id"], exc.code))


app = Starlette(routes=[WebSocketRoute("/", chat)])


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with mock_aws():
        yield apigatewaymanagementapi_backends[ACCOUNT]["us-east-1"]


def message_event(body: str, *, base64_encoded: bool = False) -> dict[str, Any]:
    event = load("apigw-websocket-request-send-message.json")
    event["requestContext"]["domainName"] = "abc123.execute-api.us-east-1.amazonaws.com"
    event["body"] = body
    event["isBase64Encoded"] = base64_encoded
    return event


def test_captured_events_are_detected_as_websocket() -> None:
    for name in (
        "apigw-websocket-request.json",
        "apigw-websocket-request-send-message.json",
        "apigw-websocket-request-disconnect.json",
    ):
        assert detect(load(name)).name == "websocket"


async def cookie_setter(websocket: WebSocket) -> None:
    await websocket.accept(
        headers=[
            (b"set-cookie", b"a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT"),
            (b"set-cookie", b"b=2"),
        ]
    )


def test_connect_cookies_are_dropped_with_a_log_line_never_joined_with_commas(
    aws: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Joined, ``a=1; Expires=Wed, 21 Oct ..., b=2`` is one broken cookie; and API Gateway
    passes no Set-Cookie in a WebSocket handshake anyway, so lambgate says so."""
    handler = make_handler(Starlette(routes=[WebSocketRoute("/", cookie_setter)]))
    result = handler(load("apigw-websocket-request.json"), make_lambda_context())
    assert result == {"statusCode": 200}
    assert "2 Set-Cookie header(s) of a WebSocket answer dropped" in caplog.text


def test_connect_accepted_answers_200_with_the_chosen_subprotocol(aws: Any) -> None:
    event = load("apigw-websocket-request.json")
    event["multiValueHeaders"]["Sec-WebSocket-Protocol"] = ["chat, other"]
    result = make_handler(app)(event, make_lambda_context())
    assert result == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat"}}


def test_connect_closed_before_accept_answers_403(aws: Any) -> None:
    event = load("apigw-websocket-request.json")
    event["multiValueQueryStringParameters"] = {"token": ["bad"]}
    assert make_handler(app)(event, make_lambda_context()) == {"statusCode": 403}


def closing_with(code: int) -> Starlette:
    async def refuse(websocket: WebSocket) -> None:
        await websocket.close(code=code)

    return Starlette(routes=[WebSocketRoute("/", refuse)])


@pytest.mark.parametrize(
    ("code", "status"),
    [(4401, 401), (4429, 429), (4503, 503), (1008, 403), (4000, 403), (4200, 403), (4600, 403)],
)
def test_a_connect_close_code_4xxx_names_the_refusal_status(
    aws: Any, code: int, status: int
) -> None:
    """A close before accept is 403, unless its code is 4400-4599: 4000 plus the HTTP status."""
    event = load("apigw-websocket-request.json")
    assert make_handler(closing_with(code))(event, make_lambda_context()) == {"statusCode": status}


async def welcomer(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("welcome")
    await websocket.receive_text()


def test_a_send_during_connect_is_dropped_with_a_log_line_saying_why(
    aws: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """On AWS the connection exists only once $connect has answered: a post during it fails.
    The handshake is still accepted, nothing is posted, and the log says why."""
    handler = make_handler(Starlette(routes=[WebSocketRoute("/", welcomer)]))
    result = handler(load("apigw-websocket-request.json"), make_lambda_context())
    assert result == {"statusCode": 200}
    assert STORED_ID not in aws.connections
    assert "a message sent during $connect is dropped" in caplog.text


def test_message_text_is_echoed_through_post_to_connection(aws: Any) -> None:
    after_receive.clear()
    result = make_handler(app)(message_event("hello"), make_lambda_context())
    assert result == {"statusCode": 200}
    assert aws.connections[STORED_ID].data == b"echo hello"
    # The app waited for the next message and was ended there, not told of a disconnect.
    assert after_receive == ["R1kmxc2VNjMCFIA="]
    assert ("R1kmxc2VNjMCFIA=", 1000) not in disconnects


def test_message_base64_arrives_as_bytes(aws: Any) -> None:
    body = base64.b64encode(b"\x00\x01\xff").decode()
    make_handler(app)(message_event(body, base64_encoded=True), make_lambda_context())
    assert aws.connections[STORED_ID].data == b"\xff\x01\x00"


def test_close_in_a_message_deletes_the_connection(aws: Any) -> None:
    aws.connections[STORED_ID].data = b"x"
    make_handler(app)(message_event("bye"), make_lambda_context())
    assert STORED_ID not in aws.connections


def test_disconnect_delivers_websocket_disconnect_with_its_code(aws: Any) -> None:
    disconnects.clear()
    event = load("apigw-websocket-request-disconnect.json")
    assert make_handler(app)(event, make_lambda_context()) == {"statusCode": 200}
    assert disconnects == [("R1kmxc2VNjMCFIA=", 1001)]


def test_boto3_endpoint_setting_wins_over_the_event_domain(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI set, lambgate passes no endpoint of its
    # own: the post goes where boto3's setting says (an unreachable port here), not to moto.
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", "http://127.0.0.1:9")
    from lambgate.events.apigw_websocket import Connection
    from lambgate.websocket import ManagementAPI

    connection = Connection(message_event("x")["requestContext"])
    client = ManagementAPI().client(connection)
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    explicit = ManagementAPI("http://127.0.0.1:8").client(connection)
    assert explicit.meta.endpoint_url == "http://127.0.0.1:8"
    monkeypatch.delenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI")
    default = ManagementAPI().client(connection)
    assert default.meta.endpoint_url == "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


SERVICES_CONFIG = """[default]
services = local
{extra}
[services local]
apigatewaymanagementapi =
  endpoint_url = http://127.0.0.1:7
"""


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", "http://127.0.0.1:7"),
        (
            "ignore_configured_endpoint_urls = true",
            "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
        ),
    ],
    ids=["services-section", "ignored"],
)
def test_the_config_files_services_section_and_its_ignore_setting_are_honoured(
    aws: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, extra: str, expected: str
) -> None:
    """A ``[services ...]`` endpoint in the shared config file is boto3's own setting: lambgate
    passes no endpoint that would beat it, unless ``ignore_configured_endpoint_urls`` says
    boto3 ignores it."""
    config = tmp_path / "config"
    config.write_text(SERVICES_CONFIG.format(extra=extra))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    from lambgate.events.apigw_websocket import Connection
    from lambgate.websocket import ManagementAPI

    connection = Connection(message_event("x")["requestContext"])
    assert ManagementAPI().client(connection).meta.endpoint_url == expected


def test_a_wsgi_app_is_told_websocket_needs_asgi() -> None:
    def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b""]

    with pytest.raises(ConfigurationError, match="WebSocket event needs an ASGI app"):
        make_handler(wsgi_app)(message_event("x"), make_lambda_context())


_KEYS = ("eventType", "connectionId", "routeKey", "stage", "domainName", "identity")


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(
        [
            "apigw-websocket-request.json",
            "apigw-websocket-request-send-message.json",
            "apigw-websocket-request-disconnect.json",
        ]
    ),
    key=st.sampled_from(_KEYS),
    value=st.one_of(
        st.none(),
        st.integers(),
        st.lists(st.integers()),
        st.just("\ud800"),
        st.dictionaries(st.text(), st.integers()),
    ),
    top=st.booleans(),
)
def test_malformed_websocket_events_are_refused_naming_the_field(
    name: str, key: str, value: Any, top: bool
) -> None:
    """A mutated field is either served or refused with MalformedEvent naming it."""
    event = load(name)
    if top:
        target, field = event, st_top(key)
    else:
        target, field = event["requestContext"], key
    target[field] = value

    async def quiet(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.close"})

    try:
        from lambgate.events.apigw_websocket import SOURCE

        SOURCE.event_to_request(event, None, __import__("lambgate.events").events.DEFAULT_OPTIONS)
    except MalformedEvent as exc:
        assert str(exc).startswith("websocket event: ")
        assert field in str(exc)


def st_top(key: str) -> str:
    return {
        "eventType": "body",
        "connectionId": "headers",
        "routeKey": "multiValueHeaders",
        "stage": "isBase64Encoded",
        "domainName": "queryStringParameters",
        "identity": "multiValueQueryStringParameters",
    }[key]


def test_events_of_one_connection_share_its_id_and_connect_time() -> None:
    """An emulator builds every event of a connection with its id and connect time, as API
    Gateway sends them; each event keeps its own request time; DISCONNECT says how it closed."""
    from lambgate.events.apigw_websocket import request_to_event
    from lambgate.events.base import GatewayContext
    from lambgate.model import Request

    def event(route_key: str, request_id: str, now_ms: int, **extra: Any) -> dict[str, Any]:
        gateway = GatewayContext(
            request_id=request_id,
            time_epoch_ms=now_ms,
            route_key=route_key,
            stage="live",
            connection_id="L0SM9cOFvHcCIhw=",
            connected_at_ms=1_700_000_000_000,
            **extra,
        )
        return request_to_event(Request("GET", "/", body=b'{"action": "join"}'), gateway)

    connect = event("$connect", "aaaaaaaaaaaaaaaa-1", 1_700_000_000_000)
    message = event("join", "bbbbbbbbbbbbbbbb-2", 1_700_000_004_000)
    disconnect = event(
        "$disconnect",
        "cccccccccccccccc-3",
        1_700_000_009_000,
        disconnect_status_code=1001,
        disconnect_reason="Going away",
    )
    for one in (connect, message, disconnect):
        assert one["requestContext"]["connectionId"] == "L0SM9cOFvHcCIhw="
        assert one["requestContext"]["connectedAt"] == 1_700_000_000_000
    assert message["requestContext"]["requestTimeEpoch"] == 1_700_000_004_000
    assert message["requestContext"]["eventType"] == "MESSAGE"
    assert message["body"] == '{"action": "join"}'
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1001
    assert disconnect["requestContext"]["disconnectReason"] == "Going away"
