"""Bodies that move while they are being read or written: the front's streaming both ways.

A handler usually gets a request whose body is complete and answers with a whole response.
Two parts of the emulator cannot wait for that:

- the Runtime API reads a streamed ``/response`` post (chunked, trailers at its end) while
  the function still writes it: the front hands it the request at its head, with a
  :class:`RequestBodyStream` to read the body from as it arrives;
- a gateway in front of a streaming function answers with a :class:`StreamedResponse`,
  whose chunks the front sends as they come (chunked transfer coding), each as soon as it
  is produced.

Both keep memory bound: the connection stops reading a request body the handler has not
caught up with, and awaits a client that reads slower than the chunks come.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable

from lambgate.model import Headers, Response

__all__ = ["BODY_HIGH_WATER", "RequestBodyStream", "ResponseCut", "StreamedResponse"]

#: Unread request body bytes past which the connection stops reading the socket.
BODY_HIGH_WATER = 1024 * 1024


class RequestBodyStream:
    """A request body, read piece by piece as the client sends it; trailers at its end.

    The connection :meth:`feed` s it and :meth:`end` s or :meth:`fail` s it; the handler
    :meth:`read` s it, and may :meth:`abort` the connection when it wants no more of it.
    """

    def __init__(self, resume: Callable[[], None], abort: Callable[[], None]) -> None:
        self._pieces: deque[bytes] = deque()
        self._buffered = 0
        self._waiter: asyncio.Future[None] | None = None
        self._resume = resume
        self._abort = abort
        self._error: Exception | None = None
        self._ended = False
        #: The trailer fields after a chunked body (names lower-cased), once it ended.
        self.trailers: list[tuple[str, str]] = []

    # -- the connection's side ----------------------------------------------------------------

    @property
    def backlogged(self) -> bool:
        """Enough is unread that the connection should stop reading the socket."""
        return self._buffered > BODY_HIGH_WATER

    def feed(self, data: bytes) -> None:
        self._pieces.append(data)
        self._buffered += len(data)
        self._wake()

    def end(self, trailers: list[tuple[str, str]]) -> None:
        self.trailers = trailers
        self._ended = True
        self._wake()

    def fail(self, error: Exception) -> None:
        """The body was cut short (the client left): a later :meth:`read` raises ``error``."""
        if not self._ended:
            self._error = error
            self._ended = True
            self._wake()

    # -- the handler's side -------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        """All of the body has been read, or it was cut short."""
        return self._ended and not self._pieces

    async def read(self) -> bytes:
        """The next piece of the body; ``b""`` at its end. Raises the error it was cut with."""
        while not self._pieces:
            if self._ended:
                if self._error is not None:
                    raise self._error
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        piece = self._pieces.popleft()
        was_backlogged = self.backlogged
        self._buffered -= len(piece)
        if was_backlogged and not self.backlogged:
            self._resume()
        return piece

    def abort(self) -> None:
        """Drop the connection the body comes on: its sender sees the connection closed."""
        self.fail(ConnectionAbortedError("the request body was abandoned by its reader"))
        self._abort()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class ResponseCut(Exception):
    """Raised by a :class:`StreamedResponse`'s chunks to end it short on purpose (its
    producer has said why): the client sees the body incomplete, and no traceback is logged."""


class StreamedResponse(Response):
    """A response whose body leaves as ``chunks`` yields it, with chunked transfer coding.

    The front closes ``chunks`` when it stops iterating (the client left, or it failed), so
    its producer learns of it; a ``chunks`` that raises cuts the response short, which is
    how a client learns the body is incomplete.
    """

    __slots__ = ("chunks",)

    def __init__(self, status: int, headers: Headers, chunks: AsyncIterator[bytes]) -> None:
        super().__init__(status, headers, b"")
        self.chunks = chunks
