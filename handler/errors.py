"""Every error lambgate raises, in one tree.

::

    LambgateError
    ├── EventError                  the invocation payload is not a request we can serve
    │   ├── UnknownEventSource      no known source matches the event's shape
    │   └── MalformedEvent          the source is known but a required part is missing/wrong
    ├── ResultError                 a Lambda result AWS would reject (used by the emulator)
    ├── ProtocolError               the app broke the WSGI or ASGI contract
    ├── AppTimeout                  the app was cancelled before the Lambda deadline
    ├── CompletedWithError          the app raised after its response was complete
    ├── LifespanError               ASGI lifespan startup or shutdown failed
    └── ConfigurationError          make_handler / LAMBGATE_APP was set up wrongly

``status_hint`` is the HTTP status a gateway shows a client when the error happens on the
request path, so that the emulator and the handler answer alike.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .model import Response

__all__ = [
    "AppTimeout",
    "CompletedWithError",
    "ConfigurationError",
    "EventError",
    "LambgateError",
    "LifespanError",
    "MalformedEvent",
    "ProtocolError",
    "ResultError",
    "UnknownEventSource",
]


class LambgateError(Exception):
    """Base of every lambgate error."""

    status_hint = 500


class EventError(LambgateError, ValueError):
    """The Lambda event is not an HTTP request lambgate can translate.

    Raised out of the handler (not turned into a 500 result): the invocation itself is wrong,
    and the caller (a test event, a misrouted trigger) must see why.
    """

    status_hint = 400


class UnknownEventSource(EventError):
    """No supported event source matches the payload."""


class MalformedEvent(EventError):
    """The event looks like a known source but lacks a part that source always sends."""


class ResultError(LambgateError, ValueError):
    """A Lambda result that the gateway would refuse (API Gateway logs
    "Malformed Lambda proxy response" and answers 502)."""

    status_hint = 502


class ProtocolError(LambgateError, RuntimeError):
    """The app broke the WSGI or ASGI contract (bad message order, bad status, no response)."""


class AppTimeout(LambgateError, TimeoutError):
    """The app did not answer before the invocation's deadline (less the margin)."""

    status_hint = 504


class CompletedWithError(LambgateError):
    """The app raised after its response was complete: the response stands (the client gets
    it) and the error, the ``__cause__``, is logged."""

    def __init__(self, response: Response) -> None:
        super().__init__("the app raised after completing its response")
        self.response = response


class LifespanError(LambgateError, RuntimeError):
    """ASGI lifespan startup failed (with ``lifespan="on"``) or reported failure."""


class ConfigurationError(LambgateError, ValueError):
    """lambgate was set up wrongly: a bad option, or an app that cannot be imported."""
