"""The WebSocket front: the upgrade and the frames (wsproto), a connection's messages handed to
the WebSocket gateway in order.

A client connects to ``ws://HOST:PORT/{stage}`` (as to ``wss://{domain}/{stage}`` on AWS; the
bare ``/`` is accepted too; the gateway refuses any other path with 403). Fragmented messages
are joined before they are routed, as API Gateway routes whole messages. A plain HTTP request
on the same port (h11) is the ``@connections`` API, at ``/{stage}/@connections/{id}`` as on
AWS's own domain.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import h11
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    TextMessage,
)
from wsproto.events import Request as Upgrade

from lambgate.model import Request

from .websocket_limits import AWS_WEBSOCKET_LIMITS, WebSocketLimits

__all__ = [
    "WebSocketHandler",
    "WebSocketServer",
    "start_websocket_server",
]

_READ_SIZE = 65_536
#: ``/{stage}/@connections/{id}`` (or without the stage).
_CONNECTIONS_PATH = re.compile(r"(?:/[^/]+)?/@connections/(?P<id>[^/?]+)")
#: How long closing waits for connection handlers ($disconnect invocations) to end.
_CLOSE_WAIT_SECONDS = 3.0


Connection = TypeVar("Connection")


#: The close code for a frame or message over the limits ("Message Too Big", RFC 6455 7.4.1).
_TOO_BIG = 1009
#: The close code when the idle timeout or the connection duration ends it ("Going Away").
_GOING_AWAY = 1001
#: The close code of a server's ``DELETE @connections`` ("Normal Closure").
_NORMAL = 1000
#: The close code for a binary frame from the client ("Unsupported Data"): "API Gateway
#: WebSocket APIs don't currently support binary frames in incoming message payloads. If a
#: client app sends a binary frame, API Gateway rejects it and disconnects the client with
#: code 1003" (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-binary-media-types.html).
_UNSUPPORTED_DATA = 1003


class WebSocketHandler(Protocol[Connection]):
    """What the front calls (the gateway's side); the connection object is opaque here."""

    async def connect(
        self,
        request: Request,
        send: Callable[[str | bytes], Awaitable[None]],
        close: Callable[[], Awaitable[None]],
    ) -> tuple[Connection | None, int, str | None]: ...

    async def manage(self, method: str, connection_id: str, body: bytes) -> tuple[int, bytes]: ...

    async def message(self, connection: Connection, data: str | bytes) -> bool: ...

    async def disconnect(self, connection: Connection, code: int, reason: str) -> None: ...


class WebSocketServer:
    """A listening WebSocket front; :meth:`close` also ends the connections still open."""

    def __init__(self, server: asyncio.Server, writers: set[asyncio.StreamWriter]) -> None:
        self.server = server
        self._writers = writers
        self.port: int = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.server.wait_closed(), _CLOSE_WAIT_SECONDS)


async def start_websocket_server(
    handler: WebSocketHandler[Connection],
    host: str,
    port: int,
    limits: WebSocketLimits = AWS_WEBSOCKET_LIMITS,
) -> WebSocketServer:
    writers: set[asyncio.StreamWriter] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        try:
            await _serve_connection(handler, reader, writer, limits)
        finally:
            writers.discard(writer)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    return WebSocketServer(await asyncio.start_server(serve, host, port), writers)


