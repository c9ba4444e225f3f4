"""Which route of a WebSocket API a message takes: its route selection expression evaluated
against the message's JSON body, as API Gateway does.

"Create routes for WebSocket APIs in API Gateway"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html):
the route whose key equals the evaluated expression is taken; a message that is not JSON, or
an expression that cannot be evaluated against it, or a value no route has, goes to
``$default``; without ``$default`` there is no route (API Gateway answers the client with an
error). The value is stringified: an array of two reads ``[item1, item2]``; ``\\$`` is a
literal ``$`` ("WebSocket selection expressions":
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html).
"""

from __future__ import annotations

import json
import re
from typing import Any

from lambgate.local.template.specs import (
    DEFAULT_ROUTE_PATH,
    WebSocketApiSpec,
    WebSocketRouteSpec,
)
from lambgate.local.template.websocket_apis import SELECTION_VARIABLE

__all__ = ["evaluate_selection_expression", "select_route"]

#: Keys API Gateway selects itself, on the upgrade and on the close; a message never does.
_CONNECTION_ROUTES = frozenset({"$connect", "$disconnect"})


class _NotEvaluable(Exception):
    """The expression names a property the message does not have."""


def evaluate_selection_expression(expression: str, message: str | bytes) -> str | None:
    """The expression's value for ``message``; ``None`` when the message is not a JSON object
    or lacks a property the expression names."""
    try:
        body = json.loads(message)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None

    def replace(match: re.Match[str]) -> str:
        path = match.group("wrapped") or match.group("bare")
        value: Any = body
        for name in path[1:].split("."):
            if not isinstance(value, dict) or name not in value or value[name] is None:
                raise _NotEvaluable
            value = value[name]
        return _stringified(value)

    try:
        return SELECTION_VARIABLE.sub(replace, expression).replace("\\$", "$")
    except _NotEvaluable:
        return None


def select_route(api: WebSocketApiSpec, message: str | bytes) -> WebSocketRouteSpec | None:
    """The route ``message`` invokes, or ``None``: no route matches and there is no
    ``$default``."""
    routes = {route.route_key: route for route in api.routes}
    key = evaluate_selection_expression(api.route_selection_expression, message)
    if key is not None and key in routes and key not in _CONNECTION_ROUTES:
        return routes[key]
    return routes.get(DEFAULT_ROUTE_PATH)  # ``$default``, as an HTTP API's catch-all


def _stringified(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_stringified(item) for item in value) + "]"
    return json.dumps(value, separators=(",", ":"))
