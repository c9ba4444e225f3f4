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
The emulator's WebSocket APIs share one table of connections (:class:`Connections`), so a
function behind several APIs, whose one ``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`` names
the first API's port, reaches the clients of every one of them.

Each invocation (and each message no route takes) is one access-log line,
``MESSAGE /live join L0SM9cOFvHcCIhw= 200 3.1 ms ChatFunction warm``, and one exchange for the
inspector, as an HTTP request is.

What API Gateway itself says to a client is a text message of its own shape,
``{"message": "Forbidden", "connectionId":"…", "requestId":"…"}``: ``Forbidden`` for a
message no route takes (no matching route and no ``$default``), ``Internal server error`` when
the route's invocation fails, ``Endpoint request timed out`` past its integration timeout.
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

from lambgate.events.apigw_websocket import EVENT_TYPES, request_to_event
from lambgate.events.base import GatewayContext
from lambgate.local.front.websocket_limits import AWS_WEBSOCKET_LIMITS
from lambgate.local.lambda_service.exchange import Exchange, ExchangeSink
from lambgate.local.lambda_service.function import InvocationResult
from lambgate.local.lambda_service.function_pool import FunctionRuntime
from lambgate.local.template.specs import WebSocketApiSpec, WebSocketRouteSpec
from lambgate.model import Request, Response

from .access_log import AccessLog
from .gateway import _error_summary, _late_invocation
from .websocket_route_selection import select_route

__all__ = ["Close", "Connections", "Send", "WebSocketConnection", "WebSocketGateway"]

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


#: The open connections of every WebSocket API of one emulator, by connection id.
Connections = dict[str, WebSocketConnection]


