"""Environment markers that pip evaluates for the wrong machine when it builds for Lambda.

``pip install --python-version 3.12 --platform manylinux_2_34_aarch64`` picks wheels for
that target, but evaluates environment markers (``dep; python_version < "3.12"``,
``dep; platform_machine == "aarch64"``) with the interpreter pip runs under:
https://github.com/pypa/pip/issues/11664 (open). A requirement whose marker is true on Lambda
and false here is silently left out, and the reverse ships what Lambda must not import.

``lambgate package`` avoids it by running pip under an interpreter whose markers are the
target's (:func:`matching_interpreter`), and where there is none (another architecture, or no
``python3.X`` on ``PATH``) refuses a build whose markers would come out differently
(:func:`markers_that_differ`): evaluating each marker for both environments is simple and
exact, where resolving for a foreign environment would need a resolver of our own.
"""

from __future__ import annotations

import email.parser
import importlib
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MarkerDifference", "matching_interpreter", "markers_that_differ", "target_environment"]


@dataclass(frozen=True, kw_only=True)
class MarkerDifference:
    """A requirement pip kept or dropped here that Lambda's interpreter would not."""

    where: str
    requirement: str
    on_lambda: bool


def target_environment(python_version: str, machine: str) -> dict[str, str]:
    """The marker variables (PEP 508) of a Lambda runtime: CPython on Amazon Linux, on
    ``machine`` (``x86_64`` or ``aarch64``).

    platform_release and platform_version (the kernel) are not known here and keep this
    machine's values; nor is the patch release, guessed as ``.0`` for the rare
    python_full_version marker.
    """
    full_version = f"{python_version}.0"
    return {
        "implementation_name": "cpython",
        "implementation_version": full_version,
        "os_name": "posix",
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_system": "Linux",
        "python_full_version": full_version,
        "python_version": python_version,
        "sys_platform": "linux",
    }


def matching_interpreter(python_version: str, machine: str) -> str | None:
    """A CPython with pip whose markers are Lambda's: this one, or ``python3.X`` on PATH.

    None when this is not Linux on ``machine`` (no interpreter here
    can then have Lambda's ``platform_machine``), or no working ``python3.X`` with pip is
    found (a pyenv shim for a version not selected fails the probe).
    """
    if sys.platform != "linux" or platform.machine() != machine:
        return None
    if sys.implementation.name == "cpython" and sys.version_info[:2] == tuple(
        int(part) for part in python_version.split(".")
    ):
        return sys.executable
    candidate = shutil.which(f"python{python_version}")
    if candidate is None:
        return None
    probe = "import sys, pip; print(sys.implementation.name, '%d.%d' % sys.version_info[:2])"
    try:
        completed = subprocess.run(
            [candidate, "-c", probe], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0 or completed.stdout.split() != ["cpython", python_version]:
        return None
    return candidate


def _packaging(module: str) -> Any:
    """``packaging``'s module, or the copy inside pip, which ``lambgate package`` runs anyway."""
    try:
        return importlib.import_module(f"packaging.{module}")
    except ImportError:
        return importlib.import_module(f"pip._vendor.packaging.{module}")


def _requirement_lines(path: Path, seen: set[Path]) -> Iterator[tuple[str, str]]:
    """(file name, requirement) for each requirement in a pip requirements file and the
    files it includes with ``-r``; options and comments are skipped."""
    if path in seen or not path.is_file():
        return
    seen.add(path)
    text = re.sub(r"\\\n", "", path.read_text(encoding="utf-8"))
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        included = re.match(r"(?:-r|--requirement)(?:\s+|=)(\S+)", line)
        if included:
            yield from _requirement_lines((path.parent / included.group(1)).resolve(), seen)
        elif line and not line.startswith("-"):
            # Per-requirement options (--hash=...) follow the requirement itself.
            yield path.name, re.split(r"\s+--?[A-Za-z]", line, maxsplit=1)[0]


def _installed_requirements(target: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(distribution, Requires-Dist, its extras) for each distribution pip installed."""
    for metadata_file in sorted(target.glob("*.dist-info/METADATA")):
        metadata = email.parser.Parser().parsestr(
            metadata_file.read_text(encoding="utf-8"), headersonly=True
        )
        where = f"{metadata['Name']} {metadata['Version']}"
        extras = metadata.get_all("Provides-Extra") or []
        for requirement in metadata.get_all("Requires-Dist") or []:
            yield where, requirement, extras


def markers_that_differ(
    requirements: Path, target: Path, *, python_version: str, machine: str
) -> list[MarkerDifference]:
    """Requirements whose marker is true on Lambda and false here, or the reverse.

    Checked: the requirements file (and its ``-r`` includes) and the Requires-Dist of every
    distribution pip installed in ``target``. A Requires-Dist is checked with no extra and
    with each extra its distribution offers, as pip does not record which were asked for.
    """
    markers, requirement_module = _packaging("markers"), _packaging("requirements")
    here = markers.default_environment()
    lambda_ = {**here, **target_environment(python_version, machine)}
    candidates = [
        (where, text, [""]) for where, text in _requirement_lines(requirements.resolve(), set())
    ]
    candidates += [
        (where, text, ["", *extras]) for where, text, extras in _installed_requirements(target)
    ]
    differences = []
    for where, text, extras in candidates:
        try:
            marker = requirement_module.Requirement(text).marker
        except requirement_module.InvalidRequirement:
            continue  # a path or URL pip understood and we need not: no marker to evaluate
        if marker is None:
            continue
        for extra in extras:
            on_lambda = bool(marker.evaluate({**lambda_, "extra": extra}))
            if on_lambda != bool(marker.evaluate({**here, "extra": extra})):
                differences.append(
                    MarkerDifference(where=where, requirement=text, on_lambda=on_lambda)
                )
                break
    return differences
