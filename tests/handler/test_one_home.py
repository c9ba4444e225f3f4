"""Each fact the handler relies on is written in one place, and each event source module
depends on shared modules, never on another source: a reviewer found the same fact in up to
five places and sources importing each other's builders."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

HANDLER = Path(__file__).resolve().parents[2] / "handler"
SOURCES = ("apigw_rest", "apigw_http", "function_url", "alb", "edge", "vpc_lattice")


def modules() -> dict[str, str]:
    return {
        str(path.relative_to(HANDLER)): path.read_text(encoding="utf-8")
        for path in sorted(HANDLER.rglob("*.py"))
    }


def code_only(text: str) -> str:
    """``text`` without comments and docstrings: the facts the code uses, not prose."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            first.value.value = ""
    return ast.unparse(tree)


@pytest.mark.parametrize(
    ("fact", "pattern", "home"),
    [
        (
            "Lambda's 6 MB response limit",
            r"6291556|6_291_556|6 \* 1024 \* 1024",
            "lambda_limits.py",
        ),
        ("the account id", r"123456789012", "events/base.py"),
        (
            "reducing a Content-Type to its media type",
            r"partition\(';'\)\[0\]\.strip\(\)\.lower\(\)",
            "events/encoding.py",
        ),
        ("reading LAMBGATE_INTERFACE", r"'LAMBGATE_INTERFACE'", "settings.py"),
    ],
)
def test_a_fact_is_written_in_one_module(fact: str, pattern: str, home: str) -> None:
    found = [name for name, text in modules().items() if re.search(pattern, code_only(text))]

    assert found == [home], f"{fact} is in {found}"


@pytest.mark.parametrize("source", SOURCES)
def test_an_event_source_imports_no_other_source(source: str) -> None:
    tree = ast.parse((HANDLER / "events" / f"{source}.py").read_text(encoding="utf-8"))
    imported = {
        name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 1
        for name in [node.module or "", *(alias.name for alias in node.names)]
    }

    assert not imported & set(SOURCES) - {source}


def test_no_two_classes_share_a_name() -> None:
    names = [
        node.name
        for text in modules().values()
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.ClassDef)
    ]

    assert sorted(set(names)) == sorted(names)
    assert "Invocation" not in names  # the emulator's Lambda invocation has that name
