"""Type aliases for the WSGI and ASGI callables, the Lambda handler and make_handler's options.

Kept apart so that the modules on the hot path import them only while type checking:
``typing`` costs milliseconds of cold start and nothing at run time needs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from types import TracebackType
from typing import Any, Literal

__all__ = [
    "ASGIApp",
    "ExcInfo",
    "Interface",
    "LambdaHandler",
    "LifespanMode",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "SourceName",
    "StartResponse",
    "WSGIApp",
]

#: ``fn(event, context) -> result``, what Lambda calls.
LambdaHandler = Callable[[Any, Any], dict[str, Any]]

#: ``make_handler(interface=...)``: detect from the app, or force one.
Interface = Literal["auto", "asgi", "wsgi"]
#: ``make_handler(lifespan=...)`` for ASGI apps.
LifespanMode = Literal["auto", "on", "off"]
#: ``make_handler(source=...)``: the event sources, by name.
SourceName = Literal[
    "rest",
    "http-v1",
    "http",
    "alb",
    "alb-multi",
    "url",
    "edge",
    "lattice",
    "lattice-v2",
    "websocket",
]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
