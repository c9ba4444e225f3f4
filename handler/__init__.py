"""lambgate's Lambda side: run a WSGI or ASGI app behind any AWS HTTP event source.

``make_handler(app)`` returns the Lambda handler. ``lambgate.lambda_handler`` is the zero-code
entry: set ``Handler: lambgate.lambda_handler`` and ``LAMBGATE_APP=package.module:attr``; the
app is imported when Lambda resolves the handler, during the init phase.

Importing this package pulls in the standard library only, and no asyncio until an ASGI app
is served.
"""

from __future__ import annotations

from .entry import make_handler
from .errors import (
    ConfigurationError,
    EventError,
    LambgateError,
    LifespanError,
    MalformedEvent,
    ProtocolError,
    ResultError,
    UnknownEventSource,
)
from .model import Request, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .types import LambdaHandler

__all__ = [
    "ConfigurationError",
    "EventError",
    "LambgateError",
    "LifespanError",
    "MalformedEvent",
    "ProtocolError",
    "Request",
    "Response",
    "ResultError",
    "UnknownEventSource",
    "lambda_handler",
    "make_handler",
]

lambda_handler: LambdaHandler


def __getattr__(name: str) -> Any:
    # Resolved on first access, which the Lambda runtime does at init; cached afterwards.
    if name == "lambda_handler":
        from .entry import handler_from_environment

        value = globals()["lambda_handler"] = handler_from_environment()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
