"""``lambgate serve`` starting and stopping as a developer sees it on the terminal.

Each test runs the real command as a subprocess on free ports, reads its stderr line by line
with bounded waits, and checks at the end that no worker process outlived it.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lambgate.local.cli.serve import STOP_GRACE_SECONDS

from .processes import still_alive
from .test_serve import children_of, read_lines, wait_for_line

BANNER_TIMEOUT_S = 30.0

#: An ASGI app whose /slow never answers in time: it says so, then sleeps.
SLOW_APP = """\
import asyncio

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        print("slow request started", flush=True)
        await asyncio.sleep(60)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
"""


class Serving:
    """A ``lambgate serve`` process and the lines of its stderr."""

    def __init__(self, *arguments: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lambgate", "serve", *arguments],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert self.process.stderr is not None
        self.reader = threading.Thread(
            target=read_lines, args=(self.process.stderr, self.lines), daemon=True
        )
        self.reader.start()

    def wait_for(self, pattern: str, timeout: float = 10.0) -> str:
        match = wait_for_line(self.lines, pattern, timeout)
        return match.string

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.reader.join(timeout=5)
        assert self.process.stderr is not None
        self.process.stderr.close()

    def rest_of_stderr(self) -> str:
        self.reader.join(timeout=5)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return "".join(rest)


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "slow.py").write_text(SLOW_APP)
    return tmp_path


@pytest.fixture
def serving() -> Iterator[list[Serving]]:
    started: list[Serving] = []
    yield started
    for running in started:
        running.stop()


def test_a_second_ctrl_c_ends_requests_in_flight_at_once_and_quietly(
    app_dir: Path, serving: list[Serving]
) -> None:
    running = Serving("slow:app", "--port", "0", "--lambda-port", "0", cwd=app_dir)
    serving.append(running)
    url = running.wait_for(r"HTTP API, stage \$default\) (http://\S+)", BANNER_TIMEOUT_S)
    base = url.split(") ", 1)[1].split()[0]
    failures: list[BaseException] = []

    def slow_request() -> None:
        try:
            httpx.get(f"{base}/slow", timeout=30)
        except httpx.HTTPError as error:  # the emulator ends it: that is the point
            failures.append(error)

    client = threading.Thread(target=slow_request, daemon=True)
    client.start()
    running.wait_for(r"\[App\] slow request started", BANNER_TIMEOUT_S)
    workers = children_of(running.process.pid)
    assert workers, "the request runs in a worker"
    running.process.send_signal(signal.SIGINT)
    running.wait_for(r"lambgate: stopping \(Ctrl-C again")
    second = time.monotonic()
    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=20) == 0
    assert time.monotonic() - second < STOP_GRACE_SECONDS, "the second Ctrl-C did not hurry"
    rest = running.rest_of_stderr()
    assert "lambgate: stopping now, ending requests in flight" in rest
    assert "Traceback" not in rest and "KeyboardInterrupt" not in rest, rest
    client.join(timeout=10)
    assert failures, "the slow request was ended, not answered"
    assert not still_alive(workers), "workers outlived lambgate serve"
