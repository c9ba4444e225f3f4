"""Ports that are taken, held by a real socket: lambgate's own defaults move to a free port and
the banner says so; a port the user chose (and ``--port``) stops ``serve`` with one line."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lambgate.local.cli.ports import DEFAULT_LAMBDA_PORT

from .processes import still_alive
from .running_emulator import APPS, RunningEmulator
from .test_serve import children_of, read_lines, wait_for_line


def hold(port: int) -> socket.socket | None:
    """A listening socket on 127.0.0.1:``port``; ``None`` if something else holds it."""
    held = socket.socket()
    try:
        held.bind(("127.0.0.1", port))
    except OSError:
        held.close()
        return None
    held.listen()
    return held


@contextlib.contextmanager
def holding(*ports: int) -> Iterator[None]:
    """Each of ``ports`` taken while inside (by us, or already by someone else)."""
    sockets = [hold(port) for port in ports]
    try:
        yield
    finally:
        for held in sockets:
            if held is not None:
                held.close()


def free_base(*offsets: int) -> int:
    """A port ``p`` with ``p + offset`` free for each offset, as far as a bind can tell now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base: int = probe.getsockname()[1]
        if base + max(offsets) > 65535:
            continue
        held = [hold(base + offset) for offset in offsets]
        for sock in held:
            if sock is not None:
                sock.close()
        if all(held):
            return base
    raise AssertionError("no free ports found")


def test_taken_default_ports_move_and_the_banner_says_so() -> None:
    base = free_base(0, 1, 100, 101)
    # An API with a port of its own is counted from --port + 1; function URLs from + 100.
    with holding(base + 1, base + 100):
        running = RunningEmulator(template=APPS / "template.yaml", port=base)
        try:
            ports = {
                name: running.url(name).rpartition(":")[2]
                for name in ("ServerlessRestApi", "ServerlessHttpApi", "EchoFunction")
            }
            assert ports["ServerlessRestApi"] == str(base)
            assert ports["ServerlessHttpApi"] not in (str(base), str(base + 1))
            assert ports["EchoFunction"] not in (str(base + 100), str(base + 101))
            banner = running.emulator.banner()
            assert f"(port {base + 1} was taken)" in banner
            assert f"(port {base + 100} was taken)" in banner
            got = httpx.get(f"{running.url('ServerlessHttpApi')}/echo/x", timeout=30)
            assert got.json()["event"]["routeKey"] == "GET /echo/{item}"
        finally:
            assert not still_alive(running.stop())


def serve(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lambgate", "serve", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_a_second_serve_starts_when_the_first_holds_the_invoke_api_port() -> None:
    """The first ``lambgate serve`` (here: a socket) holds 3001, the Invoke API's default; a
    second one on another --port starts all the same, its Invoke API elsewhere."""
    port = free_base(0)
    with holding(DEFAULT_LAMBDA_PORT):
        process = serve("plain_handlers:echo", "--app-dir", str(APPS), "--port", str(port))
        lines: queue.Queue[str] = queue.Queue()
        assert process.stderr is not None
        reader = threading.Thread(target=read_lines, args=(process.stderr, lines), daemon=True)
        reader.start()
        try:
            wait_for_line(lines, rf"ServerlessHttpApi .* http://127\.0\.0\.1:{port}$", 30)
            invoke = wait_for_line(
                lines,
                rf"Invoke API (http://127\.0\.0\.1:\d+) .*\(port {DEFAULT_LAMBDA_PORT} was taken\)",
                5,
            )[1]
            answer = httpx.post(
                f"{invoke}/2015-03-31/functions/App/invocations", content=b'{"k": 1}', timeout=30
            )
            assert answer.status_code == 200
            assert httpx.get(f"http://127.0.0.1:{port}/x", timeout=30).status_code == 200
            workers = children_of(process.pid)
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            reader.join(timeout=5)
            process.stderr.close()
    assert workers and not still_alive(workers)


def processes_in(folder: Path) -> set[int]:
    """PIDs whose working folder is ``folder`` (where workers of that CodeUri run)."""
    found = set()
    for cwd in Path("/proc").glob("[0-9]*/cwd"):
        with contextlib.suppress(OSError):
            if Path(os.readlink(cwd)) == folder:
                found.add(int(cwd.parent.name))
    return found


URL_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: python3.11
      FunctionUrlConfig: {AuthType: NONE}
      Events: {Any: {Type: HttpApi}}
"""


@pytest.mark.parametrize("flag", ["--port", "--lambda-port", "--url-port"])
def test_a_taken_port_the_user_chose_stops_serve_with_one_line(tmp_path: Path, flag: str) -> None:
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "template.yaml").write_text(URL_TEMPLATE)
    base = free_base(0, 50)
    taken = base if flag == "--port" else base + 50
    ports = {"--port": str(base), flag: str(taken)}
    if flag != "--lambda-port":
        ports["--lambda-port"] = "0"
    args = [arg for pair in ports.items() for arg in pair]
    with holding(taken):
        process = serve(*args, cwd=tmp_path)
        try:
            _, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)
    assert process.returncode == 1
    assert stderr.splitlines() == [
        f"lambgate serve: error: {flag} {taken}: 127.0.0.1:{taken} is already in use "
        "(another lambgate serve or sam local?); choose another port"
    ]
    assert not processes_in(tmp_path.resolve()), "a worker outlived the failed start"
