"""The project's own promises: README's commands, CI, the public names, lint and types."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import handler

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block is not None, "README.md must open with a sh block of commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert text.index("```sh") < text.index("\n## "), "the commands come before any section"
    demo, tests = readme_commands()
    assert demo.endswith("lambgate serve"), "the demo serves the repo's template.yaml"
    assert "pytest" in tests


def test_ci_runs_readme_test_command_verbatim() -> None:
    ci_lines = [
        line
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert readme_commands()[1] in ci_lines


def test_public_names_are_pinned() -> None:
    assert sorted(handler.__all__) == [
        "ConfigurationError",
        "EventError",
        "LambgateError",
        "LifespanError",
        "MalformedEvent",
        "ProtocolError",
        "Request",
        "Response",
        "ResultError",
        "UnknownEventSource",
        "lambda_handler",
        "make_handler",
    ]


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.fail(f"{name} is not installed beside {sys.executable}; install the dev extra")
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "handler", "local_server", "infra", "tests", "bench", "examples"],
        [
            "ruff",
            "format",
            "--check",
            "handler",
            "local_server",
            "infra",
            "tests",
            "bench",
            "examples",
        ],
        ["mypy", "--strict", "handler", "local_server", "infra"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_code_quality(command: list[str]) -> None:
    proc = subprocess.run(
        [_tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
