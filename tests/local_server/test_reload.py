"""``lambgate serve --reload``: a saved change to code under a function's ``CodeUri`` is what
the next request runs, in a fresh (cold) execution environment, with no build step; what the app
writes in its folder (logs, databases, uploads) reloads nothing, as under uvicorn; a changed
template or ``--env-vars`` file starts everything again; and stopping the emulator stops the
watcher with it."""

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
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lambgate.local.cli.reload import DEBOUNCE_MS

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

#: A plain handler answering with a constant of another module of its CodeUri.
READ_ANSWER = """\
from answer import ANSWER


def handle(event, context):
    return {"statusCode": 200, "body": ANSWER}
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


def test_caches_vcs_virtualenvs_and_data_do_not_reload_and_close_stops_the_watcher(
    reloading: RunningEmulator, tmp_path: Path
) -> None:
    base = reloading.url("ServerlessHttpApi")
    assert httpx.get(f"{base}/", timeout=30).text == "one"
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    mark = reloading.log.mark()
    for ignored in (
        "__pycache__/hello.cpython-311.pyc",
        ".git/HEAD",
        ".venv/lib/x.py",
        "venv/lib/python3.11/site-packages/pkg/x.py",  # a virtualenv not named .venv
        ".aws-sam/build/App/hello.py",  # sam build's copy
        "x.pyc",
        ".hello.py.swp",
        "hello.py~",
        "settings.json",
        "app.log",
    ):
        path = tmp_path / ignored
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not code")
    assert reloaded_only_for(reloading, tmp_path, mark) == "sentinel.py"
    assert reload_threads()
    reloading.call(reloading.emulator.close())
    assert not reload_threads(), "close() joined the watcher thread"
    assert reloading.call(_tasks_left()) == set(), "close() left tasks running"


def reloaded_only_for(running: RunningEmulator, folder: Path, mark: int) -> str:
    """Save a sentinel module, wait for its reload, and return the one file reloaded for:
    changes are handled in order, so a reload for anything written before would show first
    (or as "and N more")."""
    (folder / "sentinel.py").write_text("SENTINEL = 1\n")
    log = running.log.wait_for("sentinel.py", after=mark, timeout=RELOAD_WITHIN_S)
    reloads = re.findall(r"lambgate: reloaded \S+ after change to (\S+)(.*)\n", log)
    assert len(reloads) == 1 and reloads[0][1] == "", log
    return Path(reloads[0][0]).name


#: An app that writes in its own folder on every request, as apps do: a log line, a row of its
#: SQLite database, an uploaded file.
WRITER = """\
import sqlite3
import uuid
from pathlib import Path


def app(environ, start_response):
    with open("app.log", "a") as log:
        log.write(environ["PATH_INFO"] + "\\n")
    with sqlite3.connect("data.sqlite") as db:
        db.execute("CREATE TABLE IF NOT EXISTS hits (path TEXT)")
        db.execute("INSERT INTO hits VALUES (?)", (environ["PATH_INFO"],))
    Path("uploads").mkdir(exist_ok=True)
    Path("uploads", uuid.uuid4().hex + ".png").write_bytes(b"\\x89PNG")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"written"]
