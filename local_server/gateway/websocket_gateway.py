"""What API Gateway does around a WebSocket API's functions, one connection at a time.

The upgrade invokes ``$connect`` (if the API has that route): a result whose ``statusCode`` is
not 2xx, or a failed invocation, refuses the connection; with no ``$connect`` route every
upgrade is accepted. Each message takes the route its selection expression names
(:mod:`.websocket_route_selection`) and invokes that route's function; the close invokes
``$disconnect``. Every event of one connection carries its ``connectionId`` and
``connectedAt`` ("Create routes for WebSocket APIs in API Gateway":
https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html).

The front (:mod:`lambgate.local.front.websocket_server`) owns the wire; this module owns the
connections by id and answers the ``@connections`` API on them
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html):
``POST`` sends the body to the client, ``GET`` describes the connection, ``DELETE`` closes
it; an id that is not connected is ``GoneException`` (410), a body over the 128 KB message
limit ``PayloadTooLargeException`` (413), as boto3's ``apigatewaymanagementapi`` reads them.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from lambgate.events.apigw_websocket import request_to_event
from lambgate.events.base import GatewayContext
from lambgate.local.front.websocket_limits import AWS_WEBSOCKET_LIMITS
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.template.specs import WebSocketApiSpec, WebSocketRouteSpec
from lambgate.model import Request

from .websocket_route_selection import select_route

__all__ = ["Close", "Send", "WebSocketConnection", "WebSocketGateway"]

#: Sends one message to the client (text, or bytes for a binary frame).
Send = Callable[[str | bytes], Awaitable[None]]
#: Closes the connection from the server's side.
Close = Callable[[], Awaitable[None]]
MAX_MESSAGE_BYTES = AWS_WEBSOCKET_LIMITS.message_bytes


@dataclass
class WebSocketConnection:
    connection_id: str
    connected_at_ms: int
    #: The upgrade request, for ``identity.sourceIp`` and the events' headers.
    request: Request
    send: Send
    close: Close
    last_active_ms: int = 0


def _connection_id() -> str:
    """API Gateway's ids are 15 characters of URL-safe base64 and ``=`` (``L0SM9cOFvHcCIhw=``,
    ``eHrdFcnvvHcCE-w=``): never a ``/`` or ``+``, which would change the ``@connections``
    path the id is put in."""
    return base64.urlsafe_b64encode(secrets.token_bytes(12)).decode("ascii")[:15] + "="


class WebSocketGateway:
    """One WebSocket API: its routes' functions and its open connections."""

    def __init__(
        self,
        api: WebSocketApiSpec,
        runtimes: Mapping[str, FunctionRuntime],
        *,
        api_id: str = "abcdef1234",
        domain_name: str | None = None,
    ) -> None:
        self.api = api
        self.runtimes = runtimes
        self.api_id = api_id
        self.domain_name = domain_name
        self.connections: dict[str, WebSocketConnection] = {}
        self._routes = {route.route_key: route for route in api.routes}
        #: Invocations past their integration timeout, left to finish (as on AWS).
        self._outliving: set[asyncio.Task[object]] = set()

    async def connect(
        self, request: Request, send: Send, close: Close
    ) -> tuple[WebSocketConnection | None, int]:
        """``(connection, status)``: the connection when ``$connect`` accepts it, else the
        status the upgrade is refused with."""
        now = int(time.time() * 1000)
        connection = WebSocketConnection(
            connection_id=_connection_id(),
            connected_at_ms=now,
            request=request,
            send=send,
            close=close,
            last_active_ms=now,
        )
        route = self._routes.get("$connect")
        if route is not None:
            status, _ = await self._invoke(route, connection, request)
            if not 200 <= status < 300:
                return None, status
        self.connections[connection.connection_id] = connection
        return connection, 200

    async def message(self, connection: WebSocketConnection, data: str | bytes) -> bool:
        """Invoke the route ``data`` selects; ``False`` when no route takes it."""
        connection.last_active_ms = int(time.time() * 1000)
        route = select_route(self.api, data)
        if route is None:
            return False
        body = data.encode("utf-8") if isinstance(data, str) else data
        request = Request(
            "POST",
            "/",
            headers=[],
            body=body,
            client=connection.request.client,
        )
        status, request_id = await self._invoke(route, connection, request)
        if status == _TIMED_OUT:
            # What API Gateway sends the client when the integration times out.
            await connection.send(
                json.dumps(
                    {
                        "message": "Endpoint request timed out",
                        "connectionId": connection.connection_id,
                        "requestId": request_id,
                    }
                )
            )
        return True

    async def disconnect(self, connection: WebSocketConnection, code: int, reason: str) -> None:
        self.connections.pop(connection.connection_id, None)
        route = self._routes.get("$disconnect")
        if route is not None:
            await self._invoke(route, connection, connection.request, code=code, reason=reason)

    async def manage(self, method: str, connection_id: str, body: bytes) -> tuple[int, bytes]:
        """An ``@connections/{connection_id}`` call: ``(status, JSON body)``."""
        connection = self.connections.get(connection_id)
        if connection is None:
            return 410, _error("GoneException", f"connection {connection_id} is gone")
        if method == "POST":
            if len(body) > MAX_MESSAGE_BYTES:
                return 413, _error(
                    "PayloadTooLargeException",
                    f"{len(body)} bytes is over the {MAX_MESSAGE_BYTES}-byte message limit",
                )
            try:
                message: str | bytes = body.decode("utf-8")
            except UnicodeDecodeError:
                message = body
            await connection.send(message)
            return 200, b""
        if method == "GET":
            user_agent = connection.request.header("user-agent")
            client = connection.request.client
            description = {
                "connectedAt": _iso(connection.connected_at_ms),
                "identity": {
                    "sourceIp": client[0] if client else "127.0.0.1",
                    **({"userAgent": user_agent} if user_agent else {}),
                },
                "lastActiveAt": _iso(connection.last_active_ms),
            }
            return 200, json.dumps(description).encode()
        if method == "DELETE":
            await connection.close()
            return 204, b""
        return 405, _error("BadRequestException", f"{method} is not an @connections method")

    async def _invoke(
        self,
        route: WebSocketRouteSpec,
        connection: WebSocketConnection,
        request: Request,
        *,
        code: int = 1000,
        reason: str = "",
    ) -> tuple[int, str]:
        """Invoke ``route``'s function: ``(status, request id)``, the status its result gives
        (500 when it failed, 504 past the route's integration timeout)."""
        request_id = str(uuid.uuid4())
        gateway = GatewayContext(
            request_id=request_id,
            time_epoch_ms=int(time.time() * 1000),
            api_id=self.api_id,
            domain_name=self.domain_name,
            stage=self.api.stage_name,
            route_key=route.route_key,
            stage_variables=self.api.stage_variables or None,
            connection_id=connection.connection_id,
            connected_at_ms=connection.connected_at_ms,
            disconnect_status_code=code,
            disconnect_reason=reason,
        )
        event = request_to_event(request, gateway)
        runtime = self.runtimes[route.function]
        task = asyncio.ensure_future(
            runtime.invoke(json.dumps(event).encode(), request_id=request_id)
        )
        timeout = None if runtime.debugging else route.integration_timeout_ms / 1000
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            self._outliving.add(task)
            task.add_done_callback(self._outliving.discard)
            return _TIMED_OUT, request_id
        invoked = task.result()
        if invoked.function_error is not None:
            return 500, request_id
        try:
            result = json.loads(invoked.payload)
        except ValueError:
            return 500, request_id
        # A result without a statusCode (``None``, a bare value) counts as success.
        if isinstance(result, dict) and isinstance(result.get("statusCode"), int):
            return int(result["statusCode"]), request_id
        return 200, request_id


#: The status of an invocation past its route's integration timeout.
_TIMED_OUT = 504


def _error(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode()


def _iso(epoch_ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