async def _serve_connection(
    handler: WebSocketHandler[Connection],
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    limits: WebSocketLimits,
) -> None:
    """The request head decides: a WebSocket upgrade, or an ``@connections`` call."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return
    http = h11.Connection(h11.SERVER)
    http.receive_data(head)
    try:
        request = http.next_event()
    except h11.RemoteProtocolError:
        return
    if not isinstance(request, h11.Request):
        return
    upgrade = dict(request.headers).get(b"upgrade", b"")
    if upgrade.lower() == b"websocket":
        await _serve_websocket(handler, reader, writer, head, limits)
    else:
        await _serve_management(handler, http, request, reader, writer)


async def _serve_management(
    handler: WebSocketHandler[Connection],
    http: h11.Connection,
    request: h11.Request,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    body = b""
    while True:
        event = http.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(_READ_SIZE)
            if not data:
                return
            http.receive_data(data)
        elif isinstance(event, h11.Data):
            body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            break
        else:
            return
    path = urllib.parse.unquote(request.target.decode("ascii", "replace").partition("?")[0])
    matched = _CONNECTIONS_PATH.fullmatch(path)
    if matched is None:
        status, answer = 404, b'{"message":"Not Found"}'
    else:
        status, answer = await handler.manage(request.method.decode(), matched["id"], body)
    headers = [("connection", "close"), ("content-type", "application/json")]
    if status >= 400 and b'"__type"' in answer:
        # boto3 reads the error's code from this header (or the body's ``__type``).
        error_type = answer.split(b'"__type": "', 1)[-1].split(b'"', 1)[0].decode()
        headers.append(("x-amzn-errortype", error_type))
    if status != 204:
        headers.append(("content-length", str(len(answer))))
    writer.write(http.send(h11.Response(status_code=status, headers=headers)) or b"")
    if status != 204 and answer:
        writer.write(http.send(h11.Data(data=answer)) or b"")
    writer.write(http.send(h11.EndOfMessage()) or b"")
    await writer.drain()


async def _serve_websocket(
    handler: WebSocketHandler[Connection],
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    head: bytes,
    limits: WebSocketLimits,
) -> None:
    ws = WSConnection(ConnectionType.SERVER)
    lock = asyncio.Lock()

    async def write(data: bytes) -> None:
        async with lock:
            writer.write(data)
            await writer.drain()

    async def send(message: str | bytes) -> None:
        # A UTF-8 character is at most 4 bytes: this many characters fit in one frame.
        step = limits.frame_bytes // 4 if isinstance(message, str) else limits.frame_bytes
        chunks = [message[i : i + step] for i in range(0, len(message), step)] or [message]
        frames = b""
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            if isinstance(chunk, str):
                frames += ws.send(TextMessage(data=chunk, message_finished=last))
            else:
                frames += ws.send(BytesMessage(data=chunk, message_finished=last))
        await write(frames)

    close_code, close_reason = 1006, ""
    #: Set once the server has closed: what the client (or the socket's end) says after
    #: that does not change the code ``$disconnect`` reports.
    server_closed = False

    async def close() -> None:
        """The server's close (``DELETE @connections``): a normal close frame, then the
        socket. ``$disconnect`` then says 1000, "Connection Closed Normally", as API Gateway's
        event does after ``delete_connection`` (its log in boto/boto3#3789)."""
        nonlocal close_code, close_reason, server_closed
        close_code, close_reason, server_closed = _NORMAL, "Connection Closed Normally", True
        with contextlib.suppress(Exception):
            await write(ws.send(CloseConnection(code=_NORMAL)))
        writer.transport.close()

    async def close_with(code: int, reason: str) -> None:
        nonlocal close_code, close_reason
        close_code, close_reason = code, reason
        with contextlib.suppress(Exception):
            await write(ws.send(CloseConnection(code=code, reason=reason)))

    connection: Connection | None = None
    fragments: list[str | bytes] = []
    frame_bytes = message_bytes = 0
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + limits.duration_seconds
    data = head
    try:
        while True:
            ws.receive_data(data or None)
            for event in ws.events():
                if isinstance(event, Upgrade):
                    request = _upgrade_request(event, writer)
                    connection, status, subprotocol = await handler.connect(request, send, close)
                    if connection is None:
                        await write(ws.send(RejectConnection(status_code=status)))
                        return
                    # As a header, not wsproto's ``subprotocol``, which refuses one the client
                    # did not offer: API Gateway sends what $connect said, and such a client
                    # fails the handshake itself (RFC 6455 section 4.1).
                    chosen = (
                        [(b"Sec-WebSocket-Protocol", subprotocol.encode())] if subprotocol else []
                    )
                    await write(ws.send(AcceptConnection(extra_headers=chosen)))
                elif isinstance(event, BytesMessage):
                    await close_with(_UNSUPPORTED_DATA, "Binary frames are not supported")
                    return
                elif isinstance(event, TextMessage):
                    part = event.data if isinstance(event.data, str) else bytes(event.data)
                    size = len(part.encode("utf-8")) if isinstance(part, str) else len(part)
                    frame_bytes += size
                    message_bytes += size
                    if frame_bytes > limits.frame_bytes or message_bytes > limits.message_bytes:
                        await close_with(_TOO_BIG, "Message too big")
                        return
                    if event.frame_finished:
                        frame_bytes = 0
                    fragments.append(part)
                    if event.message_finished and connection is not None:
                        message_bytes = 0
                        whole = _joined(fragments)
                        fragments.clear()
                        await handler.message(connection, whole)
                elif isinstance(event, Ping):
                    await write(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    if not server_closed:
                        close_code, close_reason = event.code, event.reason or ""
                    with contextlib.suppress(Exception):
                        await write(ws.send(event.response()))
                    return
            if not data:
                return
            wait = min(limits.idle_seconds, ends_at - loop.time())
            try:
                data = await asyncio.wait_for(reader.read(_READ_SIZE), max(wait, 0))
            except TimeoutError:
                idle = loop.time() < ends_at
                await close_with(_GOING_AWAY, "Going away" if idle else "Connection duration over")
                return
    except (ConnectionError, OSError):
        return
    finally:
        if connection is not None:
            await handler.disconnect(connection, close_code, close_reason)


def _joined(fragments: list[str | bytes]) -> str | bytes:
    if isinstance(fragments[0], str):
        return "".join(str(part) for part in fragments)
    return b"".join(part for part in fragments if isinstance(part, bytes))


def _upgrade_request(upgrade: Upgrade, writer: asyncio.StreamWriter) -> Request:
    """The upgrade as the neutral request the events are built from."""
    path, _, query = upgrade.target.partition("?")
    headers = [
        (bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1"))
        for name, value in upgrade.extra_headers
    ]
    headers.insert(0, ("host", upgrade.host))
    peer = writer.get_extra_info("peername")
    return Request(
        "GET",
        path,
        query_string=query,
        headers=headers,
        client=(str(peer[0]), int(peer[1])) if peer else None,
    )
