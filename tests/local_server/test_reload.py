"""``lambgate serve --reload``: a saved change under a function's ``CodeUri`` is what the next
request runs, in a fresh (cold) execution environment, with no build step; and stopping the
emulator stops the watcher with it."""

from __future__ import annotations

import asyncio
import os
import py_compile
import queue
import re
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .processes import still_alive
from .running_emulator import RunningEmulator
from .test_serve import children_of, read_lines, wait_for_line

#: The brief's bound: the next request runs the new code within this many seconds of a save.
RELOAD_WITHIN_S = 3.0

HELLO = """\
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    start = {"type": "http.response.start", "status": 200, "headers": []}
    await send(start)
    await send({"type": "http.response.body", "body": b"%s"})
"""

#: A plain handler answering with a data file of its CodeUri: data is code too for --reload.
READ_ANSWER = """\
def handle(event, context):
    with open("answer") as answer:
        return {"statusCode": 200, "body": answer.read()}
"""


def write_hello(folder: Path, answer: str) -> Path:
    module = folder / "hello.py"
    module.write_text(HELLO % answer)
    return module


def save_as_an_editor_does(path: Path, text: str, *, mtime_ns: int | None = None) -> None:
    """Write a sibling file and rename it over ``path`` (one atomic change, as editors save)."""
    staged = path.with_name(f".{path.name}.saving")
    staged.write_text(text)
    if mtime_ns is not None:
        os.utime(staged, ns=(mtime_ns, mtime_ns))
    os.replace(staged, path)


def reload_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "lambgate-reload"]


@pytest.fixture
def reloading(tmp_path: Path) -> Iterator[RunningEmulator]:
    write_hello(tmp_path, "one")
    running = RunningEmulator(app="hello:app", app_dir=tmp_path, reload=True)
    yield running
    assert not still_alive(running.stop()), "workers outlived the emulator"
    assert not reload_threads(), "the watcher thread outlived the emulator"


def test_a_same_second_same_size_rewrite_is_served_cold_with_no_stale_bytecode(
    reloading: RunningEmulator, tmp_path: Path
) -> None:
    base = reloading.url("ServerlessHttpApi")
    assert httpx.get(f"{base}/", timeout=30).text == "one"
    assert httpx.get(f"{base}/", timeout=30).text == "one"
    reloading.log.wait_for("App warm")
    # Workers under --reload write no bytecode a later generation could take for current.
    assert not list(tmp_path.glob("__pycache__/*.pyc"))
    old_workers = reloading.emulator.pids
    module = tmp_path / "hello.py"
    # The pitfall: bytecode another process compiled from the old source, and a new source of
    # the same size whose mtime falls in the same second. Python would trust that .pyc.
    py_compile.compile(str(module))
    mtime_ns = module.stat().st_mtime_ns
    mark = reloading.log.mark()
    save_as_an_editor_does(module, HELLO % "two", mtime_ns=mtime_ns)
    log = reloading.log.wait_for("lambgate: reloaded App", after=mark, timeout=RELOAD_WITHIN_S)
    assert "lambgate: reloaded App after change to " in log and "hello.py" in log
    assert httpx.get(f"{base}/", timeout=30).text == "two"
    reloading.log.wait_for("GET / 200", after=mark)
    assert reloading.log.text()[mark:].count(" App cold") == 1
    assert not still_alive(old_workers), "the environment that ran the old code is gone"


def test_caches_and_vcs_files_do_not_reload_and_close_stops_the_watcher(
    reloading: RunningEmulator, tmp_path: Path
) -> None:
    base = reloading.url("ServerlessHttpApi")
    assert httpx.get(f"{base}/", timeout=30).text == "one"
    mark = reloading.log.mark()
    for ignored in ("__pycache__/hello.cpython-311.pyc", ".git/HEAD", ".venv/lib/x.py", "x.pyc"):
        path = tmp_path / ignored
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not code")
    (tmp_path / "settings.json").write_text("{}")  # any file under CodeUri is code
    log = reloading.log.wait_for("lambgate: reloaded App", after=mark, timeout=RELOAD_WITHIN_S)
    # One reload, for the one file that matters (ignored files would show as "and N more").
    assert log.count("lambgate: reloaded") == 1
    assert re.search(r"lambgate: reloaded App after change to \S*settings\.json\n$", log)
    assert reload_threads()
    reloading.call(reloading.emulator.close())
    assert not reload_threads(), "close() joined the watcher thread"
    assert reloading.call(_tasks_left()) == set(), "close() left tasks running"


def test_only_the_function_whose_code_uri_changed_is_recycled(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "handler.py").write_text(READ_ANSWER)
        (tmp_path / name / "answer").write_text(name)
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            """\
            Transform: AWS::Serverless-2016-10-31
            Globals:
              Function: {Runtime: python3.11, Handler: handler.handle}
            Resources:
              OneFunction:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: one
                  Events: {Get: {Type: HttpApi, Properties: {Path: /one, Method: GET}}}
              TwoFunction:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: two
                  Events: {Get: {Type: HttpApi, Properties: {Path: /two, Method: GET}}}
            """
        )
    )
    running = RunningEmulator(template=tmp_path / "template.yaml", reload=True)
    try:
        base = running.url("ServerlessHttpApi")
        assert [httpx.get(f"{base}/{n}", timeout=30).text for n in ("one", "two")] == ["one", "two"]
        mark = running.log.mark()
        (tmp_path / "one" / "answer").write_text("uno")
        running.log.wait_for("lambgate: reloaded OneFunction", after=mark, timeout=RELOAD_WITHIN_S)
        assert [httpx.get(f"{base}/{n}", timeout=30).text for n in ("one", "two")] == ["uno", "two"]
        log = running.log.wait_for("TwoFunction warm", after=mark)
        assert "OneFunction cold" in log and "reloaded TwoFunction" not in log
    finally:
        assert not still_alive(running.stop())


def test_lambgate_serve_reload_on_the_command_line_stops_on_ctrl_c(tmp_path: Path) -> None:
    module = write_hello(tmp_path, "one")
    command = [
        *(sys.executable, "-m", "lambgate", "serve", "hello:app", "--reload"),
        *("--app-dir", str(tmp_path), "--port", "0", "--lambda-port", "0"),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    reader = threading.Thread(target=read_lines, args=(process.stderr, lines), daemon=True)
    reader.start()
    workers: set[int] = set()
    try:
        base = wait_for_line(lines, r"HTTP API, stage \$default\) (http://\S+)", 30)[1]
        wait_for_line(lines, rf"--reload: watching {tmp_path}", 5)
        assert httpx.get(f"{base}/", timeout=30).text == "one"
        workers |= children_of(process.pid)
        save_as_an_editor_does(module, HELLO % "two")
        wait_for_line(
            lines, r"lambgate: reloaded App after change to \S*hello\.py", RELOAD_WITHIN_S
        )
        assert httpx.get(f"{base}/", timeout=30).text == "two"
        wait_for_line(lines, r"GET / 200 [\d.]+ ms App cold", 5)
        workers |= children_of(process.pid)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=5)
        process.stderr.close()
    assert len(workers) == 2 and not still_alive(workers)


async def _tasks_left() -> set[asyncio.Task[object]]:
    current = asyncio.current_task()
    return {task for task in asyncio.all_tasks() if task is not current}
