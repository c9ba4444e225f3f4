"""One streamed invocation: which sources stream, and how each way of failing ends a stream.

Function URLs in ``RESPONSE_STREAM`` mode and REST APIs in ``STREAM`` mode read the prelude
and the chunks (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html).
HTTP APIs and ALB invoke with ``Invoke`` and want one JSON result: for them the response is
buffered as without streaming, and a one-time log line says so.

Before the first byte, a failure is an ordinary answer (500, or 504 at the deadline). After it,
the status is gone: the stream ends with Lambda's error trailers and a log line says why.
A client leaving does not close the stream on AWS ("streamed responses are not interrupted or
stopped when the invoking client connection is broken",
https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html): when the
stream is closed early all the same, Lambda closed it, and the app is told ``http.disconnect``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..errors import AppTimeout, CompletedWithError
from ..model import Request
from .runtime_client import ClientGone, ResponseStream, StreamTooLarge

__all__ = ["STREAMING_SOURCES", "serve_streamed"]

logger = logging.getLogger("lambgate")

#: The event sources whose gateway reads a streamed response.
STREAMING_SOURCES = frozenset({"url", "rest"})

_TEXT = [("content-type", "text/plain; charset=utf-8")]
_buffering_logged: set[str] = set()


def log_buffering_once(source: str, result_limit: int) -> None:
    """Say once per environment that ``source`` cannot stream and is answered buffered, up to
    its own limit (``result_limit``, the source's: ALB's 1 MB, Lambda's 6 MB for the others).
    A WebSocket route's answer is no HTTP response, and it never streams: nothing to say."""
    if source == "websocket" or source in _buffering_logged:
        return
    _buffering_logged.add(source)
    logger.warning(
        "the %s event source cannot stream (AWS invokes it with Invoke and buffers the "
        "result): answering with a buffered response, %d MB at most",
        source,
        result_limit // (1024 * 1024),
    )


def serve_streamed(
    run: Callable[[Request, ResponseStream], None], request: Request, stream: ResponseStream
) -> None:
    """Run the app for ``request`` into ``stream`` and end the stream, whatever happens."""
    where = f"{request.method} {request.path}"
    try:
        run(request, stream)
    except ClientGone:
        stream.gone = True
        _log_closed(where)
        stream.finish()
        return
    except StreamTooLarge as exc:
        logger.error("%s: %s; the stream was ended there", where, exc)
        _end(stream, exc, "Function.ResponseSizeTooLarge", 502, b"Response too large")
        return
    except CompletedWithError as exc:
        # The app answered in full (Starlette's error page), then raised: the client has it.
        logger.error("%s: app raised after its response was sent", where, exc_info=exc.__cause__)
        stream.finish()
        return
    except AppTimeout as exc:
        logger.error("%s timed out: %s; the stream was ended", where, exc)
        _end(stream, exc, "Sandbox.Timedout", 504, b"Gateway Timeout")
        return
    except Exception as exc:
        if stream.gone:
            # The app stopped on the disconnect its own way (Starlette's ClientDisconnect).
            _log_closed(where)
            stream.finish()
            return
        if stream.started:
            logger.error(
                "%s: app raised after the stream began; ending it with the error",
                where,
                exc_info=exc,
            )
        else:
            logger.error("%s: app failed, answering 500", where, exc_info=exc)
        # Typed with the exception's class name, as Lambda's runtimes type a raised error:
        # the Python runtime's errorType is the class name, and Node's streaming runtime puts
        # error.name in the Lambda-Runtime-Function-Error-Type trailer
        # (https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html,
        # https://github.com/aws/aws-lambda-nodejs-runtime-interface-client, ResponseStream).
        _end(stream, exc, "", 500, b"Internal Server Error")
        return
    if stream.gone:
        # The app took http.disconnect and returned as usual (sse-starlette does).
        _log_closed(where)
    stream.finish()


def _log_closed(where: str) -> None:
    logger.warning("%s: the response stream was closed early; the app was stopped", where)


def _end(stream: ResponseStream, exc: BaseException, kind: str, status: int, text: bytes) -> None:
    """End ``stream`` on ``exc``: with trailers typed ``kind`` (the class name when empty)
    once the stream began, else with a plain ``status`` answer."""
    if stream.gone:
        stream.finish()
    elif stream.started:
        stream.finish(exc, kind)
    else:
        stream.start(status, list(_TEXT))
        stream.write(text)
        stream.finish()
