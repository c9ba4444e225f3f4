"""The emulator's layout holds: five parts that import each other in one direction only.

``local_server/`` (``lambgate.local``) is one subpackage per part of the picture, and a part
may import only the parts below it::

    cli             the command line: puts the other parts together
    gateway         API Gateway, ALB and function URLs around a function    } neither imports
    inspector       the page that shows what the gateway and the functions did } the other
    lambda_service  execution environments, the Runtime API, the Invoke API
    template        SAM and CloudFormation, read into specs     } the bottom: neither imports
    front           the asyncio HTTP/1.1 server                  } the other, nor any part

These tests read the source with :mod:`ast`, so an import that breaks the order fails here
before it can make a cycle, and the architecture cannot rot one convenient import at a time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "local_server"
PACKAGE = "lambgate.local"
#: Where each folder is installed (pyproject.toml's package-dir).
INSTALLED_AS = {"handler": "lambgate", "local_server": PACKAGE, "infra": "lambgate.deploy"}

#: Each part, and its level: a module may import its own part and parts of a lower level.
LEVELS = {
    "front": 0,
    "template": 0,
    "lambda_service": 1,
    "gateway": 2,
    "inspector": 2,
    "cli": 3,
}


def module_name(path: Path) -> str:
    """``local_server/gateway/answers.py`` is ``lambgate.local.gateway.answers``."""
    folder, *parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((INSTALLED_AS[folder], *parts))


def modules(folder: Path = EMULATOR) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def imported_modules(path: Path, name: str) -> Iterator[tuple[int, str]]:
    """``(line, absolute module name)`` of every import in ``path``, wherever it stands (in a
    function, under ``TYPE_CHECKING``): relative imports resolved against ``name``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                base = node.module
            else:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            if node.module is None:  # ``from . import serve``: each name is a module
                for alias in node.names:
                    yield node.lineno, f"{base}.{alias.name}"
            else:
                yield node.lineno, base


def part_of(module: str) -> str | None:
    """The part a module of the emulator belongs to; ``None`` outside ``lambgate.local``."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    rest = module.removeprefix(PACKAGE).lstrip(".")
    return rest.partition(".")[0] or PACKAGE


def test_every_module_belongs_to_a_known_part() -> None:
    """No module sits beside the parts, and a new part must be given its place in LEVELS."""
    loose = [path.name for path in EMULATOR.glob("*.py") if path.name != "__init__.py"]
    assert loose == [], "modules outside any part"
    folders = {
        path.name
        for path in EMULATOR.iterdir()
        if path.is_dir() and path.name != "__pycache__" and any(path.glob("*.py"))
    }
    assert folders == set(LEVELS)


def test_parts_import_each_other_in_one_direction_only() -> None:
    breaches = []
    for path in modules():
        name = module_name(path)
        here = part_of(name)
        if here not in LEVELS:
            continue  # lambgate.local's own __init__, which imports nothing (tested below)
        for line, target in imported_modules(path, name):
            there = part_of(target)
            if there is None or there == here:
                continue
            if there not in LEVELS or LEVELS[there] >= LEVELS[here]:
                breaches.append(f"{path.relative_to(ROOT)}:{line}: {here} imports {target}")
    assert breaches == [], "\n".join(breaches)


def test_nothing_outside_the_cli_imports_it() -> None:
    """Only the entry points reach the command line: ``python -m lambgate`` and the console
    script (``pyproject.toml``). Nothing else of lambgate's Lambda side or of the deploy code
    imports the emulator at all, so ``import lambgate`` stays cheap and standard-library only."""
    entry_point = (ROOT / "handler" / "__main__.py", f"{PACKAGE}.cli.main")
    breaches = []
    for folder in ("local_server", "handler", "infra"):
        for path in modules(ROOT / folder):
            name = module_name(path)
            for line, target in imported_modules(path, name):
                there = part_of(target)
                if there is None or (path, target) == entry_point:
                    continue
                if folder != "local_server" or (there == "cli" and part_of(name) != "cli"):
                    breaches.append(f"{path.relative_to(ROOT)}:{line}: imports {target}")
    assert breaches == [], "\n".join(breaches)


@pytest.mark.parametrize(
    "init", sorted(EMULATOR.rglob("__init__.py")), ids=lambda path: module_name(path)
)
def test_each_part_says_what_it_owns_and_imports_nothing(init: Path) -> None:
    """One docstring paragraph and nothing else: no re-export, and no import a worker would pay
    for when it imports ``lambda_service.worker.app_handler``."""
    tree = ast.parse(init.read_text(encoding="utf-8"))
    docstring = ast.get_docstring(tree)
    assert docstring, f"{init.relative_to(ROOT)} says nothing about what its part owns"
    assert "\n\n" not in docstring.strip(), "one paragraph"
    assert len(tree.body) == 1, f"{init.relative_to(ROOT)} holds more than its docstring"


@pytest.mark.parametrize("path", modules(), ids=lambda path: module_name(path))
def test_every_public_name_is_defined_where_it_is_exported(path: Path) -> None:
    """No re-export facades: each name in ``__all__`` is defined by its own module, so a reader
    (and an import) finds it where it lives."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined: set[str] = set()
    exported: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    defined.add(target.id)
                    if target.id == "__all__":
                        assert isinstance(node.value, ast.List | ast.Tuple)
                        exported = [ast.literal_eval(item) for item in node.value.elts]
    assert [name for name in exported if name not in defined] == []


def test_the_worker_imports_nothing_of_the_emulator() -> None:
    """What runs inside an execution environment's process imports no part of the emulator;
    ``bootstrap`` imports nothing of lambgate at all, so the function's own modules come first."""
    worker = EMULATOR / "lambda_service" / "worker"
    for path in sorted(worker.glob("*.py")):
        targets = [target for _, target in imported_modules(path, module_name(path))]
        assert [target for target in targets if part_of(target) is not None] == []
        if path.name == "bootstrap.py":
            assert [target for target in targets if target.split(".")[0] == "lambgate"] == []
