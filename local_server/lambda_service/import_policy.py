"""What a function may import on AWS beyond its own code: worked out here, checked in the worker.

On AWS a Python function finds, besides its deployment package and layers, the standard library
and "the AWS SDK for Python (Boto3) and its dependencies", which the runtime includes
(https://docs.aws.amazon.com/lambda/latest/dg/python-package.html); everything else must be in
the package, which ``sam build`` and ``lambgate package`` fill from the ``requirements.txt`` in
the CodeUri (``--manifest`` names another file, as ``sam build --manifest`` does; a function
built by a Makefile, ``BuildMethod: makefile``, ships what the Makefile says, so it is checked
only against a ``--manifest``), and a layer's from the requirements its build installs. So a module
is there on AWS when it belongs to a distribution the runtime ships, or one the requirements
name or need: each named distribution installed here is followed through its ``Requires-Dist``
(with the extras asked for) by ``importlib.metadata``, and its top-level modules are collected.

:func:`import_policy` is the document the worker's check reads
(:mod:`.worker.import_check`, sent in ``_LAMBGATE_IMPORTS``). The walk runs in the emulator,
once for a given set of requirements and installed packages, so a cold start only reads the
requirements files again.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .function import FunctionConfig
from .worker.import_check import normalize, top_level_names

__all__ = [
    "MAKEFILE",
    "REQUIREMENTS_FILE",
    "RUNTIME_DISTRIBUTIONS",
    "Requirement",
    "import_policy",
    "imports_checked",
    "provided_modules",
    "read_requirements",
]

#: The dependency manifest ``sam build`` reads from a Python function's CodeUri.
REQUIREMENTS_FILE = "requirements.txt"

#: What the Python runtime ships: "the AWS SDK for Python (Boto3) and its dependencies"
#: (https://docs.aws.amazon.com/lambda/latest/dg/python-package.html), i.e. boto3's
#: ``Requires-Dist`` closure without its optional ``crt`` extra.
RUNTIME_DISTRIBUTIONS = (
    "boto3",
    "botocore",
    "jmespath",
    "python-dateutil",
    "s3transfer",
    "six",
    "urllib3",
)

#: ``name``, ``name[extra, ...]``, then a version, a URL or a marker: PEP 508's leading part.
_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?")
_OPTION = re.compile(r"(-r|--requirement|-c|--constraint|-e|--editable)(?:\s*=\s*|\s+|(?=\S))(.+)")
#: A requirement given as where to get it (a URL, a path), not by name.
_LOCATION = re.compile(r"[.~/]|[A-Za-z][A-Za-z0-9+.-]*://")
_EXTRA_MARKER = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")

#: A distribution's normalised name and the extras asked of it.
Requirement = tuple[str, frozenset[str]]


def _logical_lines(text: str) -> Iterator[str]:
    """pip's reading: ``\\`` continues a line, ``#`` after a space or at the start comments."""
    for line in re.sub(r"\\\n", "", text).splitlines():
        line = re.sub(r"(^|\s)#.*", "", line).strip()
        if line:
            yield line


def _parse(specifier: str) -> Requirement | None:
    match = _NAME.match(specifier)
    if match is None:
        return None
    extras = frozenset(normalize(e) for e in (match[2] or "").split(",") if e.strip())
    return normalize(match[1]), extras


def read_requirements(path: Path, _seen: frozenset[Path] = frozenset()) -> list[Requirement]:
    """The distributions a pip requirements file names, with ``-r`` files it includes.

    Constraints (``-c``) install nothing, options (``--index-url``, ``--hash``) name nothing;
    an editable or URL requirement counts when it says its name (``#egg=name``, a wheel's file
    name, ``name @ url``).
    """
    path = path.resolve()
    if path in _seen:
        return []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        # pip would stop here; the check goes on with what it can read, so what the missing
        # file names is warned about, which points at it.
        return []
    found: list[Requirement] = []
    for line in _logical_lines(text):
        option = _OPTION.fullmatch(line)
        if option is not None:
            flag, value = option[1], option[2].strip()
            if flag in ("-r", "--requirement"):
                found += read_requirements(path.parent / value, _seen | {path})
            elif flag in ("-e", "--editable"):
                found += _named_location(value)
            continue
        if line.startswith("-"):
            continue
        if _LOCATION.match(line) or "#egg=" in line:
            found += _named_location(line)
            continue
        requirement = _parse(line)
        if requirement is not None:
            found.append(requirement)
    return found