@dataclass(frozen=True)
class Invoked:
    """What one route's invocation came to."""

    #: The status its result gives (a result without one counts as 200).
    status: int
    request_id: str
    #: Why API Gateway would tell the client it failed (``Internal server error``,
    #: ``Endpoint request timed out``), or ``None``.
    failure: str | None = None
    #: ``Sec-WebSocket-Protocol`` of a ``$connect`` result: the subprotocol the handshake picks
    #: (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html).
    subprotocol: str | None = None


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
        connections: Connections | None = None,
        log: AccessLog | None = None,
        observer: ExchangeSink | None = None,
    ) -> None:
        self.api = api
        self.runtimes = runtimes
        self.log = log
        #: The inspector's recorder, handed one :class:`Exchange` per invocation.
        self.observer = observer
        self.api_id = api_id
        self.domain_name = domain_name
        #: Shared with the emulator's other WebSocket APIs when given (see the module's doc).
        self.connections: Connections = {} if connections is None else connections
        self._routes = {route.route_key: route for route in api.routes}
        #: Invocations past their integration timeout, left to finish (as on AWS).
        self._outliving: set[asyncio.Task[object]] = set()

    async def connect(
        self, request: Request, send: Send, close: Close
    ) -> tuple[WebSocketConnection | None, int, str | None]:
        """``(connection, status, subprotocol)``: the connection when ``$connect`` accepts it
        (with the subprotocol its result names), else the status the upgrade is refused
        with. Of the result's headers only ``Sec-WebSocket-Protocol`` reaches the client, as
        API Gateway passes no others in the handshake (``Set-Cookie`` included).

        A path other than the stage's (``/{stage}``, or the bare ``/``) is refused with 403
        before ``$connect`` runs: the API serves its stage only. AWS's own answer for another
        path is not documented; 403 is what API Gateway answers a request no route or stage
        takes on its HTTP APIs, so the emulator says the same."""
        if request.path.rstrip("/") not in ("", f"/{self.api.stage_name}"):
            return None, 403, None
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
        subprotocol = None
        if route is not None:
            invoked = await self._invoke(route, connection, request)
            if not 200 <= invoked.status < 300:
                return None, invoked.status, None
            subprotocol = invoked.subprotocol
        self.connections[connection.connection_id] = connection
        return connection, 200, subprotocol

    async def message(self, connection: WebSocketConnection, data: str | bytes) -> bool:
        """Invoke the route ``data`` selects; ``False`` when no route takes it, which API
        Gateway answers ``Forbidden`` ("If no route matches the evaluated value and there's no
        ``$default`` route, the service returns an error":
        https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html)."""
        started = time.perf_counter()
        connection.last_active_ms = int(time.time() * 1000)
        route = select_route(self.api, data)
        body = data.encode("utf-8") if isinstance(data, str) else data
        if route is None:
            request_id = _request_id()
            said = _gateway_message("Forbidden", connection, request_id)
            await connection.send(said)
            reason = (
                "no route takes the message and the API has no $default route: "
                "API Gateway told the client Forbidden"
            )
            self._report(
                _Report("MESSAGE", "-", None, connection, body, request_id, started),
                response=Response(403, [], said.encode()),
                reason=self._explain(connection, "-", reason),
            )
            return False
        request = Request(
            "POST",
            "/",
            headers=[],
            body=body,
            client=connection.request.client,
        )
        invoked = await self._invoke(route, connection, request)
        if invoked.failure is not None:
            await connection.send(_gateway_message(invoked.failure, connection, invoked.request_id))
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
    ) -> Invoked:
        """Invoke ``route``'s function: 500 when it failed, 504 past the route's integration
        timeout, else the status its result gives."""
        started = time.perf_counter()
        request_id = _request_id()
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
        payload = json.dumps(event).encode()
        runtime = self.runtimes[route.function]
        task = asyncio.ensure_future(runtime.invoke(payload, request_id=request_id))
        timeout = None if runtime.debugging else route.integration_timeout_ms / 1000
        done, _ = await asyncio.wait({task}, timeout=timeout)
        kind = EVENT_TYPES.get(route.route_key, "MESSAGE")
        report = _Report(
            kind, route.route_key, route.function, connection, request.body, request_id, started
        )
        if not done:
            self._outliving.add(task)
            task.add_done_callback(self._outliving.discard)
            outcome = Invoked(504, request_id, "Endpoint request timed out")
            why = (
                f"no answer within the integration timeout of {timeout:g} s: API Gateway told "
                "the client 'Endpoint request timed out'; the function keeps running, as in AWS"
            )
            exchange = self._report(
                report,
                payload=payload,
                response=self._told(outcome, connection),
                reason=self._explain(connection, route.route_key, why, route.function),
            )
            if exchange is not None:
                task.add_done_callback(lambda late: _late_invocation(exchange, late))
            return outcome
        invoked = task.result()
        outcome, failed = _outcome(invoked, request_id)
        if failed is not None:
            failed = self._explain(connection, route.route_key, failed, route.function)
        self._report(
            report,
            payload=payload,
            invocation=invoked,
            response=self._told(outcome, connection),
            reason=failed,
        )
        return outcome

    def _told(self, outcome: Invoked, connection: WebSocketConnection) -> Response:
        """What the client got of an invocation, for the inspector: the handshake's status
        (and subprotocol), or API Gateway's own message when the invocation failed."""
        headers = []
        if outcome.subprotocol is not None:
            headers.append(("Sec-WebSocket-Protocol", outcome.subprotocol))
        body = b""
        if outcome.failure is not None:
            body = _gateway_message(outcome.failure, connection, outcome.request_id).encode()
        return Response(outcome.status, headers, body)

    def _explain(
        self,
        connection: WebSocketConnection,
        route_key: str,
        reason: str,
        function: str | None = None,
    ) -> str:
        """Log why the client got API Gateway's error, as the HTTP gateway does; the reason,
        for the inspector."""
        if self.log is not None:
            who = f"{function} " if function else ""
            where = f"{self.api.logical_id} {route_key} {connection.connection_id}"
            self.log.explain(f"{who}({where}): {reason}")
        return reason

    def _report(
        self,
        report: _Report,
        *,
        response: Response,
        payload: bytes | None = None,
        invocation: InvocationResult | None = None,
        reason: str | None = None,
    ) -> Exchange | None:
        """One access-log line, and the exchange the inspector lists."""
        duration_ms = (time.perf_counter() - report.started) * 1000
        stage = self.api.stage_name
        cold = invocation.cold if invocation is not None else None
        if self.log is not None:
            self.log.request(
                method=report.event_type,
                target=f"/{stage} {report.route_key} {report.connection.connection_id}",
                status=response.status,
                duration_ms=duration_ms,
                function=report.function,
                cold=cold,
            )
        if self.observer is None:
            return None
        connection = report.connection
        if report.event_type == "CONNECT":
            seen = connection.request  # the upgrade, as received
        else:
            seen = Request(
                report.event_type,
                f"/{stage}",
                headers=[],
                body=report.body,
                client=connection.request.client,
            )
        exchange = Exchange(
            started=time.time() - duration_ms / 1000,
            request_id=report.request_id,
            front=self.api.logical_id,
            kind="websocket",
            request=seen,
            replay=_cannot_replay,
            function=report.function,
            route=report.route_key,
            stage=stage,
            event=payload,
            invocation=invocation,
            response=response,
            reason=reason,
            duration_ms=duration_ms,
        )
        self.observer(exchange)
        return exchange


