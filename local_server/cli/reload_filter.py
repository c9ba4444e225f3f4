"""Which changed files ``lambgate serve --reload`` reloads for: uvicorn's globs, minus
virtualenvs and build output.

An app writes in its own folder all the time (a log, a SQLite database, an upload); reloading
on those makes every request a cold start. So, as ``uvicorn --reload`` with watchfiles does
(``uvicorn/supervisors/watchfilesreload.py``, ``FileFilter``, and ``--reload-include`` /
``--reload-exclude`` in uvicorn's settings page):

- included: ``*.py`` and each ``--reload-include`` glob; excluded: ``.*``, ``.py[cod]``,
  ``.sw.*``, ``~*`` and each ``--reload-exclude`` glob;
- a default named in the other list leaves its own (``--reload-exclude '*.py'`` drops
  ``*.py``; ``--reload-include '.*'`` drops ``.*``);
- a glob matches the path from the right (:meth:`pathlib.PurePath.match`: ``*.html`` anywhere,
  ``templates/*.html`` in any folder named ``templates``), and an included path that ends with
  the include itself (``--reload-include .env``) is included whatever the excludes say;
- an exclude that names an existing folder (from the current folder, as uvicorn reads it, or
  from a code folder) excludes everything under it.

And what uvicorn misses: ``.*`` excludes hidden folders as well as hidden files, and nothing
under ``.git``, ``__pycache__``, ``.aws-sam`` (``sam build``'s copies of the code) or a
virtualenv (any folder holding ``pyvenv.cfg``, ``.venv`` or ``venv`` alike) is ever code, so
``pip install`` into a project's ``venv/`` reloads nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_EXCLUDES", "DEFAULT_INCLUDES", "ReloadFilter"]

#: uvicorn's defaults.
DEFAULT_INCLUDES = ("*.py",)
DEFAULT_EXCLUDES = (".*", ".py[cod]", ".sw.*", "~*")
#: Folders whose files are never the function's code, whatever the globs say.
NEVER_CODE = frozenset({".git", ".hg", ".svn", "__pycache__", ".aws-sam"})
#: The file that makes a folder a virtualenv (https://docs.python.org/3/library/venv.html).
VENV_MARKER = "pyvenv.cfg"
_HIDDEN = ".*"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReloadFilter:
    """The reload rules; :meth:`is_code` applies them to one changed file."""

    includes: tuple[str, ...] = DEFAULT_INCLUDES
    excludes: tuple[str, ...] = DEFAULT_EXCLUDES
    #: Folders excluded whole (``--reload-exclude`` naming an existing folder), absolute.
    exclude_dirs: tuple[Path, ...] = ()

    @classmethod
    def from_globs(
        cls, include: Iterable[str] = (), exclude: Iterable[str] = (), *, roots: Iterable[Path] = ()
    ) -> ReloadFilter:
        """The rules for ``--reload-include`` and ``--reload-exclude`` values, with folder
        names in ``exclude`` looked up from the current folder and from each of ``roots``."""
        include, exclude = list(dict.fromkeys(include)), list(dict.fromkeys(exclude))
        includes = [glob for glob in DEFAULT_INCLUDES if glob not in exclude]
        includes += [glob for glob in include if glob not in exclude and glob not in includes]
        excludes = [glob for glob in DEFAULT_EXCLUDES if glob not in include]
        folders: list[Path] = []
        for glob in exclude:
            found = [base / glob for base in (Path.cwd(), *roots) if (base / glob).is_dir()]
            if found:
                folders += [folder.resolve() for folder in found]
            elif glob not in excludes:
                excludes.append(glob)
        return cls(
            includes=tuple(includes),
            excludes=tuple(excludes),
            exclude_dirs=tuple(dict.fromkeys(folders)),
        )

    def is_code(self, path: Path, root: Path) -> bool:
        """Whether a change to ``path`` (absolute, under the code folder ``root``) reloads."""
        folders = path.relative_to(root).parts[:-1]
        if NEVER_CODE.intersection(folders):
            return False
        for include in self.includes:
            if not path.match(include):
                continue
            if not str(path).endswith(include) and self._excluded(path, folders):
                return False
            return not _in_virtualenv(path.parent, root)
        return False

    def _excluded(self, path: Path, folders: tuple[str, ...]) -> bool:
        if any(folder in path.parents for folder in self.exclude_dirs):
            return True
        if any(path.match(exclude) for exclude in self.excludes):
            return True
        return _HIDDEN in self.excludes and any(folder.startswith(".") for folder in folders)


def _in_virtualenv(folder: Path, root: Path) -> bool:
    """Whether ``folder`` is in a virtualenv at or below ``root``."""
    while True:
        if (folder / VENV_MARKER).is_file():
            return True
        if folder == root or folder.parent == folder:
            return False
        folder = folder.parent
