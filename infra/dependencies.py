"""Resolve an app's requirements for the Lambda platform with pip, not for this machine.

pip is told the target's interpreter and platform (``--python-version``, ``--platform``,
``--implementation cp``, ``--only-binary=:all:``), which is how AWS documents building a
package on a machine that is not Lambda:
https://docs.aws.amazon.com/lambda/latest/dg/python-package.html . Those options choose the
wheels but not the environment markers, which pip evaluates for the interpreter it runs
under (https://github.com/pypa/pip/issues/11664): see ``lambgate.deploy.markers``.
"""

from __future__ import annotations

import csv
import email.parser
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .markers import MarkerDifference, markers_that_differ, matching_interpreter

__all__ = [
    "ARCHITECTURES",
    "PYTHON_VERSIONS",
    "RUNTIME_PROVIDED",
    "DependencyError",
    "InstalledDistribution",
    "pip_install_command",
    "install_requirements",
    "platform_tags",
]

# The Lambda Python runtimes lambgate runs on (it needs 3.11 or newer) and the glibc of the
# Amazon Linux each runs on: python3.11 on Amazon Linux 2 (glibc 2.26), python3.12 and later
# on Amazon Linux 2023 (glibc 2.34). https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html
# infra/variables.tf accepts the same list (tests/infra/test_package.py keeps them equal).
PYTHON_VERSIONS: dict[str, int] = {"3.11": 26, "3.12": 34, "3.13": 34, "3.14": 34}
# Lambda's instruction set names and the machine names in manylinux wheel tags.
ARCHITECTURES: dict[str, str] = {"x86_64": "x86_64", "arm64": "aarch64"}
# Every Python runtime "includes the SDK for Python (Boto3)":
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html ; botocore and s3transfer
# are the SDK's own parts. Their shared dependencies (urllib3, python-dateutil, jmespath, six)
# stay in the package: other libraries need them too, and at versions the runtime may not have.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
# The oldest manylinux glibc; manylinux2014 is its legacy name (PEP 600).
OLDEST_MANYLINUX_GLIBC = 17


class DependencyError(Exception):
    """pip could not resolve the requirements for the chosen runtime."""


@dataclass(frozen=True, kw_only=True)
class InstalledDistribution:
    """A distribution pip put in the target directory and the files its RECORD lists."""

    name: str
    files: tuple[str, ...]


