"""The emulator's HTTP front: an asyncio HTTP/1.1 server with API Gateway's limits.

Each request is parsed by httptools, or h11 where httptools is not installed (never by hand;
:mod:`lambgate.local.front.wire`), into a :class:`lambgate.model.Request` and
handed to one async ``handler``: in ``lambgate serve``, the gateway emulation and the function
behind it. The front itself only refuses what API Gateway would refuse before any function
runs: bodies over 10 MB (413), oversized heads (431), malformed or ambiguous framing (400),
clients too slow to send a request (408).

How a connection is served lives in :mod:`lambgate.local.front.connection`; how the parsers'
requests and responses map to and from the neutral model, in :mod:`lambgate.local.front.messages`.
"""

from __future__ import annotations

import asyncio
import importlib
import ipaddress
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from lambgate.model import Request, Response

from .connection import HTTPConnection
from .wire import ParserName, RequestHead, choose_parser

__all__ = [
    "HTTPServer",
    "Handler",
    "Limits",
    "loop_factory",
    "run_async",
    "start_server",
    "warn_if_exposed",
]

T = TypeVar("T")

#: What the front calls for each request: the gateway and the function behind it. A handler
#: that knows its answer at once returns the ``Response`` itself and spares a task.
Handler = Callable[[Request], Awaitable[Response] | Response]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """What the front accepts, as API Gateway does, and how long it waits for a client."""

    #: API Gateway's payload limit, REST and HTTP APIs alike (AWS answers 413):
    #: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
    max_body: int = 10 * 1024 * 1024
    #: HTTP API quota "Total combined size of request line and header values: 10240 bytes"
    #: (same page). AWS does not document the status; 431 is RFC 6585's for it and what
    #: API Gateway was reported answering (https://backbencher.dev/solved-431-status-code-with-request-header-fields-too-large).
    max_head: int = 10_240
    #: A keep-alive connection with no request in this many seconds is closed silently.
    idle_timeout: float = 5.0
    #: Seconds from a request's first byte to the end of its head, and the longest stall
    #: while its body arrives; past it the answer is 408.
    header_timeout: float = 10.0

    def __post_init__(self) -> None:
        for name in ("max_body", "max_head", "idle_timeout", "header_timeout"):
            value = getattr(self, name)
            if value <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {value!r}")


#: The limits API Gateway applies (frozen, so one shared default is safe).
DEFAULT_LIMITS = Limits()
#: How long :meth:`HTTPServer.close` lets requests in flight finish before cancelling them.
SHUTDOWN_GRACE_SECONDS = 10.0


class HTTPServer:
    """A listening front; ``host`` and ``port`` are where it actually bound."""

    def __init__(self, server: asyncio.Server, connections: set[HTTPConnection]) -> None:
        self._server = server
        self._connections = connections
        sockname = server.sockets[0].getsockname()
        self.host: str = sockname[0]
        self.port: int = sockname[1]

    async def serve_forever(self) -> None:
        """Serve until cancelled (the server already accepts once started)."""
        await self._server.serve_forever()

    async def close(self, *, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Stop accepting, close idle connections, let requests in flight finish within
        ``grace`` seconds (their responses carry ``Connection: close``), then cancel the rest."""
        self._server.close()
        for connection in list(self._connections):
            connection.shutdown()
        running = {connection.finished for connection in self._connections}
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for connection in list(self._connections):
                connection.abort()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        await self._server.wait_closed()

    async def __aenter__(self) -> HTTPServer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


async def start_server(
    handler: Handler,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: Limits = DEFAULT_LIMITS,
    parser: ParserName = "auto",
    coalesce_pipelined: bool = False,
    streams_body: Callable[[RequestHead], bool] | None = None,
) -> HTTPServer:
    """Listen on ``host:port`` (port 0: any free port, see :attr:`HTTPServer.port`).

    ``parser`` names the HTTP/1.1 parser, as uvicorn's ``--http`` does: ``auto`` is
    httptools when installed, else h11.

    With ``coalesce_pipelined``, an answer to a request with another pipelined behind it is
    held until that one is answered, and both leave in one write: for a client that reads
    nothing before it has both (a runtime client posting a result with its next ``/next``),
    one write and one wake-up instead of two. Other clients should not wait for answers to
    later requests, so it is off by default.

    ``streams_body`` picks the requests handed to ``handler`` at their head, their body to
    be read as it arrives (:class:`~.streams.RequestBodyStream`, as ``request.body_stream``)
    and not held to ``limits.max_body``: the Runtime API's streamed responses.

    The default host is loopback on purpose: the functions behind the front run with the
    developer's credentials. Anything else is the caller's explicit choice, and
    :func:`warn_if_exposed` words the warning it should show.
    """
    connections: set[HTTPConnection] = set()
    wire = choose_parser(parser)

    def new_connection() -> HTTPConnection:
        connection = HTTPConnection(
            handler,
            limits,
            on_finished=connections.discard,
            parser=wire,
            coalesce_pipelined=coalesce_pipelined,
            streams_body=streams_body,
        )
        connections.add(connection)
        return connection

    server = await asyncio.get_running_loop().create_server(new_connection, host, port)
    return HTTPServer(server, connections)


def warn_if_exposed(host: str) -> str | None:
    """A warning for a ``host`` reachable from other machines; ``None`` for loopback."""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return None
    except ValueError:
        pass  # a host name other than localhost: it may resolve to a public address
    return (
        f"lambgate is listening on {host}, not 127.0.0.1: anyone who can reach this machine "
        "can call your functions, which run with the AWS credentials of this shell."
    )


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed, as uvicorn's ``--loop auto`` chooses (its
    callbacks, timers and transports cost a fraction of asyncio's); ``None``: asyncio's own."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the loop of :func:`loop_factory`."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
