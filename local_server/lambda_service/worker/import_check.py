"""Imports that work here and fail on AWS, seen in the worker as they happen.

In Lambda a function imports from its deployment package (``/var/task``), its layers, the
standard library and what the Python runtime ships: "the AWS SDK for Python (Boto3) and its
dependencies" (https://docs.aws.amazon.com/lambda/latest/dg/python-package.html). Locally, the
worker's ``sys.path`` also holds the developer's virtualenv, so a package nobody listed imports
fine here and fails there with ``No module named ...``. The emulator sends the worker an import
policy (``_LAMBGATE_IMPORTS``: the top-level modules the runtime and the function's
requirements provide; its own code and its layers are what ``PYTHONPATH`` puts first on
``sys.path``), and
:func:`install` puts one finder on ``sys.meta_path``:

- by default, :class:`ImportWatch` comes first and writes one warning line for each top-level
  module the function's own code imports from neither place;
- with ``--isolated``, ``sys.path`` keeps only the roots and the standard library, and
  :class:`ProvidedPackages`, last, gives access to the provided packages alone, so any other
  import raises ``ModuleNotFoundError`` as on AWS.

A finder is asked only for a module not yet in ``sys.modules``: once an environment is warm,
importing costs what it always did. Imports made by third-party packages are theirs (an optional
``try: import ujson`` of a listed package is not the function's mistake); the function's own
modules, the standard library acting for it, the runtime client loading the handler and, for
``lambgate serve APP``, lambgate's glue count as the function.

Standard library only, and loaded by ``bootstrap.py`` from its file, so that it imports nothing of
lambgate; the emulator imports it as a module for :func:`top_level_names` and :func:`normalize`.
"""

from __future__ import annotations

import csv
import importlib.machinery
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import Distribution

__all__ = [
    "ImportWatch",
    "ProvidedPackages",
    "install",
    "normalize",
    "top_level_names",
]

#: How a warning starts, in the worker's log that the emulator shows.
WARNING = "lambgate: warning:"


def normalize(name: str) -> str:
    """A distribution's name as PEP 503 compares them: ``PyYAML``, ``pyyaml`` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_names(read_text: Callable[[str], str | None]) -> set[str]:
    """The top-level modules an installed distribution provides, from the files of its
    ``.dist-info`` that ``read_text`` reads: its ``top_level.txt`` when it has one (setuptools
    writes it), else the first parts of the paths in its ``RECORD``."""
    declared = read_text("top_level.txt")
    if declared:
        return {line.strip() for line in declared.splitlines() if line.strip()}
    names = set()
    for row in csv.reader((read_text("RECORD") or "").splitlines()):
        parts = row[0].split("/") if row else [""]
        first = parts[0]
        if first in ("..", "__pycache__") or first.endswith((".dist-info", ".egg-info", ".data")):
            continue
        if len(parts) == 1:
            if not first.endswith((".py", ".so", ".pyd")):
                continue
            first = first.partition(".")[0]
        if first.isidentifier():
            names.add(first)
    return names


def _reader(folder: str) -> Callable[[str], str | None]:
    def read_text(name: str) -> str | None:
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as file:
                return file.read()
        except OSError:
            return None

    return read_text


class Policy:
    """What the emulator says the function may import, read from ``_LAMBGATE_IMPORTS``."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.function: str = document["function"]
        self.isolated: bool = document["isolated"]
        #: The function's own code: CodeUri, the template's PYTHONPATH and its layers, which
        #: the emulator put first on ``sys.path`` through ``PYTHONPATH``, as Lambda puts
        #: ``/var/task`` and ``/opt/python``.
        pythonpath = os.environ.get("PYTHONPATH", "").split(os.pathsep)
        self.roots: list[str] = [os.path.abspath(entry) for entry in pythonpath if entry]
        #: Top-level modules the runtime and the requirements provide.
        self.modules: frozenset[str] = frozenset(document["modules"])
        #: Their distributions, normalised, for ``importlib.metadata`` under ``--isolated``.
        self.distributions: frozenset[str] = frozenset(document["distributions"])
        #: Packages the emulator provides to run the function (lambgate for ``serve APP``):
        #: imports they make are the function's.
        self.glue: frozenset[str] = frozenset(document["glue"])
        #: How the warning names the requirements: ``requirements.txt``, or ``None`` if none.
        self.requirements: str | None = document["requirements"]


