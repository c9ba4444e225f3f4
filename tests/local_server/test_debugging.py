"""Debugging a function: ``breakpoint()`` on the terminal lambgate runs in, and debugpy.

``lambgate invoke`` and ``lambgate serve`` run as a developer runs them: in a real
pseudo-terminal (:mod:`.terminal`) into which the test types pdb's commands, or attached to by a
real debugger speaking DAP over TCP (:mod:`.dap_client`), the way VS Code attaches to debugpy.
Each function's Timeout is 1 s and each test lingers past it at a stop: a debugging session
is not cut short by the function's clock.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .dap_client import DapClient
from .processes import still_alive
from .terminal import Terminal

LAMBGATE = (sys.executable, "-m", "lambgate")

STOPPING_FUNCTION = """
    def handler(event, context):
        answer = {"seen": event}
        breakpoint()
        return answer
"""

#: A body API Gateway passes as text, not base64.
TEXT = {"Content-Type": "text/plain"}

#: Past the functions' 1 s Timeout (and the HTTP API's 1 s integration timeout).
LINGER_S = 1.5


def template(tmp_path: Path, code: str = STOPPING_FUNCTION, *, functions: int = 1) -> Path:
    """``Stop`` (and ``Other``…) with a 1 s Timeout behind an HTTP API with 1 s of patience."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(textwrap.dedent(code))
    names = ["Stop", "Other", "Third"][:functions]
    resources = "".join(
        f"""
          {name}:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Runtime: python3.12
              Timeout: 1
              Events:
                Api:
                  Type: HttpApi
                  Properties: {{Path: /{name.lower()}, Method: POST, TimeoutInMillis: 1000}}
        """
        for name in names
    )
    path = tmp_path / "template.yaml"
    path.write_text(f"Transform: AWS::Serverless-2016-10-31\nResources:{resources}")
    (tmp_path / "event.json").write_text('{"k": 1}')
    return path


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    """Commands a test runs in terminals; each stopped, and its workers checked gone."""
    started: list[Terminal] = []
    yield started
    for terminal in started:
        workers = terminal.children()
        terminal.stop()
        assert not still_alive(workers), "workers outlived the emulator"


def in_terminal(terminals: list[Terminal], tmp_path: Path, *args: str) -> Terminal:
    terminal = Terminal([*LAMBGATE, *args], cwd=tmp_path)
    terminals.append(terminal)
    return terminal


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- breakpoint() ---------------------------------------------------------------------------


