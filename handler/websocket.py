"""One API Gateway WebSocket event through an ASGI app's ``websocket`` scope (ASGI 2.4).

API Gateway holds the connection; the function sees it one event at a time, so one ASGI
connection is replayed per invocation on the environment's persistent event loop:

- ``CONNECT``: ``websocket.connect``; the app's ``websocket.accept`` answers 200 (with its
  subprotocol as ``Sec-WebSocket-Protocol``), a ``websocket.close`` before it 403, and a
  denial response (the ``websocket.http.response`` extension) its own status and body.
- ``MESSAGE``: ``websocket.connect`` (the app's accept is a no-op: the connection is open),
  then one ``websocket.receive``. What the app sends goes to the client through the API
  Gateway Management API; a ``websocket.close`` deletes the connection. When the app asks
  for the next message, the invocation is over: the app is cancelled there. It is never told
  the connection closed, because it has not.
- ``DISCONNECT``: ``websocket.connect``, then ``websocket.disconnect`` with the close code.

Nothing survives between invocations but what the app keeps itself (module globals, the
lifespan ``state``): per-connection state belongs in a store keyed by
``scope["aws.connection_id"]``.
"""

from __future__ import annotations

import asyncio
import contextlib

from .errors import ConfigurationError, ProtocolError
from .events.apigw_websocket import Connection, connection_of
from .model import Request, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .asgi import ASGIRunner
    from .types import Message, Scope

__all__ = ["ManagementAPI", "WebSocketRunner", "request_to_websocket_scope"]

_ASGI = {"version": "3.0", "spec_version": "2.4"}
_DENIED = Response(status=403, headers=[], body=b"")
_OK = Response(status=200, headers=[], body=b"")


class ConnectionClosed(OSError):
    """``send()`` on a connection the client has left (ASGI 2.4: an ``OSError``)."""


class ManagementAPI:
    """``post_to_connection`` and ``delete_connection`` through boto3, imported on first use.

    The endpoint is ``https://{domainName}/{stage}``
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html),
    unless ``endpoint_url`` is given, or boto3 has an endpoint of its own configured
    (``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``, ``AWS_ENDPOINT_URL``, or the config
    file): an ``endpoint_url`` passed to ``boto3.client`` would silently beat those.
    """

    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self._clients: dict[str | None, Any] = {}

    def client(self, connection: Connection) -> Any:
        endpoint = self.endpoint_url
        if endpoint is None and not _boto3_has_endpoint():
            stage = connection.stage or "$default"
            endpoint = f"https://{connection.domain_name}/{stage}"
        client = self._clients.get(endpoint)
        if client is None:
            import boto3  # type: ignore[import-untyped]  # only WebSocket apps pay for it

            options = {"endpoint_url": endpoint} if endpoint is not None else {}
            client = self._clients[endpoint] = boto3.client("apigatewaymanagementapi", **options)
        return client

    def post(self, connection: Connection, data: bytes) -> None:
        """``post_to_connection``; :class:`ConnectionClosed` when the client has left."""
        try:
            self.client(connection).post_to_connection(
                ConnectionId=connection.connection_id, Data=data
            )
        except Exception as error:
            _raise_if_gone(error, connection)
            raise

    def delete(self, connection: Connection) -> None:
        """``delete_connection``; :class:`ConnectionClosed` when the client has left."""
        try:
            self.client(connection).delete_connection(ConnectionId=connection.connection_id)
        except Exception as error:
            _raise_if_gone(error, connection)
            raise


