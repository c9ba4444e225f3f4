"""``lambgate serve`` with a template's WebSocket API: a port of its own, a ``ws://`` banner
line, and a real ``websockets`` client whose connection invokes the routes' functions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from websockets.sync.client import connect

from lambgate.local.cli.plan import ServeOptions, plan_template

from .running_emulator import RunningEmulator

PROBE = Path(__file__).parent / "functions" / "websocket_probe"


def template(tmp_path: Path) -> Path:
    probe = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"CodeUri": str(PROBE), "Handler": "app.handler", "Runtime": "python3.12"},
    }
    document = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Probe": probe,
            "Hello": {
                **probe,
                "Properties": {
                    **probe["Properties"],
                    "Events": {"Get": {"Type": "HttpApi", "Properties": {}}},
                },
            },
            "ChatApi": {
                "Type": "AWS::Serverless::WebSocketApi",
                "Properties": {
                    "StageName": "live",
                    "RouteSelectionExpression": "$request.body.action",
                    "Routes": {
                        "$connect": {"FunctionArn": {"Fn::GetAtt": ["Probe", "Arn"]}},
                        "$default": {"FunctionArn": {"Fn::GetAtt": ["Probe", "Arn"]}},
                        "join": {"FunctionArn": {"Fn::GetAtt": ["Probe", "Arn"]}},
                        "$disconnect": {"FunctionArn": {"Fn::GetAtt": ["Probe", "Arn"]}},
                    },
                },
            },
        },
    }
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_the_websocket_api_gets_the_port_after_the_http_apis(tmp_path: Path) -> None:
    plan = plan_template(ServeOptions(template=template(tmp_path), port=4100, lambda_port=4200))
    assert [front.port.number for front in plan.fronts] == [4100]
    assert [(ws.api.logical_id, ws.port.number) for ws in plan.websocket_fronts] == [
        ("ChatApi", 4101)
    ]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[RunningEmulator]:
    emulator = RunningEmulator(template=template(tmp_path))
    try:
        yield emulator
    finally:
        emulator.stop()


def logged_events(running: RunningEmulator) -> list[dict[str, Any]]:
    lines = running.log.text().splitlines()
    return [
        json.loads(line[line.index('{"routeKey"') :]) for line in lines if '{"routeKey"' in line
    ]


def test_a_websocket_client_connects_through_lambgate_serve(running: RunningEmulator) -> None:
    (ws,) = running.emulator.websocket_fronts
    url = f"ws://127.0.0.1:{ws.server.port}/live"
    assert f"  ChatApi (WebSocket API, stage live) {url}" in running.emulator.banner()
    with connect(url, open_timeout=20) as client:
        client.send(json.dumps({"action": "join"}))
        client.send("hello")
        running.log.wait_for('"routeKey": "$default"', timeout=20)
    running.log.wait_for('"routeKey": "$disconnect"', timeout=20)
    events = logged_events(running)
    assert [e["routeKey"] for e in events] == ["$connect", "join", "$default", "$disconnect"]
    assert len({e["connectionId"] for e in events}) == 1