def test_breakpoint_without_a_terminal_says_so_and_the_invocation_goes_on(tmp_path: Path) -> None:
    template(tmp_path)
    done = subprocess.run(
        [*LAMBGATE, "invoke", "--event", "event.json"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,  # no controlling terminal either
    )
    assert (done.returncode, json.loads(done.stdout)) == (0, {"seen": {"k": 1}})
    notes = [line for line in done.stderr.splitlines() if "lambgate:" in line]
    assert notes == [
        f"[Stop] lambgate: breakpoint() at {tmp_path / 'src' / 'app.py'}:4 skipped: lambgate "
        "runs without a terminal (run it in one, or attach a debugger with --debug-port)"
    ]


def test_breakpoint_in_lambgate_invoke_debugs_on_its_terminal(
    terminals: list[Terminal], tmp_path: Path
) -> None:
    template(tmp_path)
    terminal = in_terminal(terminals, tmp_path, "invoke", "--event", "event.json")
    terminal.expect(r"lambgate: breakpoint\(\) in Stop at .*app\.py:4: this environment has")
    terminal.expect(r"\(Pdb\) ")
    mark = terminal.type("p event")
    terminal.expect(r"\{'k': 1\}", after=mark)
    time.sleep(LINGER_S)
    mark = terminal.type("c")
    assert terminal.wait() == 0
    result = terminal.text[mark:]
    assert json.loads(result[result.index("{") :]) == {"seen": {"k": 1}}
    assert "Task timed out" not in terminal.text


def test_in_serve_the_environment_at_a_breakpoint_has_the_terminal_and_others_wait(
    terminals: list[Terminal], tmp_path: Path
) -> None:
    template(
        tmp_path,
        """
        def handler(event, context):
            body = event["body"]
            if body.startswith("stop"):
                breakpoint()
            return {"statusCode": 200, "body": body}
        """,
    )
    terminal = in_terminal(terminals, tmp_path, "serve", "--port", "0", "--lambda-port", "0")
    base = terminal.expect(r"HttpApi \(HTTP API, stage \$default\) (http://\S+)")[1]
    answers: dict[str, httpx.Response] = {}

    def post(body: str) -> httpx.Response:
        answers[body] = httpx.post(f"{base}/stop", content=body, headers=TEXT, timeout=60)
        return answers[body]

    first = threading.Thread(target=post, args=("stop 1",))
    first.start()
    terminal.expect(r"\(Pdb\) ")
    second = threading.Thread(target=post, args=("stop 2",))
    second.start()
    # A second environment starts for the second request, reaches breakpoint() and waits.
    terminal.expect(r"\[Stop\] lambgate: Stop waits for the terminal: another environment")
    # Requests that stop nowhere are served meanwhile.
    assert post("go").text == "go"
    mark = terminal.type("p body")
    terminal.expect(r"'stop 1'", after=mark)
    time.sleep(LINGER_S)
    mark = terminal.type("c")
    terminal.expect(r"\(Pdb\) ", after=mark)
    mark = terminal.type("p body")
    terminal.expect(r"'stop 2'", after=mark)
    terminal.type("c")
    first.join(30)
    second.join(30)
    assert {body: (got.status_code, got.text) for body, got in answers.items()} == {
        "go": (200, "go"),
        "stop 1": (200, "stop 1"),
        "stop 2": (200, "stop 2"),
    }
    assert "timed out" not in terminal.text


# -- --debug-port ---------------------------------------------------------------------------


def test_debug_port_waits_for_a_debugger_which_then_steps_through_untimed(
    tmp_path: Path,
) -> None:
    template(tmp_path)
    port = free_port()
    invoke = subprocess.Popen(
        [*LAMBGATE, "invoke", "--event", "event.json", "--debug-port", str(port)],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        debugger = DapClient(port)
        try:
            source = str(tmp_path / "src" / "app.py")
            debugger.attach(breakpoints={source: [3]})
            stopped = debugger.wait_for("event", "stopped")["body"]
            debugger.send("stackTrace", threadId=stopped["threadId"])
            frames = debugger.wait_for("response", "stackTrace")["body"]["stackFrames"]
            assert (frames[0]["name"], frames[0]["source"]["path"], frames[0]["line"]) == (
                "handler",
                source,
                3,
            )
            time.sleep(LINGER_S)
            debugger.send("continue", threadId=stopped["threadId"])
            # debugpy handles breakpoint() itself: the second stop.
            assert debugger.wait_for("event", "stopped")["body"]["reason"] == "breakpoint"
            debugger.send("continue", threadId=stopped["threadId"])
            out, err = invoke.communicate(timeout=60)
        finally:
            debugger.close()
    finally:
        if invoke.poll() is None:
            invoke.kill()
            invoke.wait(10)
    assert (invoke.returncode, json.loads(out)) == (0, {"seen": {"k": 1}})
    assert (
        f"[Stop] lambgate: Stop waits for a debugger to attach to 127.0.0.1:{port} (debugpy) "
        "before its init runs"
    ) in err.splitlines()


def test_the_debug_port_is_free_as_soon_as_the_environment_ends(tmp_path: Path) -> None:
    """Nothing of the debugger outlives the environment (debugpy's own adapter would daemonize
    and keep listening), so the next run, or the next cold start, can listen there again."""
    template(tmp_path, "def handler(event, context):\n    return event\n")
    port = free_port()
    for _ in range(2):
        invoke = subprocess.Popen(
            [*LAMBGATE, "invoke", "--event", "event.json", "--debug-port", str(port)],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            debugger = DapClient(port)
            debugger.attach()
            out, _ = invoke.communicate(timeout=60)
            debugger.close()
        finally:
            if invoke.poll() is None:
                invoke.kill()
                invoke.wait(10)
        assert (invoke.returncode, json.loads(out)) == (0, {"k": 1})
        with socket.socket() as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen()


def test_serve_debug_port_debugs_one_environment_at_a_time(
    terminals: list[Terminal], tmp_path: Path
) -> None:
    template(
        tmp_path,
        """
        import os

        def handler(event, context):
            return {"statusCode": 200, "body": str(os.getpid())}
        """,
        functions=2,
    )
    port = free_port()
    terminal = in_terminal(
        terminals,
        tmp_path,
        *("serve", "--port", "0", "--lambda-port", "0"),
        *("--debug-port", str(port), "--debug-function", "Stop"),
    )
    terminal.expect(
        rf"--debug-port: Stop waits for a debugger on 127\.0\.0\.1:{port} at each cold start"
    )
    base = terminal.expect(r"HttpApi \(HTTP API, stage \$default\) (http://\S+)")[1]
    with httpx.Client(timeout=60) as client:
        answers: list[httpx.Response] = []
        posts = [
            threading.Thread(target=lambda: answers.append(client.post(f"{base}/stop")))
            for _ in range(3)
        ]
        for post in posts:
            post.start()
        terminal.expect(rf"Stop waits for a debugger to attach to 127\.0\.0\.1:{port}")
        time.sleep(LINGER_S)  # past the 1 s integration timeout: no 503 while waiting
        debugger = DapClient(port)
        try:
            debugger.attach()
            for post in posts:
                post.join(30)
        finally:
            debugger.close()
        # One environment served all three, one after the other: the one holding the port.
        assert [answer.status_code for answer in answers] == [200, 200, 200]
        assert len({answer.text for answer in answers}) == 1
        # The function not debugged runs as always, environments in parallel.
        assert client.post(f"{base}/other").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--debug-function", "Stop"), "--debug-function: only applies with --debug-port"),
        (("--debug-port", "70000"), "--debug-port: 70000 is not a port number (1-65535)"),
        (
            ("--debug-port", "{port}"),
            "--debug-port: name the function to debug with --debug-function (Stop, Other)",
        ),
        (
            ("--debug-port", "{port}", "--debug-function", "Nope"),
            "--debug-function: no function 'Nope' (the template has Stop, Other)",
        ),
        (
            ("--debug-port", "{busy}", "--debug-function", "Stop"),
            "--debug-port: 127.0.0.1:{busy} is not free (Address already in use)",
        ),
    ],
)
def test_debug_flag_mistakes_are_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    template(tmp_path, functions=2)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        ports = {"port": free_port(), "busy": busy.getsockname()[1]}
        done = subprocess.run(
            [*LAMBGATE, "serve", "--port", "0", *(arg.format(**ports) for arg in args)],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert (done.returncode, done.stderr) == (
        2,
        f"lambgate serve: error: {message.format(**ports)}\n",
    )
