"""``pip install lambgate`` with no extra: packaging, deploying and events work; the emulator
says in one line what to install.

The venv here is built from lambgate's own wheel, offline, without system site-packages, so
it sees neither h11, PyYAML, watchfiles nor boto3, exactly as a fresh ``pip install lambgate``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Bounds each command: building a venv with pip in it takes seconds on a busy machine.
COMMAND_TIMEOUT_S = 180
LOCAL_EXTRA = "pip install 'lambgate[local]'"


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # Only what any shell has: no PYTHONPATH or VIRTUAL_ENV leaking this suite's packages in.
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        cwd=cwd,
        env=environment,
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding lambgate's wheel and nothing else; returns its ``bin`` folder. Beside it,
    ``wheels`` also holds ``tinydep``, a pure-Python wheel for ``package`` to resolve offline."""
    root = tmp_path_factory.mktemp("base-install")
    source = root / "source"
    for name in ("handler", "local_server", "infra"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    tinydep = root / "tinydep"
    (tinydep / "tinydep").mkdir(parents=True)
    (tinydep / "tinydep" / "__init__.py").write_text('VERSION = "1.0"\n')
    (tinydep / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "tinydep"\nversion = "1.0"\n'
    )
    built = run(
        *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
        *("--no-index", "--disable-pip-version-check", "--quiet"),
        *("-w", root / "wheels", source, tinydep),
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "wheels").glob("lambgate-*.whl")
    made = run(sys.executable, "-m", "venv", root / "venv")
    assert made.returncode == 0, made.stderr
    bin_folder = root / "venv" / "bin"
    installed = run(
        *(bin_folder / "python", "-m", "pip", "install", "--no-deps", "--no-index"),
        *("--disable-pip-version-check", "--quiet", wheel),
    )
    assert installed.returncode == 0, installed.stderr
    for module in ("h11", "yaml", "watchfiles", "boto3"):
        seen = run(bin_folder / "python", "-c", f"import {module}")
        assert seen.returncode != 0, f"the base venv sees {module}: not a base install"
    return bin_folder


def test_help_and_version_work(base: Path) -> None:
    helped = run(base / "lambgate", "--help")
    assert helped.returncode == 0, helped.stderr
    for command in ("serve", "invoke", "package", "deploy", "event"):
        assert command in helped.stdout
    versioned = run(base / "lambgate", "--version")
    assert (versioned.returncode, versioned.stdout) == (0, f"lambgate {version('lambgate')}\n")


def test_package_builds_the_zip_with_pip(base: Path, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text("import tinydep\n")
    (app / "requirements.txt").write_text("tinydep==1.0\n")
    wheels = base.parent.parent / "wheels"
    helped = run(base / "lambgate", "package", "--help")
    assert helped.returncode == 0 and "--requirements" in helped.stdout, helped.stderr
    packaged = run(
        *(base / "lambgate", "package", "--source", app, "--output", tmp_path / "app.zip"),
        *("--find-links", wheels, "--no-index", "--quiet"),
    )
    assert packaged.returncode == 0, packaged.stderr
    with zipfile.ZipFile(tmp_path / "app.zip") as archive:
        names = set(archive.namelist())
    assert {"main.py", "tinydep/__init__.py", "lambgate/__init__.py"} <= names
    assert not any(name.startswith(("lambgate/local/", "lambgate/deploy/")) for name in names)


def test_event_works(base: Path) -> None:
    proc = run(base / "lambgate", "event", "http", "--path", "/items")
    assert proc.returncode == 0, proc.stderr
    assert '"rawPath": "/items"' in proc.stdout


def test_deploy_says_in_one_line_that_it_needs_boto3(base: Path, tmp_path: Path) -> None:
    proc = run(
        *(base / "lambgate", "deploy", "--function-name", "demo", "--zip", "app.zip"),
        "--dry-run",
        cwd=tmp_path,
    )
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        "lambgate deploy: error: deploying needs boto3 (no module named 'boto3'): "
        "pip install boto3\n"
    )


@pytest.mark.parametrize(
    "arguments",
    [("serve",), ("serve", "--port", "0", "app:app"), ("invoke", "app:app"), ("invoke",)],
)
def test_serve_and_invoke_name_the_extra_in_one_line(
    base: Path, tmp_path: Path, arguments: tuple[str, ...]
) -> None:
    proc = run(base / "lambgate", *arguments, cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        f"lambgate {arguments[0]}: error: the emulator's dependencies are not installed "
        # The front imports its HTTP parser (httptools or h11) only when it serves, so the
        # template loader's PyYAML is the first module the base install lacks.
        f"(no module named 'yaml'): {LOCAL_EXTRA}\n"
    )
