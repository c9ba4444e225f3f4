"""What a streaming front does with a streamed response: read its head, relay its chunks.

A function URL in ``RESPONSE_STREAM`` mode and a REST API in ``STREAM`` mode invoke with
``InvokeWithResponseStream`` and pass the function's bytes on as they come. A body posted with
the HTTP integration's content type starts with the prelude (status, headers, cookies) and its
delimiter, read with :func:`lambgate.streaming.prelude.prelude_to_response`, the format's one
home. REST APIs require it: "API Gateway begins the payload stream after it receives the valid
metadata and delimiter"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html).
A function URL also streams a body without one, as status 200 with the content type the
function posted (Node's ``responseStream.setContentType``,
https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from lambgate.errors import ResultError
from lambgate.local.front.streams import ResponseCut
from lambgate.local.lambda_service.response_stream import InvocationStream, StreamEnd
from lambgate.model import Headers
from lambgate.streaming.prelude import CONTENT_TYPE, prelude_to_response

from .answers import FrontKind

__all__ = ["read_head", "relay"]


async def read_head(stream: InvocationStream, kind: FrontKind) -> tuple[int, Headers, bytes]:
    """``(status, headers, the body's first bytes)``; a :class:`ResultError` says why the
    front cannot read the stream."""
    if stream.content_type.split(";")[0].strip().lower() != CONTENT_TYPE:
        if kind == "rest":
            raise ResultError(
                f"the response was streamed as {stream.content_type}, without the HTTP "
                "integration prelude a REST API in STREAM mode needs"
            )
        return 200, [("content-type", stream.content_type)], b""
    data = b""
    while True:
        piece = await stream.read()
        if not piece:
            raise ResultError(f"the stream ended before its prelude's delimiter ({data[:80]!r})")
        data += piece
        parsed = prelude_to_response(data)
        if parsed is not None:
            return parsed


async def relay(
    stream: InvocationStream, first: bytes, on_end: Callable[[StreamEnd | None], None]
) -> AsyncIterator[bytes]:
    """The body's chunks as the function writes them. ``on_end`` gets how the stream ended, or
    ``None`` when the client left first: the stream is then closed, which on AWS does not stop
    the function (see :meth:`InvocationStream.close`)."""
    finished = False
    try:
        if first:
            yield first
        while chunk := await stream.read():
            yield chunk
        finished = True
    finally:
        if not finished:
            stream.close()
            on_end(None)
    end = stream.ended.result()
    on_end(end)
    if end.error_type is not None or end.broken:
        # The status is long gone: cutting the body short is how the client learns.
        raise ResponseCut(end.error_type or "the function's runtime broke the stream")
