"""``lambgate serve`` with a template's WebSocket API: a port of its own, a ``ws://`` banner
line, and a real ``websockets`` client whose connection invokes the routes' functions."""

from __future__ import annotations

import copy
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from lambgate.local.cli.plan import ServeOptions, plan_template

from .running_emulator import RunningEmulator
from .test_serve import BANNER_TIMEOUT_S, ROOT, read_lines, wait_for_line

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


STARLETTE = Path(__file__).parent / "functions" / "websocket_starlette"


def starlette_template(tmp_path: Path) -> Path:
    document = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Chat": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": str(STARLETTE),
                    "Handler": "app.handler",
                    "Runtime": "python3.12",
                },
            },
            "ChatApi": {
                "Type": "AWS::Serverless::WebSocketApi",
                "Properties": {
                    "RouteSelectionExpression": "$request.body.action",
                    "Routes": {
                        key: {"FunctionArn": {"Fn::GetAtt": ["Chat", "Arn"]}}
                        for key in ("$connect", "$default", "$disconnect")
                    },
                },
            },
        },
    }
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_a_starlette_websocket_app_answers_a_real_client_through_post_to_connection(
    tmp_path: Path,
) -> None:
    running = RunningEmulator(template=starlette_template(tmp_path))
    try:
        (ws,) = running.emulator.websocket_fronts
        url = f"ws://127.0.0.1:{ws.server.port}/default"
        with connect(url, open_timeout=20) as client:
            client.send("hello")
            assert client.recv(timeout=20) == "echo hello"
            client.send("again")
            assert client.recv(timeout=20) == "echo again"
            client.send("bye")  # the app closes: DELETE @connections closes the client
            with pytest.raises(ConnectionClosed):
                client.recv(timeout=20)
        with pytest.raises(InvalidStatus, match="403"), connect(url + "?token=bad"):
            pass
    finally:
        running.stop()


def management_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_connections_api_posts_describes_and_deletes_like_aws(running: RunningEmulator) -> None:
    """boto3's own ``apigatewaymanagementapi`` client against the emulator's ``@connections``."""
    (ws,) = running.emulator.websocket_fronts
    url = f"ws://127.0.0.1:{ws.server.port}/live"
    management = management_client(f"http://127.0.0.1:{ws.server.port}/live")
    with connect(url, open_timeout=20, user_agent_header="probe/1.0") as client:
        running.log.wait_for('"routeKey": "$connect"', timeout=20)
        (connection_id,) = {e["connectionId"] for e in logged_events(running)}
        management.post_to_connection(ConnectionId=connection_id, Data=b"from the server")
        assert client.recv(timeout=20) == "from the server"
        # Over one 32 KB frame: sent in frames, received whole.
        management.post_to_connection(ConnectionId=connection_id, Data=b"y" * 100_000)
        assert client.recv(timeout=20) == "y" * 100_000
        described = management.get_connection(ConnectionId=connection_id)
        assert described["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "probe/1.0"}
        assert described["ConnectedAt"] <= described["LastActiveAt"]
        with pytest.raises(management.exceptions.PayloadTooLargeException):
            management.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
        management.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            client.recv(timeout=20)
    running.log.wait_for('"routeKey": "$disconnect"', timeout=20)
    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId=connection_id, Data=b"too late")


def test_delete_connection_closes_normally_as_aws_does(running: RunningEmulator) -> None:
    """``delete_connection`` sends the client a normal close (1000) and ``$disconnect`` says
    1000 "Connection Closed Normally", as API Gateway's event does (boto/boto3#3789); it said
    1006, an abnormal closure no close frame may even carry."""
    (ws,) = running.emulator.websocket_fronts
    management = management_client(f"http://127.0.0.1:{ws.server.port}/live")
    with connect(f"ws://127.0.0.1:{ws.server.port}/live", open_timeout=20) as client:
        running.log.wait_for('"routeKey": "$connect"', timeout=20)
        (connection_id,) = {e["connectionId"] for e in logged_events(running)}
        management.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
    running.log.wait_for('"routeKey": "$disconnect"', timeout=20)
    (disconnect,) = [e for e in logged_events(running) if e["routeKey"] == "$disconnect"]
    assert (disconnect["disconnectStatusCode"], disconnect["disconnectReason"]) == (
        1000,
        "Connection Closed Normally",
    )


def test_a_function_behind_two_websocket_apis_answers_the_clients_of_both(
    tmp_path: Path,
) -> None:
    """Its one management endpoint variable names the first API's port; the second API's
    clients were unreachable through it (GoneException), so the app's sends failed."""
    path = starlette_template(tmp_path)
    document = yaml.safe_load(path.read_text())
    second = copy.deepcopy(document["Resources"]["ChatApi"])
    second["Properties"]["StageName"] = "second"
    document["Resources"]["SecondApi"] = second
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    running = RunningEmulator(template=path)
    try:
        fronts = {ws.plan.api.logical_id: ws for ws in running.emulator.websocket_fronts}
        for name, stage in (("SecondApi", "second"), ("ChatApi", "default")):
            url = f"ws://127.0.0.1:{fronts[name].server.port}/{stage}"
            with connect(url, open_timeout=20) as client:
                client.send("hello")
                assert client.recv(timeout=20) == "echo hello", name
    finally:
        running.stop()


