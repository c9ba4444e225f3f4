"""An ASGI app's response to a stream, each ``http.response.body`` as it is sent.

The same state machine as the buffered :class:`~lambgate.asgi.HTTPCycle`, with two
differences a streaming server has: a body message is written before ``send`` returns, and
``receive`` reports ``http.disconnect`` as soon as the stream is closed from the far side
(Lambda closed it; a client leaving does not, on AWS), so an app that listens for it
(Starlette's ``StreamingResponse``, sse-starlette) stops instead of running to its end. A
``send`` after that raises ``OSError``, as ASGI 2.4 servers do.
"""

from __future__ import annotations

import asyncio

from ..asgi import ASGIRunner
from ..errors import ProtocolError
from ..model import Headers, Request, Response
from .runtime_client import ClientGone, ResponseStream

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..types import Message

__all__ = ["StreamingCycle", "stream_asgi"]

_REQUEST = "before http.response.start"
_BODY = "after http.response.start"
_DONE = "after the final http.response.body"


class StreamingCycle:
    """``receive``/``send`` for one request whose body goes straight to ``stream``."""

    def __init__(
        self, body: bytes, stream: ResponseStream, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._body: bytes | None = body
        self._loop = loop
        #: The stream's socket, watched from the first write on: Lambda answers a streamed
        #: post only at its end, so anything readable before then is the far side closing it.
        self._watched = -1
        self._stream = stream
        self._state = _REQUEST
        self._status = 0
        self._headers: Headers = []
        self._ended = asyncio.Event()  # the response is complete, or the client left
        self.disconnected = False

    @property
    def complete(self) -> bool:
        return self._state is _DONE

    def disconnect(self) -> None:
        """The far side closed the stream: wake ``receive`` with ``http.disconnect``."""
        self.disconnected = True
        self._stream.gone = True  # nothing more can be written to it
        self._ended.set()

    async def receive(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self._ended.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.disconnected:
            raise ClientGone("the client disconnected")
        kind = message.get("type")
        if kind == "http.response.start" and self._state is _REQUEST:
            status = message.get("status")
            if not isinstance(status, int) or not 100 <= status <= 999:
                raise ProtocolError(f"'http.response.start' has an invalid status: {status!r}")
            try:
                self._headers = [
                    (name.decode("latin-1"), value.decode("latin-1"))
                    for name, value in message.get("headers", ())
                ]
            except (AttributeError, TypeError, ValueError):
                raise ProtocolError(
                    "'http.response.start' headers must be pairs of byte strings, got "
                    f"{message.get('headers')!r}"
                ) from None
            self._status = status
            self._stream.start(status, self._headers)
            self._state = _BODY
        elif kind == "http.response.body" and self._state is _BODY:
            body = message.get("body", b"")
            if not isinstance(body, bytes | bytearray | memoryview):
                raise ProtocolError(
                    f"'http.response.body' body must be bytes, got {type(body).__name__}"
                )
            more = bool(message.get("more_body", False))
            if body or not more:
                try:
                    self._stream.write(bytes(body))
                except ClientGone:
                    self.disconnect()
                    raise
                if self._watched < 0 and (fd := self._stream.fileno()) >= 0:
                    self._watched = fd
                    self._loop.add_reader(fd, self.disconnect)
            if not more:
                self._state = _DONE
                self._ended.set()
        else:
            raise ProtocolError(f"ASGI app sent {kind!r} {self._state}")

    def unwatch(self) -> None:
        if self._watched >= 0:
            self._loop.remove_reader(self._watched)
            self._watched = -1

    def response(self) -> Response:
        """The status and headers sent (the body is gone down the stream)."""
        if self._state is _REQUEST:
            raise ProtocolError("ASGI app returned without sending 'http.response.start'")
        if self._state is _BODY and not self.disconnected:
            raise ProtocolError(
                "ASGI app returned before the final 'http.response.body' (more_body=False)"
            )
        return Response(self._status, self._headers)


def stream_asgi(runner: ASGIRunner, request: Request, stream: ResponseStream) -> None:
    """Run the app on the runner's loop (its lifespan state, its deadline watchdog), writing
    to ``stream``."""
    cycle = StreamingCycle(request.body, stream, runner.loop)
    try:
        runner.run(request, cycle)
        cycle.response()  # a broken cycle is a ProtocolError
    finally:
        cycle.unwatch()
