"""Which changed files reload, file by file: uvicorn's rules (``FileFilter`` in
``uvicorn/supervisors/watchfilesreload.py``), plus virtualenvs and build output never."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambgate.local.cli.reload_filter import ReloadFilter


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "static").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("include", "exclude", "path", "reloads"),
    [
        ((), (), "app.py", True),
        ((), (), "pkg/sub/models.py", True),
        # What an app writes, and what editors and tools leave around.
        ((), (), "app.log", False),
        ((), (), "db.sqlite3", False),
        ((), (), "uploads/photo.png", False),
        ((), (), "pkg/models.pyc", False),
        ((), (), ".app.py.swp", False),
        ((), (), "~app.py", False),
        ((), (), ".hidden.py", False),
        # Folders that are never code: caches, version control, virtualenvs, sam build.
        ((), (), "__pycache__/app.py", False),
        ((), (), ".git/hooks/pre-commit.py", False),
        ((), (), ".venv/lib/python3.11/site-packages/x.py", False),
        ((), (), "env/lib/python3.11/site-packages/x.py", False),
        ((), (), ".aws-sam/build/Fn/app.py", False),
        ((), (), ".mypy_cache/app.py", False),
        # --reload-include adds globs, matched from the right of the path.
        (("*.html",), (), "templates/index.html", True),
        (("templates/*.html",), (), "templates/index.html", True),
        (("templates/*.html",), (), "static/index.html", False),
        # A default named in the other list leaves its own.
        ((), ("*.py",), "app.py", False),
        ((".*",), (), ".hidden.py", True),
        # An include the path ends with wins over the excludes (uvicorn: `.env`).
        ((".env",), (), ".env", True),
        # --reload-exclude: a glob, or a folder (here: static/, which exists).
        ((), ("test_*.py",), "test_app.py", False),
        ((), ("test_*.py",), "app.py", True),
        ((), ("static",), "static/gen.py", False),
        # Never code, whatever is included.
        ((".*",), (), ".git/x.py", False),
        (("*.cfg",), (), "env/pyvenv.cfg", False),
    ],
)
def test_a_change_reloads_as_under_uvicorn(
    project: Path, include: tuple[str, ...], exclude: tuple[str, ...], path: str, reloads: bool
) -> None:
    rules = ReloadFilter.from_globs(include, exclude, roots=[project])
    assert rules.is_code(project / path, project) is reloads


def test_the_globs_are_uvicorns_defaults_adjusted_by_the_flags(project: Path) -> None:
    assert ReloadFilter.from_globs() == ReloadFilter(
        includes=("*.py",), excludes=(".*", ".py[cod]", ".sw.*", "~*")
    )
    assert ReloadFilter.from_globs(["*.html", ".*"], ["*.py", "static"], roots=[project]) == (
        ReloadFilter(
            includes=("*.html", ".*"),
            excludes=(".py[cod]", ".sw.*", "~*", "*.py"),
            exclude_dirs=((project / "static").resolve(),),
        )
    )