@dataclass(frozen=True)
class _Report:
    """What an access-log line and an inspector exchange say of one event."""

    event_type: str
    route_key: str
    function: str | None
    connection: WebSocketConnection
    #: The message (for a MESSAGE), else empty.
    body: bytes
    request_id: str
    #: ``time.perf_counter()`` when the event arrived.
    started: float


def _outcome(invoked: InvocationResult, request_id: str) -> tuple[Invoked, str | None]:
    """What an invocation that finished comes to, and why it failed, in plain words."""
    if invoked.function_error is not None:
        reason = f"the function failed: {_error_summary(invoked.payload)}"
        return Invoked(500, request_id, "Internal server error"), reason
    try:
        result = json.loads(invoked.payload)
    except ValueError:
        return Invoked(500, request_id, "Internal server error"), "the result is not JSON"
    if not isinstance(result, dict):
        return Invoked(200, request_id), None  # ``None`` or a bare value counts as success
    status = result.get("statusCode")
    code = status if isinstance(status, int) else 200
    return Invoked(code, request_id, None, _subprotocol(result)), None


async def _cannot_replay(request: Request) -> Response:
    """A WebSocket event belongs to its connection: the inspector does not send it again."""
    return Response(409, [], b"a WebSocket event cannot be replayed")


def _request_id() -> str:
    return str(uuid.uuid4())


def _subprotocol(result: Mapping[str, object]) -> str | None:
    """``Sec-WebSocket-Protocol`` from a result's ``headers`` (or ``multiValueHeaders``)."""
    for field in ("headers", "multiValueHeaders"):
        headers = result.get(field)
        if not isinstance(headers, dict):
            continue
        for name, value in headers.items():
            if str(name).lower() != "sec-websocket-protocol":
                continue
            if isinstance(value, list) and value:
                value = value[-1]
            if isinstance(value, str) and value:
                return value
    return None


def _gateway_message(message: str, connection: WebSocketConnection, request_id: str) -> str:
    """API Gateway's own message to a client, spaced exactly as AWS sends it:
    ``{"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", "requestId":"..."}``."""
    said, connection_id = json.dumps(message), json.dumps(connection.connection_id)
    request = json.dumps(request_id)
    return f'{{"message": {said}, "connectionId":{connection_id}, "requestId":{request}}}'


def _error(code: str, message: str) -> bytes:
    return json.dumps({"__type": code, "message": message}).encode()


def _iso(epoch_ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