def _raise_if_gone(error: Exception, connection: Connection) -> None:
    """A ``GoneException`` ("The connection with the provided id no longer exists",
    https://docs.aws.amazon.com/botocore/latest/reference/services/apigatewaymanagementapi/client/exceptions/GoneException.html)
    becomes :class:`ConnectionClosed`: an ASGI app's ``send()`` on a closed connection raises
    an ``OSError`` (ASGI 2.4), which Starlette turns into ``WebSocketDisconnect``, where a
    raw botocore error would fail the invocation."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    if code == "GoneException":
        raise ConnectionClosed(
            f"connection {connection.connection_id} is gone (GoneException)"
        ) from error


def _boto3_has_endpoint() -> bool:
    """Whether boto3 would find an endpoint for the Management API in its own settings.

    botocore answers, so every place it reads is honoured: ``AWS_ENDPOINT_URL_*`` and
    ``AWS_ENDPOINT_URL``, the profile's ``endpoint_url`` and its ``[services ...]`` section,
    and ``ignore_configured_endpoint_urls`` (variable or config file), which turns them all off
    (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
    """
    import botocore.session  # type: ignore[import-untyped]

    try:
        from botocore.configprovider import (  # type: ignore[import-untyped]
            ConfiguredEndpointProvider,
        )
    except ImportError:  # a botocore older than configured endpoints (1.31) reads none
        return False
    session = botocore.session.get_session()
    try:
        if session.get_config_variable("ignore_configured_endpoint_urls"):
            return False
        provider = ConfiguredEndpointProvider(
            full_config=session.full_config,
            scoped_config=session.get_scoped_config(),
            client_name="apigatewaymanagementapi",
        )
        return bool(provider.provide())
    except Exception:  # a profile that does not exist: boto3 will say so itself
        return False


def _warn_connect_send(connection: Connection) -> None:
    """A send during ``$connect`` cannot reach the client: the connection is established only
    once ``$connect`` has answered, and a ``post_to_connection`` before that fails with
    ``GoneException`` ("A message was posted to the WebSocket API before the connection was
    established", https://repost.aws/knowledge-center/410-gone-api-gateway). The message is
    dropped, and the log says so, rather than the invocation failing."""
    import logging

    logging.getLogger("lambgate").warning(
        "WebSocket %s: a message sent during $connect is dropped: API Gateway establishes the "
        "connection only after $connect answers, so it cannot be posted to yet (send it from "
        "the first message's route instead)",
        connection.connection_id,
    )


def _denial_for(code: int) -> Response:
    """The ``$connect`` answer for a close before accept: 403, as ASGI says a server answers
    it ("HTTP 403"), unless the close code is in the application range 4000-4999 and its
    last three digits are an HTTP error status (4400-4599: ``4401`` → 401). API Gateway
    refuses the handshake with the status the ``$connect`` integration answers
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html
    answers 400 to refuse one)."""
    if isinstance(code, int) and 4400 <= code <= 4599:
        return Response(status=code - 4000, headers=[], body=b"")
    return _DENIED


def request_to_websocket_scope(request: Request, connection: Connection) -> Scope:
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in request.headers
    ]
    protocols = request.header("sec-websocket-protocol")
    return {
        "type": "websocket",
        "asgi": _ASGI,
        "http_version": "1.1",
        "scheme": "wss",
        "path": request.root_path + request.path,
        "raw_path": (request.root_path + request.raw_path).encode("utf-8"),
        "query_string": request.query_string.encode("latin-1"),
        "root_path": request.root_path,
        "headers": headers,
        "client": request.client,
        "server": request.server,
        "subprotocols": [p.strip() for p in protocols.split(",")] if protocols else [],
        "extensions": {"websocket.http.response": {}},
        "aws.event": request.event,
        "aws.context": request.context,
        "aws.connection_id": connection.connection_id,
        "aws.route_key": connection.route_key,
    }


class _WebSocketCycle:
    """``receive``/``send`` for one event of one connection."""

    def __init__(self, request: Request, connection: Connection, api: ManagementAPI) -> None:
        self.request = request
        self.connection = connection
        self.api = api
        self.kind = connection.event_type
        self.accepted = self.kind != "CONNECT"
        self.response: Response | None = None
        self._denial_status = 0
        self._denial_headers: list[tuple[str, str]] = []
        self._denial_body: list[bytes] = []
        self._connected_sent = False
        self._delivered = False
        self.finished = asyncio.Event()

    async def receive(self) -> Message:
        if not self._connected_sent:
            self._connected_sent = True
            return {"type": "websocket.connect"}
        if self.kind == "MESSAGE" and not self._delivered:
            self._delivered = True
            event = self.request.event
            if event.get("isBase64Encoded"):
                return {"type": "websocket.receive", "bytes": self.request.body}
            return {"type": "websocket.receive", "text": self.request.body.decode("utf-8")}
        if self.kind == "DISCONNECT" and not self._delivered:
            self._delivered = True
            code = self.connection.disconnect_code
            reason = self.connection.disconnect_reason
            return {"type": "websocket.disconnect", "code": code, "reason": reason}
        # The app waits for more: this invocation has nothing more for it.
        self.finished.set()
        await asyncio.Future()  # cancelled by the runner
        raise AssertionError("unreachable")

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        if self.kind == "CONNECT" and self.response is None:
            if kind == "websocket.accept":
                headers = [
                    (n.decode("latin-1"), v.decode("latin-1"))
                    for n, v in message.get("headers", ())
                ]
                if message.get("subprotocol"):
                    headers.append(("Sec-WebSocket-Protocol", message["subprotocol"]))
                self.response = Response(200, headers, b"")
                self.finished.set()
                return
            if kind == "websocket.close":
                self.response = _denial_for(message.get("code", 1000))
                self.finished.set()
                return
            if kind == "websocket.http.response.start":
                self._denial_status = message["status"]
                self._denial_headers = [
                    (n.decode("latin-1"), v.decode("latin-1"))
                    for n, v in message.get("headers", ())
                ]
                return
            if kind == "websocket.http.response.body" and self._denial_status:
                self._denial_body.append(message.get("body", b""))
                if not message.get("more_body"):
                    self.response = Response(
                        self._denial_status, self._denial_headers, b"".join(self._denial_body)
                    )
                    self.finished.set()
                return
            raise ProtocolError(f"ASGI app sent {kind!r} before websocket.accept")
        if self.kind == "CONNECT" and kind == "websocket.send":
            _warn_connect_send(self.connection)
            return
        if kind == "websocket.accept":
            if self.kind == "CONNECT":
                raise ProtocolError("ASGI app sent 'websocket.accept' twice")
            return  # the connection is open already: accepting again is a no-op
        if self.kind == "DISCONNECT":
            raise ConnectionClosed(f"ASGI app sent {kind!r} after the client disconnected")
        if kind == "websocket.send":
            data = message.get("bytes")
            if data is None:
                text = message.get("text")
                if not isinstance(text, str):
                    raise ProtocolError("'websocket.send' carries neither bytes nor text")
                data = text.encode("utf-8")
            await asyncio.get_running_loop().run_in_executor(
                None, self.api.post, self.connection, data
            )
        elif kind == "websocket.close":
            await asyncio.get_running_loop().run_in_executor(None, self.api.delete, self.connection)
            self.kind = "DISCONNECT"
        else:
            raise ProtocolError(f"ASGI app sent {kind!r} on an open WebSocket")


class WebSocketRunner:
    """Runs WebSocket events through the ASGI runner's app, on its loop."""

    def __init__(self, runner: ASGIRunner, api: ManagementAPI | None = None) -> None:
        self.runner = runner
        self.api = api or ManagementAPI()

    def __call__(self, request: Request) -> Response:
        connection = connection_of(request)
        cycle = _WebSocketCycle(request, connection, self.api)
        scope = request_to_websocket_scope(request, connection)
        state = self.runner.lifespan.state
        if state is not None:
            scope["state"] = state.copy()
        return self.runner.loop.run_until_complete(self._run(scope, cycle))

    async def _run(self, scope: Scope, cycle: _WebSocketCycle) -> Response:
        task = asyncio.ensure_future(self.runner.app(scope, cycle.receive, cycle.send))
        waiter = asyncio.ensure_future(cycle.finished.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            task.cancel()
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if cycle.response is not None:
            return cycle.response
        if cycle.kind == "CONNECT":
            raise ProtocolError("ASGI app returned without accepting or closing the WebSocket")
        return _OK


def wsgi_cannot_serve() -> ConfigurationError:
    """The error for a WebSocket event sent to a WSGI app."""
    return ConfigurationError(
        "an API Gateway WebSocket event needs an ASGI app: WSGI has no WebSocket, so a WSGI "
        "app cannot serve it (use an ASGI framework, e.g. Starlette's WebSocketRoute)"
    )
