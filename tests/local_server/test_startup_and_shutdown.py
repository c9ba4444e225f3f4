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

    def __init__(self, *arguments: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lambgate", "serve", *arguments],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1", **(env or {})},
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

    def wait_for_url(self, front: str, timeout: float = BANNER_TIMEOUT_S) -> str:
        """The base URL the banner gives ``front`` (an API's logical id)."""
        match = wait_for_line(self.lines, rf"{front} \(.*\) (http://\S+)", timeout)
        return match[1]

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
    base = running.wait_for_url("ServerlessHttpApi")
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


# -- an APP is imported at start-up -------------------------------------------------------------


def serve_once(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``lambgate serve`` run to its end: for start-ups that fail, on free ports."""
    return subprocess.run(
        [sys.executable, "-m", "lambgate", "serve", *arguments, "--port", "0"]
        + ["--lambda-port", "0"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=BANNER_TIMEOUT_S * 2,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.mark.parametrize(
    ("app", "line"),
    [
        (
            "nosuchmod:app",
            "nosuchmod:app: no module named 'nosuchmod' in {folder} or the installed packages",
        ),
        ("slow:application", "slow:application: module 'slow' has no attribute 'application'"),
        (
            "slow.inner:app",
            "slow.inner:app: no module named 'slow.inner' in {folder} or the installed packages",
        ),
        (
            "needs_a_dependency:app",
            "needs_a_dependency:app: importing needs_a_dependency failed: "
            "No module named 'nosuchdep'",
        ),
    ],
)
@pytest.mark.parametrize("command", ["serve", "invoke"])
def test_an_app_that_is_not_there_is_one_line_before_any_banner(
    app_dir: Path, command: str, app: str, line: str
) -> None:
    (app_dir / "needs_a_dependency.py").write_text("import nosuchdep\n\napp = None\n")
    if command == "serve":
        proc = serve_once(app, cwd=app_dir)
    else:
        proc = subprocess.run(
            [sys.executable, "-m", "lambgate", "invoke", app],
            cwd=app_dir,
            capture_output=True,
            text=True,
            timeout=BANNER_TIMEOUT_S * 2,
        )
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"lambgate {command}: error: {line.format(folder=app_dir)}\n"


def test_an_app_whose_code_raises_shows_its_traceback_then_one_line(app_dir: Path) -> None:
    (app_dir / "raising.py").write_text(
        "def helper():\n    raise RuntimeError('boom')\n\n\nhelper()\n"
    )
    proc = serve_once("raising:app", cwd=app_dir)
    assert (proc.returncode, proc.stdout) == (1, "")
    *log, last = proc.stderr.splitlines()
    assert last == "lambgate serve: error: App could not start: RuntimeError: boom"
    assert "[App] [ERROR] RuntimeError: boom" in log
    assert f'[App]   File "{app_dir / "raising.py"}", line 2, in helper' in log
    assert "lambgate serving" not in proc.stderr


def test_ctrl_c_while_an_app_is_imported_exits_quietly_and_ends_its_worker(
    app_dir: Path, serving: list[Serving]
) -> None:
    (app_dir / "sleepy.py").write_text(
        "import os, time\n\nopen('pid', 'w').write(str(os.getpid()))\ntime.sleep(60)\napp = None\n"
    )
    running = Serving("sleepy:app", "--port", "0", "--lambda-port", "0", cwd=app_dir)
    serving.append(running)
    deadline = time.monotonic() + BANNER_TIMEOUT_S
    while not (app_dir / "pid").is_file() or not (app_dir / "pid").read_text():
        assert time.monotonic() < deadline, "the app was not imported at start-up"
        time.sleep(0.05)
    worker = int((app_dir / "pid").read_text())
    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=20) == 130
    assert running.rest_of_stderr() == ""
    assert not still_alive([worker])


# -- --warm-containers ------------------------------------------------------------------------

#: Two functions; each records its worker's PID when its handler module is imported.
TWO_FUNCTIONS = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  GoodFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: good
      Handler: app.handler
      Runtime: python3.12
      Events: {Get: {Type: HttpApi, Properties: {Path: /good, Method: GET}}}
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: other
      Handler: %s.handler
      Runtime: python3.12
      Events: {Get: {Type: HttpApi, Properties: {Path: /other, Method: GET}}}
"""
RECORDING_HANDLER = """\
import os

with open("pids", "a") as pids:
    pids.write(f"{os.getpid()}\\n")


def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
"""


def two_functions(folder: Path, other_module: str) -> None:
    for name in ("good", "other"):
        (folder / name).mkdir()
        (folder / name / "app.py").write_text(RECORDING_HANDLER)
    (folder / "template.yaml").write_text(TWO_FUNCTIONS % other_module)


def recorded_pids(folder: Path) -> set[int]:
    pids = folder / "good" / "pids"
    return {int(line) for line in pids.read_text().split()} if pids.is_file() else set()


def test_eager_imports_every_function_before_the_banner_and_lazy_on_first_request(
    tmp_path: Path, serving: list[Serving]
) -> None:
    two_functions(tmp_path, "app")
    eager = Serving("--warm-containers", "EAGER", "--port", "0", "--lambda-port", "0", cwd=tmp_path)
    serving.append(eager)
    base = eager.wait_for_url("ServerlessHttpApi")
    (started,) = recorded_pids(tmp_path)  # imported before the banner
    assert httpx.get(f"{base}/good", timeout=30).text == "ok"
    eager.wait_for(r"GET /good 200 [\d.]+ ms GoodFunction warm")
    assert recorded_pids(tmp_path) == {started}, "the environment started eagerly is reused"
    eager.process.send_signal(signal.SIGINT)
    assert eager.process.wait(timeout=20) == 0
    assert not still_alive([started])

    (tmp_path / "good" / "pids").unlink()
    lazy = Serving("--port", "0", "--lambda-port", "0", cwd=tmp_path)
    serving.append(lazy)
    base = lazy.wait_for_url("ServerlessHttpApi")
    assert recorded_pids(tmp_path) == set(), "LAZY imports nothing before a request"
    assert httpx.get(f"{base}/good", timeout=30).text == "ok"
    lazy.wait_for(r"GET /good 200 [\d.]+ ms GoodFunction cold")
    lazy.process.send_signal(signal.SIGINT)
    assert lazy.process.wait(timeout=20) == 0


def test_eager_start_of_a_broken_function_is_one_line_and_leaves_no_worker(
    tmp_path: Path,
) -> None:
    two_functions(tmp_path, "missing")
    proc = subprocess.run(
        [sys.executable, "-m", "lambgate", "serve", "--warm-containers", "EAGER"]
        + ["--port", "0", "--lambda-port", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=BANNER_TIMEOUT_S * 2,
    )
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        "lambgate serve: error: OtherFunction could not start: Runtime.ImportModuleError: "
        "Unable to import module 'missing': No module named 'missing'\n"
    )
    (good,) = recorded_pids(tmp_path)  # the other function had started, and was stopped
    assert not still_alive([good])


def test_a_reload_restart_whose_app_no_longer_imports_says_why_and_goes_on_serving(
    app_dir: Path, serving: list[Serving]
) -> None:
    """A changed ``--env-vars`` starts everything again; an app broken meanwhile does not end
    ``serve --reload`` (the developer is still editing): one line, and requests get AWS's
    answer to an init error until it is fixed."""
    (app_dir / "env.json").write_text('{"Parameters": {"A": "1"}}')
    running = Serving(
        *("slow:app", "--reload", "--env-vars", "env.json", "--port", "0", "--lambda-port", "0"),
        cwd=app_dir,
    )
    serving.append(running)
    base = running.wait_for_url("ServerlessHttpApi")
    assert httpx.get(f"{base}/", timeout=30).text == "ok"
    (app_dir / "slow.py").write_text("raise RuntimeError('half-edited')\n")
    running.wait_for(r"lambgate: reloaded App")
    (app_dir / "env.json").write_text('{"Parameters": {"A": "2"}}')
    running.wait_for(r"lambgate: --reload: App could not start: RuntimeError: half-edited")
    base = running.wait_for_url("ServerlessHttpApi")
    assert httpx.get(f"{base}/", timeout=30).status_code == 500
    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=20) == 0