class Classifier:
    """Whose an import is, and what the warning says about it."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.provided = policy.modules | policy.glue
        self.reported: set[str] = set()
        #: ``sys.path`` as the interpreter set it up, before ``--isolated`` narrows it.
        self.full_path = list(sys.path)

    def is_provided(self, name: str, spec: ModuleSpec) -> bool:
        """Whether top-level ``name`` is there on AWS too: standard library (by name, or by
        place: ``_sysconfigdata_*``), runtime, requirements, or the function's own roots."""
        if name in self.provided or name in sys.stdlib_module_names:
            return True
        entry = _path_entry(_location(spec), self.full_path)
        if entry is not None and standard_library_path(entry):
            return True
        return PathFinder.find_spec(name, self.policy.roots) is not None

    def imported_by_the_function(self) -> bool:
        """Whether the code running the import statement is the function's (see the module's
        docstring), found by walking out of the import machinery's own frames."""
        frame: FrameType | None = sys._getframe(1)
        top = ""
        while frame is not None:
            name = frame.f_globals.get("__name__") or ""
            top = name.partition(".")[0]
            internal = frame.f_code.co_filename.startswith("<frozen importlib")
            if not (internal or top == "importlib" or name == __name__):
                break
            frame = frame.f_back
        if frame is None or top == "__main__" or top in self.policy.glue:
            return True
        if top in sys.stdlib_module_names:
            return True
        return PathFinder.find_spec(top, self.policy.roots) is not None

    def report(self, name: str, spec: ModuleSpec) -> None:
        """One line, once per module and environment, naming the module and the function."""
        if name in self.reported:
            return
        self.reported.add(name)
        policy = self.policy
        distribution = distribution_of(name, spec, self.full_path)
        installed = f"{name} ({distribution}, installed here)" if distribution else name
        requirements = (
            f"named by {policy.requirements}, directly or as a dependency"
            if policy.requirements
            else "named by a requirements.txt (its CodeUri has none)"
        )
        if policy.isolated:
            line = (
                f"lambgate: --isolated: {policy.function} cannot import {installed}: it is "
                f"neither in its CodeUri nor {requirements}, so it is missing on AWS too"
            )
        else:
            line = (
                f"{WARNING} {policy.function} imports {installed}, which is neither in its "
                f"CodeUri nor {requirements}: on AWS this import fails with "
                "ModuleNotFoundError (--isolated fails it here too)"
            )
        print(line, file=sys.stderr, flush=True)


def _location(spec: ModuleSpec) -> str | None:
    """Where a module's file (or a namespace package's first folder) is; ``None`` if nowhere."""
    if spec.has_location and spec.origin:
        return spec.origin
    return next(iter(spec.submodule_search_locations or ()), None)


def _path_entry(location: str | None, path: list[str]) -> str | None:
    """The ``sys.path`` entry ``location`` was found under (the deepest that holds it)."""
    entries = [entry for entry in path if entry and location and _under(location, entry)]
    return max(entries, key=len) if entries else None


def distribution_of(name: str, spec: ModuleSpec, path: list[str]) -> str | None:
    """The installed distribution providing top-level module ``name``, for the warning to say
    what to list (``yaml`` comes from ``PyYAML``): looked up only when there is a warning, in
    the ``.dist-info`` folders beside the module, by reading them (``importlib.metadata`` would
    cost more to import than the lookup)."""
    found_in = _path_entry(_location(spec), path)
    if found_in is None:
        return None
    with os.scandir(found_in) as entries:
        folders = [entry.path for entry in entries if entry.name.endswith(".dist-info")]
    # Cheapest first: the one named as the module (httpx), those declaring their top levels.
    folders.sort(
        key=lambda folder: (
            normalize(os.path.basename(folder).partition("-")[0]) != normalize(name),
            not os.path.exists(os.path.join(folder, "top_level.txt")),
        )
    )
    for folder in folders:
        read_text = _reader(folder)
        if name in top_level_names(read_text):
            metadata = read_text("METADATA") or ""
            found = re.search(r"^Name:\s*(\S+)", metadata, re.MULTILINE)
            return found[1] if found else None
    return None


