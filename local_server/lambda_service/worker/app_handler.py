"""The Lambda handler an execution environment runs for ``lambgate serve APP``.

``APP`` (``module:attr``, in ``LAMBGATE_APP``) may be a WSGI app, an ASGI app or a Lambda
handler function. This module is imported by the worker, never by the server, so the app's
code (and its import-time side effects) only ever runs inside its execution environment, as it
would in Lambda; ``_HANDLER`` is ``lambgate.local.lambda_service.worker.app_handler.handler``.

A WSGI or ASGI app is served by :func:`lambgate.make_handler`, exactly what the zero-code entry
``lambgate.lambda_handler`` builds from the same variables in Lambda. A Lambda handler is called
as it is.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from lambgate.entry import handler_from_environment, is_asgi, load_app
from lambgate.errors import ConfigurationError

__all__ = ["handler", "is_lambda_handler"]

#: Names a Lambda handler gives its parameters, and a WSGI app its own (PEP 3333).
_HANDLER_FIRST = frozenset({"event", "evt", "_event", "e"})
_HANDLER_SECOND = frozenset({"context", "ctx", "_context", "lambda_context", "_"})
_WSGI_SECOND = frozenset({"start_response", "_start_response", "sr"})


def is_lambda_handler(target: Any) -> bool:
    """Whether ``target`` is called ``(event, context)`` rather than as a WSGI/ASGI app.

    Both a handler and a WSGI app take two positional arguments, so their names decide:
    ``(event, context)`` is a handler (so is a Powertools resolver, whose ``__call__`` takes
    them), ``(environ, start_response)`` an app. Anything else is taken for a WSGI app, as
    framework objects are; ``LAMBGATE_INTERFACE=handler`` says otherwise.
    """
    if not callable(target) or is_asgi(target):
        return False
    try:
        parameters = list(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return False
    if len(parameters) < 2:
        return False
    first, second = parameters[0], parameters[1]
    if second in _WSGI_SECOND:
        return False
    return first in _HANDLER_FIRST or second in _HANDLER_SECOND


def _build() -> Any:
    spec = os.environ.get("LAMBGATE_APP")
    if not spec:
        raise ConfigurationError(
            "lambgate.local.lambda_service.worker.app_handler needs LAMBGATE_APP=module:attr"
        )
    interface = os.environ.get("LAMBGATE_INTERFACE", "auto")
    if interface == "handler":
        return load_app(spec)
    if interface == "auto":
        target = load_app(spec)
        if is_lambda_handler(target):
            return target
    return handler_from_environment()


handler = _build()
