"""A WebSocket message takes the route its selection expression names, as API Gateway picks it
("WebSocket selection expressions" in API Gateway's developer guide)."""

from __future__ import annotations

import json

import pytest

from lambgate.local.gateway.websocket_route_selection import (
    evaluate_selection_expression,
    select_route,
)
from lambgate.local.template.specs import WebSocketApiSpec, WebSocketRouteSpec

#: The message of AWS's own example.
JOIN = json.dumps({"service": "chat", "action": "join", "data": {"room": "room1234"}})


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("$request.body.action", "join"),
        ("${request.body.action}", "join"),
        ("${request.body.service}/${request.body.action}", "chat/join"),
        ("${request.body.action}-${request.body.data.room}", "join-room1234"),
        ("$request.body.data.room", "room1234"),
        ("\\$default", "$default"),
        ("$request.body.nothere", None),
        ("${request.body.action}-${request.body.nothere}", None),
    ],
)
def test_expressions_evaluate_as_in_aws_examples(expression: str, value: str | None) -> None:
    assert evaluate_selection_expression(expression, JOIN) == value


@pytest.mark.parametrize(
    ("message", "value"),
    [
        ('{"action": [1, "two"]}', "[1, two]"),  # arrays are stringified
        ('{"action": 3}', "3"),
        ('{"action": true}', "true"),
        ("not json", None),
        (b"\xff\xfe", None),
        ('["action"]', None),
    ],
)
def test_values_are_stringified_and_non_json_cannot_be_evaluated(
    message: str | bytes, value: str | None
) -> None:
    assert evaluate_selection_expression("$request.body.action", message) == value


def api(*keys: str) -> WebSocketApiSpec:
    return WebSocketApiSpec(
        logical_id="Chat",
        stage_name="default",
        route_selection_expression="$request.body.action",
        routes=tuple(
            WebSocketRouteSpec(route_key=key, function=f"Fn{i}", integration_timeout_ms=29_000)
            for i, key in enumerate(keys)
        ),
    )


def route_key(spec: WebSocketApiSpec, message: str) -> str | None:
    route = select_route(spec, message)
    return None if route is None else route.route_key


def test_a_matching_key_wins_and_anything_else_goes_to_default() -> None:
    chat = api("$connect", "$default", "join", "$disconnect")
    assert route_key(chat, JOIN) == "join"
    assert route_key(chat, '{"action": "leave"}') == "$default"
    assert route_key(chat, "plain text") == "$default"
    # API Gateway selects $connect and $disconnect itself; a message naming them does not.
    assert route_key(chat, '{"action": "$disconnect"}') == "$default"


def test_without_default_an_unmatched_message_has_no_route() -> None:
    chat = api("$connect", "join")
    assert route_key(chat, JOIN) == "join"
    assert route_key(chat, '{"action": "leave"}') is None
