"""Type aliases for the WSGI and ASGI callables and the Lambda handler.

Kept apart so that the modules on the hot path import them only while type checking:
``typing`` costs milliseconds of cold start and nothing at run time needs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from types import TracebackType
from typing import Any

__all__ = [
    "ASGIApp",
    "ExcInfo",
    "LambdaHandler",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "StartResponse",
    "WSGIApp",
]

#: ``fn(event, context) -> result``, what Lambda calls.
LambdaHandler = Callable[[Any, Any], dict[str, Any]]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
