"""A user's mistake at start-up is one plain line and a non-zero status, never a traceback.

Each test runs the real ``lambgate`` command as a subprocess and compares its whole stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

#: Long enough for a cold interpreter on a busy machine; every run here ends on its own.
COMMAND_TIMEOUT_S = 60


def lambgate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambgate", *args],
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
    )


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command printed on stderr (and nothing on stdout)."""
    assert proc.returncode != 0, proc.stdout
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_version_is_the_installed_distributions() -> None:
    proc = lambgate("--version")
    assert (proc.returncode, proc.stdout) == (0, f"lambgate {version('lambgate')}\n")


def test_no_command_is_one_line() -> None:
    proc = lambgate()
    assert one_line(proc) == "lambgate: error: the following arguments are required: COMMAND"
    assert proc.returncode == 2


def test_an_inspector_history_below_one_is_one_line() -> None:
    proc = lambgate("serve", "app:app", "--inspect-history", "0")
    assert one_line(proc) == (
        "lambgate serve: error: argument --inspect-history: 0: keep at least 1 invocation"
    )
    assert proc.returncode == 2


@pytest.mark.parametrize("flag", ["--port", "--lambda-port", "--url-port", "--inspect-port"])
def test_a_port_out_of_range_is_one_line(flag: str) -> None:
    proc = lambgate("serve", "app:app", flag, "99999")
    assert one_line(proc) == (
        f"lambgate serve: error: argument {flag}: 99999 is not a port (0 to 65535; 0 is any "
        "free one)"
    )
    assert proc.returncode == 2


@pytest.mark.parametrize("command", ["serve", "invoke"])
def test_env_vars_that_are_not_json_or_not_there_are_one_line(command: str, tmp_path: Path) -> None:
    (tmp_path / "env.json").write_text("DATABASE_URL=postgres://localhost/db\n")
    (tmp_path / "list.json").write_text("[]")
    not_json = lambgate(command, "app:app", "--env-vars", "env.json", cwd=tmp_path)
    assert one_line(not_json) == (
        f"lambgate {command}: error: --env-vars: env.json is not JSON: Expecting value: line 1 "
        "column 1 (char 0)"
    )
    missing = lambgate(command, "app:app", "--env-vars", "nowhere.json", cwd=tmp_path)
    assert one_line(missing) == (
        f"lambgate {command}: error: --env-vars: cannot read nowhere.json: No such file or "
        "directory"
    )
    not_a_map = lambgate(command, "app:app", "--env-vars", "list.json", cwd=tmp_path)
    assert one_line(not_a_map) == (
        f'lambgate {command}: error: --env-vars: expected {{"FunctionId": {{"NAME": "value"}}, '
        "...}"
    )
    assert {not_json.returncode, missing.returncode, not_a_map.returncode} == {2}


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        (
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n   Properties: {}\n",
            "line 4, column 4",
            "expected <block end>, but found '<block mapping start>' (while parsing a block "
            "mapping at line 2, column 3)",
        ),
        (
            "Resources:\n  Fn: [1\n",
            "line 3, column 1",
            "expected ',' or ']', but got "
            "'<stream end>' (while parsing a flow sequence at line 2, column 7)",
        ),
        (
            "Resources:\n\tFn: 1\n",
            "line 2, column 1",
            "found character '\\t' that cannot start any token",
        ),
        ('Resources: "\x01"\n', "line 1, column 13", "special characters are not allowed (#x0001)"),
    ],
)
def test_a_template_that_is_not_yaml_is_one_line_with_its_line_and_column(
    tmp_path: Path, text: str, where: str, problem: str
) -> None:
    (tmp_path / "template.yaml").write_text(text)
    proc = lambgate("serve", cwd=tmp_path)
    template = tmp_path / "template.yaml"
    assert (
        one_line(proc) == f"lambgate serve: error: {template}, {where}: not valid YAML: {problem}"
    )
    assert proc.returncode == 2


def test_an_event_body_file_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    proc = lambgate("event", "http", "--body", "@body.json", cwd=tmp_path)
    assert one_line(proc) == (
        "lambgate event: error: --body: cannot read body.json: No such file or directory"
    )
    assert proc.returncode == 2


TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedPattern: "[a-z]+"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      %s
      Runtime: %s
      Events:
        Get: {Type: HttpApi}
"""


@pytest.mark.parametrize(
    ("handler", "runtime", "overrides", "line"),
    [
        (
            "Handlr: app.handler",
            "python3.12",
            (),
            "Resources.Fn.Properties.Handlr: not a property of AWS::Serverless::Function; did "
            "you mean Handler?",
        ),
        (
            "Handler: app.handler",
            "nodejs20.x",
            (),
            "Resources.Fn.Properties.Runtime: nodejs20.x is not a Python runtime; lambgate runs "
            "Python functions only",
        ),
        (
            "Handler: app.handler",
            "python3.12",
            ("--parameter-overrides", "Stage=Prod"),
            "--parameter-overrides Stage: 'Prod' does not match AllowedPattern [a-z]+",
        ),
    ],
)
@pytest.mark.parametrize("command", ["serve", "invoke"])
def test_template_mistakes_are_one_line(
    tmp_path: Path,
    command: str,
    handler: str,
    runtime: str,
    overrides: tuple[str, ...],
    line: str,
) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE % (handler, runtime))
    proc = lambgate(command, *overrides, cwd=tmp_path)
    assert one_line(proc) == f"lambgate {command}: error: {line}"
    assert proc.returncode == 2


def test_an_event_file_that_is_not_there_or_not_json_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "event.txt").write_text("GET /\n")
    missing = lambgate("invoke", "app:app", "--event", "event.json", cwd=tmp_path)
    assert one_line(missing) == (
        "lambgate invoke: error: --event: cannot read event.json: No such file or directory"
    )
    not_json = lambgate("invoke", "app:app", "--event", "event.txt", cwd=tmp_path)
    assert one_line(not_json) == (
        "lambgate invoke: error: --event: the event is not JSON: Expecting value: line 1 "
        "column 1 (char 0)"
    )
    assert {missing.returncode, not_json.returncode} == {2}


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    """`lambgate event http | head -1`: the pipe closes under the printed event."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lambgate", "event", "http", "--body", "x" * 100_000],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # as head does once it has its line
    try:
        stderr = process.stderr.read().decode()
        process.wait(timeout=COMMAND_TIMEOUT_S)
    finally:
        process.kill()
        process.stderr.close()
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