def normalize_name(name: str) -> str:
    """PEP 503 normalisation, so ``Boto3`` and ``boto3`` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def platform_tags(python_version: str, architecture: str) -> list[str]:
    """The manylinux tags whose wheels run on the runtime, newest first.

    pip does not widen ``manylinux_2_34`` to the older glibc tags by itself, so every tag
    down to manylinux2014 is given explicitly.
    """
    machine = ARCHITECTURES[architecture]
    newest = PYTHON_VERSIONS[python_version]
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(newest, OLDEST_MANYLINUX_GLIBC, -1)]
    return [*tags, f"manylinux2014_{machine}"]


def pip_install_command(
    *,
    python: str = sys.executable,
    requirements: Path,
    target: Path,
    python_version: str,
    architecture: str,
    find_links: Sequence[str] = (),
    no_index: bool = False,
) -> list[str]:
    platforms = [
        arg for tag in platform_tags(python_version, architecture) for arg in ("--platform", tag)
    ]
    command = [
        python,
        "-m",
        "pip",
        "install",
        "--target",
        str(target),
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        *platforms,
        "--only-binary=:all:",
        # Byte code is for the interpreter that compiles it and would make the zip differ
        # from build to build; Lambda compiles on import.
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        "--requirement",
        str(requirements),
    ]
    for location in find_links:
        command += ["--find-links", location]
    if no_index:
        command.append("--no-index")
    return command


def _distributions(target: Path) -> list[InstalledDistribution]:
    found = []
    for dist_info in sorted(target.glob("*.dist-info")):
        metadata = email.parser.Parser().parsestr(
            (dist_info / "METADATA").read_text(encoding="utf-8"), headersonly=True
        )
        record = dist_info / "RECORD"
        files: list[str] = []
        if record.is_file():
            rows = csv.reader(record.read_text(encoding="utf-8").splitlines())
            files = [row[0] for row in rows if row and row[0]]
        found.append(InstalledDistribution(name=metadata["Name"], files=tuple(files)))
    return found


def _remove(target: Path, distribution: InstalledDistribution) -> None:
    for path in distribution.files:
        file = (target / path).resolve()
        if file.is_relative_to(target.resolve()) and file.is_file():
            file.unlink()
    # Directories the RECORD's files lived in, deepest first, if now empty.
    parents = {(target / path).parent for path in distribution.files}
    for directory in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        while directory != target and directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
            directory = directory.parent


def _rewrite_records(target: Path) -> None:
    """Drop RECORD rows for files installed outside ``target`` (``../../bin/tool``).

    pip lists the console scripts it wrote to ``bin/``, with the sha256 of a shebang naming
    the interpreter that ran it; ``bin/`` is not shipped, and those rows would make the zip
    differ from one machine or virtual environment to the next. The other rows are kept byte
    for byte.
    """
    for record in sorted(target.glob("*.dist-info/RECORD")):
        lines = record.read_bytes().splitlines(keepends=True)
        kept = []
        for line in lines:
            row = next(csv.reader([line.decode("utf-8")]), [])
            path = row[0] if row else ""
            if path.startswith(("../", "/")):
                continue
            kept.append(line)
        if len(kept) != len(lines):
            record.write_bytes(b"".join(kept))


def _pip_failure(output: str, python: str, requirements: Path, runtime: str) -> str:
    """The error message for a failed pip run, with the likely cause when pip's output shows
    one."""
    failed = f"pip could not install {requirements} for {runtime}"
    if "No module named pip" in output:
        return (
            f"{failed}: pip is not installed for {python}, which lambgate package runs it "
            f"with; install it ({python} -m ensurepip) or run lambgate from a virtual "
            f"environment that has it:\n{output}"
        )
    if "No matching distribution found" in output:
        return (
            f"{failed} (only wheels can be used: a package without a wheel for that platform "
            f"cannot be built here):\n{output}"
        )
    return f"{failed}:\n{output}"


def _markers_error(
    differences: list[MarkerDifference], *, python_version: str, architecture: str
) -> str:
    machine = ARCHITECTURES[architecture]
    listed = "\n".join(
        f"  {difference.where}: {difference.requirement} "
        f"({'needed' if difference.on_lambda else 'not wanted'} on Lambda, "
        f"{'left out' if difference.on_lambda else 'installed'} here)"
        for difference in differences
    )
    return (
        f"pip evaluates environment markers for the interpreter it runs under (Python "
        f"{sys.version_info[0]}.{sys.version_info[1]} on {platform.machine()} here), not for "
        f"Lambda's python{python_version} on {architecture} "
        f"(https://github.com/pypa/pip/issues/11664), and these requirements depend on it:\n"
        f"{listed}\n"
        f"Build on Linux {machine} with python{python_version} and its pip on PATH (lambgate "
        f"package then runs pip with it), or build with `sam build --use-container`."
    )


def install_requirements(
    requirements: Path,
    target: Path,
    *,
    python_version: str,
    architecture: str,
    keep_runtime_provided: bool = False,
    find_links: Sequence[str] = (),
    no_index: bool = False,
    cwd: Path | None = None,
) -> list[InstalledDistribution]:
    """Install into ``target``; drop what the runtime provides and pip's ``bin/`` scripts.

    pip runs under an interpreter whose environment markers are Lambda's when there is one;
    otherwise a build whose markers would select other requirements on Lambda is refused.
    Returns the distributions left, each with its files, for the size report.
    """
    machine = ARCHITECTURES[architecture]
    python = matching_interpreter(python_version, machine)
    command = pip_install_command(
        python=python or sys.executable,
        requirements=requirements,
        target=target,
        python_version=python_version,
        architecture=architecture,
        find_links=find_links,
        no_index=no_index,
    )
    completed = subprocess.run(command, capture_output=True, text=True, cwd=cwd, check=False)
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip()
        runtime = f"Python {python_version} on {architecture}"
        raise DependencyError(_pip_failure(output, command[0], requirements, runtime))
    if python is None:
        differences = markers_that_differ(
            requirements, target, python_version=python_version, machine=machine
        )
        if differences:
            raise DependencyError(
                _markers_error(
                    differences, python_version=python_version, architecture=architecture
                )
            )
    # Console scripts: their shebang names this machine's interpreter, useless on Lambda.
    shutil.rmtree(target / "bin", ignore_errors=True)
    _rewrite_records(target)
    kept = []
    for distribution in _distributions(target):
        if not keep_runtime_provided and normalize_name(distribution.name) in RUNTIME_PROVIDED:
            _remove(target, distribution)
        else:
            kept.append(distribution)
    return kept
