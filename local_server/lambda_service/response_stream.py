"""A streamed response as the runtime posts it, read by whoever relays it while it is written.

A runtime in streaming mode posts ``/response`` with ``Lambda-Runtime-Function-Response-Mode:
streaming``, chunked, and ends it with the ``Lambda-Runtime-Function-Error-Type``/``-Body``
trailers when it failed after the first byte
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).
The Runtime API hands the invocation an :class:`InvocationStream` at the post's head; the
gateway or the Invoke API reads it chunk by chunk, or the environment buffers it whole for a
plain ``Invoke``. A reader whose client left closes it, and it is then read to its end and
dropped: on AWS a stream "is not interrupted or stopped when the invoking client connection is
broken" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html),
so the function runs, and is billed, to its end or its deadline. Lambda's limit for a streamed
response, 200 MB, is enforced here: past it the stream ends with
``Function.ResponseSizeTooLarge`` and the runtime's post is refused.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass

from lambgate.lambda_limits import STREAMED_RESPONSE_LIMIT
from lambgate.local.front.streams import RequestBodyStream

__all__ = [
    "ERROR_BODY_TRAILER",
    "ERROR_TYPE_TRAILER",
    "InvocationStream",
    "StreamEnd",
    "StreamHolder",
]

ERROR_TYPE_TRAILER = "lambda-runtime-function-error-type"
ERROR_BODY_TRAILER = "lambda-runtime-function-error-body"
#: The error type Lambda reports for a response over its size limit.
TOO_LARGE = "Function.ResponseSizeTooLarge"


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamEnd:
    """How a streamed response ended."""

    #: The error the stream ended with (its trailers', or the emulator's), else ``None``.
    error_type: str | None = None
    #: The error document (JSON), when there is an error.
    error_body: bytes | None = None
    #: Bytes of body the function sent (the prelude included).
    size: int = 0
    #: The runtime's connection broke before the stream's end (it crashed, or was killed).
    broken: bool = False
    #: Loop time of the end.
    at: float = 0.0


class InvocationStream:
    """One streamed response: :meth:`read` it to its end, or :meth:`close` it to have it read
    to its end and dropped."""

    def __init__(
        self,
        body: RequestBodyStream,
        *,
        content_type: str,
        on_end: Callable[[StreamEnd], None],
        limit: int = STREAMED_RESPONSE_LIMIT,
    ) -> None:
        self._body = body
        #: The content type the runtime posted with (``application/vnd.awslambda.http-
        #: integration-response`` when a prelude leads the body).
        self.content_type = content_type
        self._on_end = on_end
        self._limit = limit
        self._size = 0
        self._loop = asyncio.get_running_loop()
        #: Resolved once the stream is over, however it ended.
        self.ended: asyncio.Future[StreamEnd] = self._loop.create_future()
        self._discarding: asyncio.Task[None] | None = None

    @property
    def size(self) -> int:
        return self._size

    @property
    def limit(self) -> int:
        return self._limit

    async def read(self) -> bytes:
        """The next chunk; ``b""`` once the stream is over (see :attr:`ended`)."""
        if self.ended.done():
            return b""
        try:
            piece = await self._body.read()
        except ConnectionError:
            self._end(StreamEnd(size=self._size, broken=True, at=self._loop.time()))
            return b""
        if not piece:
            self._end(self._trailers_end())
            return b""
        self._size += len(piece)
        if self._size > self._limit:
            document = {
                "errorType": TOO_LARGE,
                "errorMessage": f"Response payload size exceeded maximum allowed payload size "
                f"({self._limit} bytes).",
            }
            self._end(
                StreamEnd(
                    error_type=TOO_LARGE,
                    error_body=json.dumps(document).encode(),
                    size=self._size,
                    at=self._loop.time(),
                )
            )
            return b""
        return piece

    async def read_all(self) -> bytes:
        """The whole stream, for a caller that cannot take it in pieces (``Invoke``)."""
        pieces = []
        while piece := await self.read():
            pieces.append(piece)
        return b"".join(pieces)

    def close(self) -> None:
        """The reader wants no more (its client left). As on AWS, the function's stream is not
        cut: the rest of it is read and dropped, so the function runs to its end (or its
        deadline, where :meth:`fail` ends the stream) and :attr:`ended` says how it ended."""
        if not self.ended.done() and self._discarding is None:
            self._discarding = self._loop.create_task(self._discard())

    async def _discard(self) -> None:
        while await self.read():
            pass

    def fail(self, error_type: str, document: bytes) -> None:
        """The Lambda service ends the stream with ``error_type`` (the deadline, a crash)."""
        if not self.ended.done():
            end = StreamEnd(
                error_type=error_type, error_body=document, size=self._size, at=self._loop.time()
            )
            self._end(end)
            self._body.abort()

    def _trailers_end(self) -> StreamEnd:
        trailers = dict(self._body.trailers)
        error_type = trailers.get(ERROR_TYPE_TRAILER)
        error_body = None
        if error_type is not None:
            try:
                error_body = base64.b64decode(trailers.get(ERROR_BODY_TRAILER, ""), validate=True)
            except (ValueError, binascii.Error):
                error_body = None
            if not error_body:
                error_body = json.dumps({"errorType": error_type, "errorMessage": ""}).encode()
        return StreamEnd(
            error_type=error_type, error_body=error_body, size=self._size, at=self._loop.time()
        )

    def _end(self, end: StreamEnd) -> None:
        if not self.ended.done():
            self.ended.set_result(end)
            self._on_end(end)


class StreamHolder:
    """Takes the invocation's stream when it begins; one that begins after the front stopped
    waiting (the client left) is closed at once: read to its end and dropped, as on AWS."""

    def __init__(self) -> None:
        self.taken: asyncio.Future[InvocationStream] = asyncio.get_running_loop().create_future()
        self._abandoned = False

    def take(self, stream: InvocationStream) -> None:
        if self._abandoned or self.taken.done():
            stream.close()
        else:
            self.taken.set_result(stream)

    def abandon(self) -> None:
        self._abandoned = True
        if self.taken.done() and not self.taken.cancelled():
            self.taken.result().close()
