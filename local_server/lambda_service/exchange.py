"""One HTTP request that reached a function, and what became of it: the inspector's record.

The gateway and the Invoke API fill one :class:`Exchange` per request, with references to what
they built anyway (the request as received, the event's JSON, the function's result, the
response), and hand it to an :data:`ExchangeSink` once answered. Nothing is copied or encoded
on the request path: the inspector formats a record only when someone looks at it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from lambgate.model import Request, Response

from .function import InvocationResult

__all__ = ["Exchange", "ExchangeSink", "Replay"]

#: Sends a request through the front that first received it again (the inspector's replay).
Replay = Callable[[Request], Awaitable[Response]]


@dataclass(slots=True, eq=False, kw_only=True)
class Exchange:
    """What one front did with one request, filled in as it goes."""

    #: Wall-clock seconds when the request arrived.
    started: float
    request_id: str
    #: The front: the APIs of a port (``HelloApi``), a function URL's function, ``Invoke API``,
    #: a WebSocket API.
    front: str
    #: ``rest``, ``http``, ``url``, ``alb``, ``alb-multi``, ``invoke`` or ``websocket`` (one
    #: event of a connection: its ``request`` is the upgrade, or the message as a request
    #: whose method is ``MESSAGE`` or ``DISCONNECT``).
    kind: str
    request: Request
    replay: Replay
    function: str | None = None
    #: The route as the access log names it (``GET /items/{id}``, ``$default``).
    route: str | None = None
    stage: str | None = None
    #: The event's JSON as the function received it (the Invoke API's payload).
    event: bytes | None = None
    invocation: InvocationResult | None = None
    response: Response | None = None
    #: Why the client got an error the function did not send, in plain words.
    reason: str | None = None
    duration_ms: float = 0.0


#: Takes each exchange once its response is known.
ExchangeSink = Callable[[Exchange], None]