def test_every_websocket_event_is_in_the_access_log_and_the_inspector(
    running: RunningEmulator,
) -> None:
    """As an HTTP request is: one log line per invocation (and per message no route takes),
    one row on the inspector page with its event, result and log lines. None was there."""
    (ws,) = running.emulator.websocket_fronts
    with connect(f"ws://127.0.0.1:{ws.server.port}/live?room=7", open_timeout=20) as client:
        client.send(json.dumps({"action": "join"}))
        client.send("hello")
        running.log.wait_for('"routeKey": "$default"', timeout=20)
        (connection_id,) = {e["connectionId"] for e in logged_events(running)}
    running.log.wait_for(f"DISCONNECT /live $disconnect {connection_id}", timeout=20)
    for event_type, route in [
        ("CONNECT", "$connect"),
        ("MESSAGE", "join"),
        ("MESSAGE", "$default"),
        ("DISCONNECT", "$disconnect"),
    ]:
        where = f"/live {re.escape(route)} {re.escape(connection_id)}"
        line = rf"{event_type} {where} 200 [\d.]+ ms Probe (cold|warm)"
        assert re.search(line, running.log.text()), line

    inspector = running.emulator.inspector_url()
    assert inspector is not None
    with httpx.Client(timeout=30) as http:
        rows = http.get(inspector + "api/invocations").json()
        assert [(r["kind"], r["method"], r["route"], r["status"]) for r in reversed(rows)] == [
            ("websocket", "GET", "$connect", 200),
            ("websocket", "MESSAGE", "join", 200),
            ("websocket", "MESSAGE", "$default", 200),
            ("websocket", "DISCONNECT", "$disconnect", 200),
        ]
        assert {(r["front"], r["stage"], r["function"]) for r in rows} == {
            ("ChatApi", "live", "Probe")
        }
        connect_row = rows[-1]
        assert connect_row["path"] == "/live?room=7"
        hello = http.get(f"{inspector}api/invocations/{rows[1]['number']}").json()
    assert json.loads(hello["event"]["json"])["body"] == "hello"
    assert hello["request"]["body"]["text"] == "hello"
    assert any('"routeKey": "$default"' in line for line in hello["log"])
    assert hello["report"].startswith("REPORT RequestId: ")
    assert (hello["replayable"], hello["curl"]) == (False, None)


def test_a_message_no_route_takes_is_logged_and_listed_with_why(tmp_path: Path) -> None:
    path = template(tmp_path)
    document = yaml.safe_load(path.read_text())
    del document["Resources"]["ChatApi"]["Properties"]["Routes"]["$default"]
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    running = RunningEmulator(template=path)
    try:
        (ws,) = running.emulator.websocket_fronts
        with connect(f"ws://127.0.0.1:{ws.server.port}/live", open_timeout=20) as client:
            client.send("nobody takes this")
            assert json.loads(client.recv(timeout=20))["message"] == "Forbidden"
        running.log.wait_for("MESSAGE /live - ", timeout=20)
        assert "no route takes the message and the API has no $default route" in running.log.text()
        inspector = running.emulator.inspector_url()
        assert inspector is not None
        rows = httpx.get(inspector + "api/invocations", timeout=30).json()
        (forbidden,) = [r for r in rows if r["status"] == 403]
        assert (forbidden["function"], forbidden["error"]) == (None, True)
        assert "API Gateway told the client Forbidden" in forbidden["reason"]
    finally:
        running.stop()


def test_the_demo_serves_the_fastapi_chat_to_a_real_websocket_client() -> None:
    """README's first command, ``lambgate serve`` in the repository: the template's ChatApi
    has its ``ws://`` line, and the FastAPI app's WebSocket route answers a real client
    through the ``$default`` and ``nick`` routes, remembering the nickname by connection."""
    command = [sys.executable, "-m", "lambgate", "serve", "--port", "0", "--lambda-port", "0"]
    process = subprocess.Popen(
        [*command, "--inspect-port", "0"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    reader = threading.Thread(target=read_lines, args=(process.stderr, lines), daemon=True)
    reader.start()
    try:
        banner = r"ChatApi \(WebSocket API, stage chat\) (ws://\S+)"
        url = wait_for_line(lines, banner, BANNER_TIMEOUT_S)[1]
        assert url.endswith("/chat")
        for route in ("$connect", "$disconnect", "$default", "nick"):  # the template's order
            wait_for_line(lines, rf"^\s+{re.escape(route)}\s+-> FastApiFunction$", 5)
        with connect(url, open_timeout=30) as client:
            client.send("hello")
            assert json.loads(client.recv(timeout=30)) == {"from": "anonymous", "echo": "hello"}
            client.send(json.dumps({"action": "nick", "name": "ann"}))
            assert json.loads(client.recv(timeout=30)) == {"nick": "ann"}
            client.send("hi again")
            assert json.loads(client.recv(timeout=30)) == {"from": "ann", "echo": "hi again"}
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=5)
        process.stderr.close()
