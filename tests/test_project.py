"""The project's own promises: README's commands, CI, the public names, lint and types."""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import httpx
import pytest

import lambgate
from tests.local_server.test_serve import read_lines, wait_for_line

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


def emulator_examples() -> list[str]:
    """The commands of the README's "Local emulator" section, as a reader would copy them."""
    text = (ROOT / "README.md").read_text()
    start = text.index("## Local emulator")
    section = text[start : text.index("\n## ", start)]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the emulator section shows its commands in a sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_emulator_examples_run_as_written(tmp_path: Path) -> None:
    """Each command, in a copy of the repository's template and examples: ``serve`` answers
    ``GET /`` on the first URL of its banner and stops on Ctrl-C; the others exit 0. The one
    change: ``serve`` gets free ports, as fixed ones collide on a shared machine."""
    shutil.copy(ROOT / "template.yaml", tmp_path / "template.yaml")
    shutil.copytree(
        ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "NO_COLOR": "1",
    }
    for line in emulator_examples():
        words = shlex.split(line, comments=True)
        if words[:2] != ["lambgate", "serve"]:
            proc = subprocess.run(
                ["bash", "-c", line],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert proc.returncode == 0, f"{line}\n{proc.stderr}"
            continue
        process = subprocess.Popen(
            [*words, "--port", "0", "--lambda-port", "0"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        assert process.stderr is not None
        reader = threading.Thread(target=read_lines, args=(process.stderr, lines), daemon=True)
        reader.start()
        try:
            url = wait_for_line(lines, r"\) (http://\S+)", 60)[1]
            assert httpx.get(f"{url}/", timeout=30).status_code == 200, line
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0, line
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            reader.join(timeout=5)
            process.stderr.close()


def test_public_names_are_pinned() -> None:
    assert sorted(lambgate.__all__) == [
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


FOLDERS = ("handler", "local_server", "infra", "tests", "bench", "examples")


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", *FOLDERS], ["ruff", "format", "--check", *FOLDERS]],
    ids=["ruff-check", "ruff-format"],
)
def test_code_quality(command: list[str]) -> None:
    proc = subprocess.run(
        [_tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def installed_layout(into: Path) -> Path:
    """The package as the wheel installs it, made of links to the repository's folders:
    handler/ is lambgate/, local_server/ is lambgate/local/, infra/ is lambgate/deploy/."""
    package = into / "lambgate"
    package.mkdir()
    for entry in (ROOT / "handler").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "local").symlink_to(ROOT / "local_server")
    (package / "deploy").symlink_to(ROOT / "infra")
    return package


def test_mypy_strict(tmp_path: Path) -> None:
    installed_layout(tmp_path)
    proc = subprocess.run(
        [_tool("mypy"), "--config-file", str(ROOT / "pyproject.toml"), "-p", "lambgate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_wheel_installs_one_import_name(tmp_path: Path) -> None:
    """``pip install lambgate`` adds ``lambgate`` to site-packages and nothing else: no
    ``handler``, ``local_server`` or ``infra`` to shadow a project's own, nor Terraform files."""
    source = tmp_path / "source"
    for name in ("handler", "local_server", "infra"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--disable-pip-version-check", "--quiet", "-w", str(tmp_path / "wheels"), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheels").glob("lambgate-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()

    top_level = {name.split("/", 1)[0] for name in names}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"lambgate"}
    assert {
        "lambgate/__init__.py",
        "lambgate/py.typed",
        "lambgate/events/__init__.py",
        "lambgate/local/cli/main.py",
        "lambgate/deploy/package.py",
        # The inspector's page, served from the installed package (no build step, no CDN).
        "lambgate/local/inspector/static/page.html",
        "lambgate/local/inspector/static/page.css",
        "lambgate/local/inspector/static/page.js",
    } <= set(names)
    # Every module of the three folders is in it (pyproject.toml lists the packages by name).
    places = {"handler": "lambgate", "local_server": "lambgate/local", "infra": "lambgate/deploy"}
    assert {
        f"{places[folder]}/{module.relative_to(ROOT / folder).as_posix()}"
        for folder in places
        for module in (ROOT / folder).rglob("*.py")
    } <= set(names)
    assert not [name for name in names if name.endswith((".tf", ".md"))]
    assert "lambgate = lambgate.local.cli.main:main" in scripts