"""


def test_what_the_app_writes_in_its_folder_does_not_reload_it(tmp_path: Path) -> None:
    """uvicorn reloads for *.py only; reloading for every log line or database write made every
    request a cold start (46 reloads in 5 s)."""
    (tmp_path / "writer.py").write_text(WRITER)
    running = RunningEmulator(app="writer:app", app_dir=tmp_path, reload=True)
    try:
        base = running.url("ServerlessHttpApi")
        mark = running.log.mark()
        for _ in range(5):
            assert httpx.get(f"{base}/", timeout=30).text == "written"
            time.sleep(DEBOUNCE_MS / 1000)  # time enough for a reload, were there one
        assert len(list((tmp_path / "uploads").iterdir())) == 5
        assert reloaded_only_for(running, tmp_path, mark) == "sentinel.py"
        log = running.log.text()[mark:]
        # APP mode imports the app at start-up: every request finds its environment warm.
        assert (log.count(" App cold"), log.count(" App warm")) == (0, 5)
    finally:
        assert not still_alive(running.stop())


def test_reload_include_and_exclude_globs_as_uvicorn_has_them(tmp_path: Path) -> None:
    write_hello(tmp_path, "one")
    for folder in ("templates", "generated"):
        (tmp_path / folder).mkdir()
    running = RunningEmulator(
        app="hello:app",
        app_dir=tmp_path,
        reload=True,
        reload_include=("*.html",),
        reload_exclude=("scratch_*.py", "generated"),  # a glob, and a folder
    )
    try:
        assert "for *.py, *.html" in running.emulator.banner()
        mark = running.log.mark()
        (tmp_path / "templates" / "index.html").write_text("<p>new</p>")
        running.log.wait_for("index.html", after=mark, timeout=RELOAD_WITHIN_S)
        mark = running.log.mark()
        (tmp_path / "scratch_notes.py").write_text("x = 1\n")
        (tmp_path / "generated" / "models.py").write_text("x = 1\n")
        (tmp_path / "templates" / "page.txt").write_text("not included")
        assert reloaded_only_for(running, tmp_path, mark) == "sentinel.py"
    finally:
        assert not still_alive(running.stop())


def test_reload_globs_without_reload_are_warned_about(tmp_path: Path) -> None:
    write_hello(tmp_path, "one")
    running = RunningEmulator(app="hello:app", app_dir=tmp_path, reload_include=("*.html",))
    try:
        assert not reload_threads()
        unused = "--reload-include and --reload-exclude do nothing without --reload"
        assert f"warning: {unused}" in running.emulator.banner()
    finally:
        assert not still_alive(running.stop())


def test_only_the_function_whose_code_uri_changed_is_recycled(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "handler.py").write_text(READ_ANSWER)
        (tmp_path / name / "answer.py").write_text(f"ANSWER = {name!r}\n")
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
        (tmp_path / "one" / "answer.py").write_text("ANSWER = 'uno'\n")
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


CONFIG_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: greet.handle
      Runtime: python3.11
      Environment: {Variables: {GREETING: %s, FROM_FILE: ""}}
      Events: {Get: {Type: HttpApi, Properties: {Path: /, Method: GET}}}
"""
GREET = """\
import os


def handle(event, context):
    return {"statusCode": 200, "body": os.environ["GREETING"] + "/" + os.environ["FROM_FILE"]}
"""


def test_a_changed_template_or_env_vars_file_starts_everything_again(tmp_path: Path) -> None:
    """Both decide more than code does; a template that does not read keeps the old one up."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "greet.py").write_text(GREET)
    template = tmp_path / "template.yaml"
    template.write_text(CONFIG_TEMPLATE % "one")
    env_vars = tmp_path / "env.json"
    env_vars.write_text('{"Fn": {"FROM_FILE": "a"}}')
    command = [
        *(sys.executable, "-m", "lambgate", "serve", "--reload", "--env-vars", "env.json"),
        *("--port", "0", "--lambda-port", "0"),
    ]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
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
    banner = r"ServerlessHttpApi \(HTTP API, stage \$default\) (http://\S+)"
    try:
        base = wait_for_line(lines, banner, 30)[1]
        wait_for_line(
            lines, r"--reload: watching \S+src for \*\.py, and template\.yaml, env\.json", 5
        )
        assert httpx.get(f"{base}/", timeout=30).text == "one/a"
        workers |= children_of(process.pid)
        save_as_an_editor_does(template, CONFIG_TEMPLATE % "two")
        wait_for_line(lines, r"lambgate: template\.yaml changed: starting again", RELOAD_WITHIN_S)
        assert wait_for_line(lines, banner, 30)[1] == base, "the same port as before"
        assert httpx.get(f"{base}/", timeout=30).text == "two/a"
        workers |= children_of(process.pid)
        save_as_an_editor_does(env_vars, '{"Fn": {"FROM_FILE": "b"}}')
        wait_for_line(lines, r"lambgate: env\.json changed: starting again", RELOAD_WITHIN_S)
        wait_for_line(lines, banner, 30)
        assert httpx.get(f"{base}/", timeout=30).text == "two/b"
        save_as_an_editor_does(template, "Resources: [unclosed\n")
        wait_for_line(lines, r"still serving the previous version", RELOAD_WITHIN_S)
        assert httpx.get(f"{base}/", timeout=30).text == "two/b"
        workers |= children_of(process.pid)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=5)
        process.stderr.close()
    assert len(workers) == 3 and not still_alive(workers)