def _under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def _find_elsewhere(
    finders: Iterable[Any], name: str, path: Sequence[str] | None, target: ModuleType | None
) -> ModuleSpec | None:
    for finder in finders:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        spec: ModuleSpec | None = find_spec(name, path, target)
        if spec is not None:
            return spec
    return None


class ImportWatch(MetaPathFinder):
    """First on ``sys.meta_path``: finds each new top-level module through the finders after
    it, and warns when the function imports one AWS would not have."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.checked: set[str] = set()

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if path is not None or fullname in self.checked:
            return None
        self.checked.add(fullname)
        classifier = self.classifier
        if fullname in classifier.provided or fullname in sys.stdlib_module_names:
            return None
        others = [finder for finder in sys.meta_path if finder is not self]
        spec = _find_elsewhere(others, fullname, None, target)
        if spec is None or classifier.is_provided(fullname, spec):
            return spec
        if classifier.imported_by_the_function():
            classifier.report(fullname, spec)
        return spec


class ProvidedPackages(MetaPathFinder):
    """Last on ``sys.meta_path`` under ``--isolated``: the provided packages, found where they
    are installed, and nothing else; each other module the function asks for and would find
    here is said once, as it fails."""

    def __init__(self, classifier: Classifier, path: list[str], finders: list[Any]) -> None:
        self.classifier = classifier
        #: The ``sys.path`` and the other finders the interpreter started with.
        self.path = path
        self.finders = finders

    def _find(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> ModuleSpec | None:
        if path is None:
            spec = PathFinder.find_spec(fullname, self.path, target)
            if spec is not None:
                return spec
        return _find_elsewhere(self.finders, fullname, path, target)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        top = fullname.partition(".")[0]
        classifier = self.classifier
        if top in classifier.provided:
            return self._find(fullname, path, target)
        if (
            path is None
            and top not in classifier.reported
            and classifier.imported_by_the_function()
        ):
            spec = self._find(fullname, None, target)
            if spec is not None:
                classifier.report(fullname, spec)
        return None

    def find_distributions(self, context: Any = None) -> Iterator[Distribution]:
        """The provided packages' metadata (``importlib.metadata.version("boto3")``)."""
        from importlib.metadata import DistributionFinder, MetadataPathFinder

        name = getattr(context, "name", None)
        allowed = self.classifier.policy.distributions
        if name is not None and normalize(name) not in allowed:
            return iter(())
        found = MetadataPathFinder.find_distributions(
            DistributionFinder.Context(name=name, path=self.path)
        )
        return (dist for dist in found if normalize(dist.metadata["Name"] or "") in allowed)


#: The finders every interpreter starts with; under ``--isolated`` only these stay.
STANDARD_FINDERS = (
    importlib.machinery.BuiltinImporter,
    importlib.machinery.FrozenImporter,
    PathFinder,
)


def standard_library_path(entry: str) -> bool:
    """Whether a ``sys.path`` entry is the standard library's (not a site-packages)."""
    bases = {sys.base_prefix, sys.base_exec_prefix}
    parts = entry.split(os.sep)
    return (
        any(entry == base or _under(entry, base) for base in bases)
        and "site-packages" not in parts
        and "dist-packages" not in parts
    )


def install(document: dict[str, Any]) -> None:
    """Put the check in place before the handler is imported (see the module's docstring)."""
    classifier = Classifier(Policy(document))
    if not classifier.policy.isolated:
        sys.meta_path.insert(0, ImportWatch(classifier))
        return
    roots = classifier.policy.roots
    others = [finder for finder in sys.meta_path if finder not in STANDARD_FINDERS]
    sys.path[:] = [entry for entry in sys.path if entry in roots or standard_library_path(entry)]
    sys.meta_path[:] = [finder for finder in sys.meta_path if finder in STANDARD_FINDERS]
    sys.meta_path.append(ProvidedPackages(classifier, classifier.full_path, others))
