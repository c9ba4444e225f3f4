"""What a function finds in ``os.environ``: an ``APP`` all a uvicorn user's app would (the
shell, then ``--env-vars``), a template's function what it declares (SAM's rule), with the
declared variables left without a value named once at start-up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lambgate.local.template.loader import load_template
from tests.factories import make_http_v2_event

from .processes import still_alive
from .running_emulator import RunningEmulator
from .test_startup_and_shutdown import Serving

#: A WSGI app answering with the variables a uvicorn user would look for.
ENV_APP = """\
import json
import os

NAMES = ("DATABASE_URL", "FROM_FILE", "SHARED", "AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME")


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({name: os.environ.get(name) for name in NAMES}).encode()]
"""

#: Parameters applies to every function; the block named after the function wins over it.
ENV_VARS = {
    "Parameters": {"FROM_FILE": "from Parameters", "SHARED": "from Parameters"},
    "App": {"FROM_FILE": "from the App block"},
}

SHELL = {
    "DATABASE_URL": "postgres://localhost/app",
    "SHARED": "from the shell",
    "AWS_REGION": "eu-west-1",
}

EXPECTED = {
    "DATABASE_URL": "postgres://localhost/app",
    "FROM_FILE": "from the App block",
    "SHARED": "from Parameters",
    "AWS_REGION": "eu-west-1",
    # Lambda's reserved variables are still Lambda's.
    "AWS_LAMBDA_FUNCTION_NAME": "App",
}


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "envapp.py").write_text(ENV_APP)
    (tmp_path / "env.json").write_text(json.dumps(ENV_VARS))
    return tmp_path


@pytest.fixture
def serving() -> Iterator[list[Serving]]:
    started: list[Serving] = []
    yield started
    for running in started:
        running.stop()


def test_serve_app_gets_the_shell_and_env_vars(app_dir: Path, serving: list[Serving]) -> None:
    """``DATABASE_URL=... lambgate serve app:app``, as a uvicorn user runs it."""
    running = Serving(
        *("envapp:app", "--env-vars", "env.json", "--port", "0", "--lambda-port", "0"),
        cwd=app_dir,
        env=SHELL,
    )
    serving.append(running)
    base = running.wait_for_url("ServerlessHttpApi")
    assert httpx.get(f"{base}/", timeout=30).json() == EXPECTED
    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(timeout=20) == 0


def test_invoke_app_gets_the_shell_and_env_vars(app_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lambgate", "invoke", "envapp:app", "--env-vars", "env.json"]
        + ["--event", "-"],
        input=json.dumps(make_http_v2_event()),
        cwd=app_dir,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **SHELL},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(json.loads(proc.stdout)["body"]) == EXPECTED


def test_an_env_vars_block_for_no_function_of_the_app_is_warned_about(app_dir: Path) -> None:
    running = RunningEmulator(
        app="envapp:app",
        app_dir=app_dir,
        env_vars={"EnvFunction": {"A": "1"}},
        shell_env={},
    )
    try:
        assert (
            "  warning: --env-vars: EnvFunction is not a function of APP (its function is App)"
            in running.emulator.banner().splitlines()
        )
        got = httpx.get(f"{running.url('ServerlessHttpApi')}/", timeout=30).json()
        assert got["DATABASE_URL"] is None, "an empty shell gives nothing"
    finally:
        assert not still_alive(running.stop())


# -- a template's functions: SAM's rule -------------------------------------------------------

DECLARING = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          DATABASE_URL: ""
          API_KEY:
          TABLE: items
"""


def test_only_declared_variables_reach_a_template_function_and_empty_ones_are_named(
    tmp_path: Path,
) -> None:
    (tmp_path / "template.yaml").write_text(DECLARING)
    shell = {"UNDECLARED": "x", "TABLE": "from the shell"}

    template = load_template(tmp_path / "template.yaml", shell_env=shell)

    # SAM passes a variable declared with no value as "".
    assert template.functions["Fn"].variables == {
        "DATABASE_URL": "",
        "API_KEY": "",
        "TABLE": "from the shell",
    }
    assert template.warnings == (
        "Resources.Fn.Properties.Environment.Variables: DATABASE_URL, API_KEY have no value; "
        "give them one in the shell or with --env-vars",
    )
    given = load_template(
        tmp_path / "template.yaml",
        shell_env={"DATABASE_URL": "postgres://localhost/app"},
        env_vars={"Fn": {"API_KEY": ""}},  # an empty value given on purpose is no surprise
    )
    assert given.warnings == ()


def test_the_start_up_banner_names_the_variables_with_no_value_once(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(DECLARING)
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return {}\n")
    running = RunningEmulator(template=tmp_path / "template.yaml", shell_env={})
    try:
        warning = (
            "  warning: Resources.Fn.Properties.Environment.Variables: DATABASE_URL, API_KEY "
            "have no value; give them one in the shell or with --env-vars"
        )
        assert running.emulator.banner().splitlines().count(warning) == 1
    finally:
        assert not still_alive(running.stop())
