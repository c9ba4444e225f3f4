"""A WSGI app's response to a stream, each chunk of its iterable as it is yielded.

PEP 3333 lets a server send each yielded chunk at once ("the server must transmit the data
... before requesting another block"); a generator (Flask's ``stream_with_context``) is how a
WSGI app streams. If Lambda closes the stream, writing raises and the iterable is closed, which
raises ``GeneratorExit`` inside a generator: the app stops where it stood.
"""

from __future__ import annotations

from ..errors import ProtocolError
from ..model import Request
from ..wsgi import WSGICycle, request_to_environ
from .runtime_client import ResponseStream

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..types import WSGIApp

__all__ = ["stream_wsgi"]


def stream_wsgi(app: WSGIApp, request: Request, stream: ResponseStream) -> None:
    cycle = WSGICycle()
    result = app(request_to_environ(request), cycle.start_response)
    started = False
    try:
        for chunk in result:
            if not isinstance(chunk, bytes):
                raise ProtocolError(f"WSGI body chunks must be bytes, got {type(chunk).__name__}")
            if cycle.status is None:
                if chunk:
                    raise ProtocolError("WSGI app yielded body before calling start_response()")
                continue
            if not started:
                started = True
                stream.start(cycle.status, cycle.headers)
            if cycle.chunks:  # what the app gave write() goes first
                written, cycle.chunks = b"".join(cycle.chunks), []
                stream.write(written)
            if chunk:
                cycle.sent = True
                stream.write(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if cycle.status is None:
        raise ProtocolError("WSGI app returned without calling start_response()")
    if not started:
        stream.start(cycle.status, cycle.headers)
    if cycle.chunks:
        stream.write(b"".join(cycle.chunks))
