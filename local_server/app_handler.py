"""The Lambda handler an execution environment runs for ``lambgate serve APP``.

``APP`` (``module:attr``, in ``LAMBGATE_APP``) may be a WSGI app, an ASGI app or a Lambda
handler function. This module is imported by the worker, never by the server, so the app's
code (and its import-time side effects) only ever runs inside its execution environment, as it
would in Lambda; ``_HANDLER`` is ``local_server.app_handler.handler``.

A WSGI or ASGI app is served by :func:`handler.make_handler`, exactly what the zero-code entry
``handler.lambda_handler`` builds from the same variables in Lambda. A Lambda handler is called
as it is.
"""

from __future__ import annotations

import inspect
import os
import sys
from typing import Any


def _app_dir_entries() -> list[str]:
    """The ``sys.path`` entries that are the app's folder (``CodeUri``, also the cwd)."""
    app_dir = os.path.realpath(os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd())
    return [entry for entry in sys.path if os.path.realpath(entry or os.curdir) == app_dir]


# The app's folder comes first on sys.path, so an app module named handler.py (the most common
# Lambda file name) would shadow lambgate's ``handler`` package: lambgate's modules are
# imported with the folder out of the way, every one entry.py imports lazily included.
_APP_DIR_ENTRIES = _app_dir_entries()
_SYS_PATH = list(sys.path)
sys.path[:] = [entry for entry in sys.path if entry not in _APP_DIR_ENTRIES]
try:
    from handler import asgi, lifespan, wsgi  # noqa: F401
    from handler.entry import handler_from_environment, is_asgi, load_app
    from handler.errors import ConfigurationError
finally:
    sys.path[:] = _SYS_PATH
if any(
    os.path.exists(os.path.join(entry or os.curdir, name))
    for entry in _APP_DIR_ENTRIES
    for name in ("handler.py", os.path.join("handler", "__init__.py"))
):
    # The app's own ``handler`` wins its name; lambgate's submodules stay loaded under theirs.
    del sys.modules["handler"]

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
        raise ConfigurationError("local_server.app_handler needs LAMBGATE_APP=module:attr")
    interface = os.environ.get("LAMBGATE_INTERFACE", "auto")
    if interface == "handler":
        return load_app(spec)
    if interface == "auto":
        target = load_app(spec)
        if is_lambda_handler(target):
            return target
    return handler_from_environment()


handler = _build()
