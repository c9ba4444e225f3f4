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

import importlib
import inspect
import os
from typing import Any

from lambgate.entry import handler_from_environment, is_asgi
from lambgate.errors import ConfigurationError

__all__ = ["AppImportError", "AppNotFound", "find_app", "handler", "is_lambda_handler"]

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


class AppNotFound(ConfigurationError):
    """``APP`` names no module, or no attribute of it: a mistake on the command line."""


class AppImportError(ConfigurationError):
    """Importing ``APP``'s module raised ``ImportError``: a module it imports is missing.

    Both are errors whose message says it all (``function.HANDLER_NOT_IMPORTED``), so the
    emulator says them in one line, as AWS's runtime reports ``Runtime.ImportModuleError``
    without a traceback; any other error of the app's code keeps its traceback.
    """


def find_app(spec: str) -> Any:
    """The object ``module:attr`` names, importing the module."""
    module_name, _, attr = spec.partition(":")
    try:
        target = importlib.import_module(module_name)
    except ImportError as error:
        missing = error.name if isinstance(error, ModuleNotFoundError) else None
        if missing and (module_name == missing or module_name.startswith(f"{missing}.")):
            where = f"in {os.getcwd()} or the installed packages"
            raise AppNotFound(f"{spec}: no module named {missing!r} {where}") from None
        raise AppImportError(f"{spec}: importing {module_name} failed: {error}") from None
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise AppNotFound(f"{spec}: module {module_name!r} has no attribute {attr!r}") from None
    return target


def _build() -> Any:
    spec = os.environ.get("LAMBGATE_APP")
    if not spec:
        raise ConfigurationError(
            "lambgate.local.lambda_service.worker.app_handler needs LAMBGATE_APP=module:attr"
        )
    target = find_app(spec)
    interface = os.environ.get("LAMBGATE_INTERFACE", "auto")
    if interface == "handler" or (interface == "auto" and is_lambda_handler(target)):
        return target
    # As lambgate.lambda_handler builds it in Lambda (the module is imported already).
    return handler_from_environment()


handler = _build()