def _named_location(location: str) -> list[Requirement]:
    egg = re.search(r"#egg=([^&\s]+)", location)
    if egg:
        requirement = _parse(egg[1])
        return [requirement] if requirement else []
    file = location.rstrip("/").rsplit("/", 1)[-1]
    if file.endswith(".whl"):
        return [(normalize(file.split("-", 1)[0]), frozenset())]
    return []


def _distribution(name: str) -> importlib.metadata.Distribution | None:
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _requires(
    distribution: importlib.metadata.Distribution, extras: frozenset[str]
) -> Iterator[Requirement]:
    """What installing ``distribution`` with ``extras`` installs too. Environment markers other
    than ``extra`` are not evaluated (the standard library cannot): a dependency for another
    Python counts as listed, which can only spare a warning, never cause one."""
    for line in distribution.requires or ():
        specifier, _, marker = line.partition(";")
        wanted = {normalize(extra) for extra in _EXTRA_MARKER.findall(marker)}
        if wanted and not wanted & extras:
            continue
        requirement = _parse(specifier)
        if requirement is not None:
            yield requirement


@functools.lru_cache(maxsize=64)
def _closure(
    requirements: frozenset[Requirement], _installed: tuple[float, ...]
) -> tuple[frozenset[str], frozenset[str]]:
    """Top-level modules and normalised names of ``requirements`` and all they require, as
    installed here. ``_installed`` (the mtimes of ``sys.path``) renews the cache after a
    ``pip install``."""
    asked: dict[str, set[str]] = {}
    pending = list(requirements)
    modules: set[str] = set()
    while pending:
        name, extras = pending.pop()
        seen = asked.get(name)
        if seen is not None and extras <= seen:
            continue
        asked.setdefault(name, set()).update(extras)
        distribution = _distribution(name)
        if distribution is None:
            continue
        if seen is None:
            modules |= top_level_names(distribution.read_text)
        pending.extend(_requires(distribution, frozenset(asked[name])))
    return frozenset(modules), frozenset(asked)


def _installed_stamp() -> tuple[float, ...]:
    stamps = []
    for entry in sys.path:
        try:
            stamps.append(os.stat(entry or ".").st_mtime)
        except OSError:
            stamps.append(0.0)
    return tuple(stamps)


def provided_modules(requirements: list[Requirement]) -> tuple[frozenset[str], frozenset[str]]:
    """The top-level modules and distributions that the runtime and ``requirements`` give."""
    runtime = {(name, frozenset[str]()) for name in RUNTIME_DISTRIBUTIONS}
    return _closure(frozenset(runtime | set(requirements)), _installed_stamp())


#: SAM's ``BuildMethod`` that hands the build to a Makefile: no requirements file is read.
MAKEFILE = "makefile"

#: Handlers the emulator brings itself (``lambgate serve APP``): lambgate is its glue, there.
_EMULATOR_HANDLERS = "lambgate.local."


def imports_checked(config: FunctionConfig, manifest: Path | None) -> bool:
    """Whether what ships is known: a Makefile-built function needs a ``--manifest``."""
    return manifest is not None or config.build_method != MAKEFILE


def import_policy(
    config: FunctionConfig, *, manifest: Path | None = None, isolated: bool = False
) -> dict[str, Any] | None:
    """The document :func:`.worker.import_check.install` reads for ``config``'s workers;
    ``None`` when what ships is unknown: a Makefile builds the function, and no ``--manifest``
    says what it installs."""
    if not imports_checked(config, manifest):
        return None
    if manifest is not None:
        files = [manifest]
        label: str | None = f"{manifest} (--manifest)"
    else:
        default = config.code_uri / REQUIREMENTS_FILE
        files = [default] if default.is_file() else []
        label = REQUIREMENTS_FILE if files else None
    files += config.layer_requirements
    requirements = [found for file in files for found in read_requirements(file)]
    modules, distributions = provided_modules(requirements)
    glue = ["lambgate"] if config.handler.startswith(_EMULATOR_HANDLERS) else []
    return {
        "function": config.name,
        "isolated": isolated,
        "modules": sorted(modules),
        "distributions": sorted(distributions),
        "glue": glue,
        "requirements": label,
    }
