"""API Gateway WebSocket APIs: ``$connect``, message routes and ``$disconnect`` events.

https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html

Every event carries ``requestContext.eventType`` (``CONNECT``, ``MESSAGE``, ``DISCONNECT``),
``routeKey`` and ``connectionId``. Only ``CONNECT`` carries the handshake's headers and query;
only ``MESSAGE`` carries a body (base64 when the frame was binary). The connection's URL is
``wss://{domainName}/{stage}``: there is no path, so the request is ``GET /`` under the stage.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..lambda_limits import SYNC_RESPONSE_LIMIT
from ..model import Request, Response
from .addressing import client_at
from .base import DEFAULT_GATEWAY_CONTEXT, EventSource, GatewayContext, Options, request_time
from .encoding import body_from_event, body_to_event, query_from_multi_map, query_to_multi_map
from .fields import (
    FAILURES,
    FieldError,
    checked_text,
    flag,
    header_map,
    list_of,
    malformed,
    map_of,
    obj,
    text,
    text_or,
)
from .headers import headers_from_map, headers_from_multi_map, headers_to_multi_map
from .results import result_body, result_headers, result_mapping, result_status

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["EVENT_TYPES", "SOURCE", "connection_of"]

#: The event types, by the route that sends them.
EVENT_TYPES = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}
_TYPES = frozenset({"CONNECT", "MESSAGE", "DISCONNECT"})

FIELDS = obj(
    requestContext=obj(
        required=True,
        eventType=text(required=True),
        connectionId=text(required=True),
        routeKey=text(required=True),
        domainName=text(),
        stage=text(),
        disconnectReason=text(),
        identity=obj(sourceIp=text(ascii=True)),
    ),
    multiValueHeaders=header_map(list_of(text())),
    headers=header_map(text()),
    multiValueQueryStringParameters=map_of(list_of(text())),
    queryStringParameters=map_of(text()),
    body=text(),
    isBase64Encoded=flag(),
)


def matches(event: Mapping[str, Any]) -> bool:
    context = event.get("requestContext")
    return (
        (context.__class__ is dict or isinstance(context, Mapping))
        and "eventType" in context
        and "connectionId" in context
    )


class Connection:
    """What one event says about its connection (treated as immutable)."""

    __slots__ = ("connection_id", "disconnect_code", "disconnect_reason", "domain_name",
                 "event_type", "route_key", "stage")  # fmt: skip

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.event_type: str = context["eventType"]
        if self.event_type not in _TYPES:
            raise FieldError(
                "requestContext.eventType must be CONNECT, MESSAGE or DISCONNECT, "
                f"got {self.event_type!r}"
            )
        self.connection_id = _required_text(context["connectionId"], "connectionId")
        self.route_key = _required_text(context["routeKey"], "routeKey")
        self.domain_name: str | None = _optional_text(context.get("domainName"))
        self.stage: str | None = _optional_text(context.get("stage"))
        code = context.get("disconnectStatusCode")
        if code is not None and code.__class__ is not int:
            raise FieldError(
                f"requestContext.disconnectStatusCode must be an integer, got {type(code).__name__}"
            )
        #: The close code the client (or API Gateway) gave; 1005 "no status" when absent or
        #: outside the codes a close frame may carry (RFC 6455 section 7.4).
        self.disconnect_code = code if code is not None and 1000 <= code <= 4999 else 1005
        #: Why the connection closed (``websocket.disconnect``'s ``reason``), "" when unsaid.
        self.disconnect_reason = text_or(context.get("disconnectReason"), "")
        if not self.disconnect_reason.isascii():
            checked_text(self.disconnect_reason)


def _required_text(value: Any, name: str) -> str:
    """A field the connection is named by: text, never empty (AWS always sends it)."""
    if value.__class__ is not str or not value:
        raise TypeError(name)
    return checked_text(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else checked_text(value)


def connection_of(request: Request) -> Connection:
    """The connection a request translated by this module came from."""
    return Connection(request.event["requestContext"])


def event_to_request(event: Mapping[str, Any], context: Any, options: Options) -> Request:
    try:
        return _event_to_request(event, context)
    except FAILURES as failure:
        raise malformed("websocket", FIELDS, event, failure) from None


def _event_to_request(event: Mapping[str, Any], context: Any) -> Request:
    ctx = event["requestContext"]
    connection = Connection(ctx)
    multi = event.get("multiValueHeaders")
    if multi is not None:
        headers = headers_from_multi_map(multi)
    else:
        single = event.get("headers")
        headers = headers_from_map(single) if single is not None else []
    multi_query = event.get("multiValueQueryStringParameters")
    if multi_query is not None:
        query = query_from_multi_map(multi_query)
    else:
        single_query = event.get("queryStringParameters")
        query = (
            query_from_multi_map({k: [v] for k, v in single_query.items()}) if single_query else ""
        )
    body = body_from_event(event.get("body"), event.get("isBase64Encoded"))
    stage = connection.stage
    domain = connection.domain_name
    identity = ctx.get("identity")
    client = None if identity is None else client_at(identity.get("sourceIp"))
    server = (domain, 443) if domain else None
    root_path = f"/{stage}" if stage and stage != "$default" else ""
    return Request(
        "GET", "/", "/", query, headers, body, "wss", server, client, root_path, event, context
    )


def response_to_result(response: Response, request: Request, options: Options) -> dict[str, Any]:
    """``statusCode`` decides a ``$connect`` (2xx accepts); a header such as
    ``Sec-WebSocket-Protocol`` must be returned for the handshake to pick a subprotocol
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-connect-route-subprotocol.html)."""
    result: dict[str, Any] = {"statusCode": response.status}
    if response.headers:
        # The result has only a single-value ``headers`` map: repeats of a name (in any
        # spelling) are joined with commas as RFC 9110 section 5.3 allows, never dropped.
        multi = headers_to_multi_map(response.headers)
        cookies = [name for name in multi if name.lower() == "set-cookie"]
        if cookies:
            # Cookies cannot be joined so (RFC 6265 section 3), and API Gateway passes none to
            # the client anyway: its handshake carries only Sec-WebSocket-* headers of a result
            # (AWS's answer on re:Post, "Which headers can be set in a $connect route
            # response?", https://repost.aws/questions/QUbewEWvRiSr62tfjwg0ENGQ).
            _warn(
                "lambgate: %d Set-Cookie header(s) of a WebSocket answer dropped: API Gateway "
                "sends a WebSocket client no Set-Cookie; set cookies over HTTP",
                sum(len(multi.pop(name)) for name in cookies),
            )
        if multi:
            result["headers"] = {name: ", ".join(values) for name, values in multi.items()}
    if response.body:
        result["body"], result["isBase64Encoded"] = body_to_event(response.body, True)
    return result


def _warn(message: str, *args: object) -> None:
    """Logged on the ``lambgate`` logger; ``logging`` is imported only when there is
    something to say."""
    import logging

    logging.getLogger("lambgate").warning(message, *args)


def request_to_event(
    request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> dict[str, Any]:
    """The event for ``gateway.route_key``: ``$connect`` and ``$disconnect`` carry the headers
    and query, any other route the body as a MESSAGE."""
    route = gateway.route_key or "$default"
    kind = EVENT_TYPES.get(route, "MESSAGE")
    stage = gateway.stage or request.root_path.strip("/") or "$default"
    ctx: dict[str, Any] = {
        "routeKey": route,
        "eventType": kind,
        "extendedRequestId": gateway.request_id,
        "requestTime": request_time(gateway.time_epoch_ms),
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": (
            gateway.time_epoch_ms if gateway.connected_at_ms is None else gateway.connected_at_ms
        ),
        "requestTimeEpoch": gateway.time_epoch_ms,
        "identity": {
            "sourceIp": request.client[0] if request.client else "127.0.0.1",
            "userAgent": request.header("user-agent"),
        },
        "requestId": gateway.request_id,
        "domainName": gateway.domain_name or gateway.execute_api_domain(),
        "connectionId": gateway.connection_id or gateway.request_id[:12] + "=",
        "apiId": gateway.api_id,
    }
    event: dict[str, Any] = {"requestContext": ctx, "isBase64Encoded": False}
    if kind == "MESSAGE":
        ctx["messageId"] = gateway.request_id[:12] + "M"
        text_body = _as_text(request.body)
        if text_body is None:
            event["body"], event["isBase64Encoded"] = body_to_event(request.body, False)
        else:
            event["body"] = text_body
    else:
        if kind == "DISCONNECT":
            ctx["disconnectStatusCode"] = gateway.disconnect_status_code
            ctx["disconnectReason"] = gateway.disconnect_reason
        multi = headers_to_multi_map(request.headers)
        event["headers"] = {name: values[-1] for name, values in multi.items()}
        event["multiValueHeaders"] = multi
        if request.query_string:
            multi_query = query_to_multi_map(request.query_string)
            event["queryStringParameters"] = {k: v[-1] for k, v in multi_query.items()}
            event["multiValueQueryStringParameters"] = multi_query
    return event


def _as_text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def result_to_response(
    result: Any, request: Request, gateway: GatewayContext = DEFAULT_GATEWAY_CONTEXT
) -> Response:
    mapping = result_mapping(result, None)
    return Response(
        result_status(mapping), result_headers(mapping, multi=False), result_body(mapping)
    )


SOURCE = EventSource(
    name="websocket",
    version=None,
    matches=matches,
    event_to_request=event_to_request,
    response_to_result=response_to_result,
    request_to_event=request_to_event,
    result_to_response=result_to_response,
    result_limit=SYNC_RESPONSE_LIMIT,
)
