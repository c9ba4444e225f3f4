"""``lambgate package``: build the zip that Lambda runs an app from.

The zip holds the app's source, the part of lambgate that runs in Lambda (the ``lambgate``
package, so that ``Handler: lambgate.lambda_handler`` and ``from lambgate import make_handler``
resolve; not the emulator ``lambgate.local`` nor this deploy code ``lambgate.deploy``, unless
asked for) and the app's requirements resolved by pip for the Lambda runtime and architecture.
What the runtime already provides (the AWS SDK) is left out, the archive is reproducible byte
for byte, and Lambda's size quotas are checked before anything is uploaded.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .archive import ArchiveEntry, write_archive
from .dependencies import (
    ARCHITECTURES,
    PYTHON_VERSIONS,
    DependencyError,
    InstalledDistribution,
    install_requirements,
)
from .progress import ProgressBar

__all__ = [
    "LAMBDA_UNZIPPED_LIMIT",
    "LAMBDA_ZIPPED_LIMIT",
    "PACKAGE_DATA",
    "PackageError",
    "PackageOptions",
    "PackageResult",
    "PackageTooLarge",
    "add_arguments",
    "build_package",
    "run",
]

# "Deployment package (.zip file archive) size: 50 MB (zipped, when uploaded through the
# Lambda API or SDKs) ... 250 MB (unzipped)", and the unzipped figure counts layers too:
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html . Lambda's own error
# names the byte count: "Unzipped size must be smaller than 262144000 bytes".
LAMBDA_ZIPPED_LIMIT = 50 * 1024 * 1024
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024

# Byte code: Lambda compiles on import, and a .pyc is for the interpreter that wrote it.
CACHES = ("__pycache__", "*.pyc", "*.pyo")
# Left out of the app's source, at any depth, as files or directories: what
# aws-lambda-builders (`sam build`) leaves out (VCS data, caches, virtual environments, editor
# settings, coverage data, packaging metadata; its PythonPipWorkflow.EXCLUDED_FILES, less
# "*.so", which an app may need), secrets in .env files, other tools' build output, and
# earlier zips, which would otherwise be packed into the next one. Tests and docs ship unless
# left out with --exclude.
SOURCE_EXCLUDES = (
    *CACHES,
    ".git",
    ".gitignore",
    ".hg",
    ".svn",
    ".env",
    ".env.*",
    ".venv",
    "venv",
    "env",
    "ENV",
    "venv.bak",
    "env.bak",
    ".Python",
    ".python-version",
    "*.egg-info",
    "*.egg",
    "pip-log.txt",
    "pip-delete-this-directory.txt",
    ".coverage",
    ".coverage.*",
    "htmlcov",
    ".cache",
    ".pytest_cache",
    ".mypy_cache",
    ".dmypy.json",
    ".pyre",
    ".ruff_cache",
    ".hypothesis",
    ".tox",
    ".nox",
    ".idea",
    ".vscode",
    ".DS_Store",
    ".aws-sam",
    ".chalice",
    ".terraform",
    "node_modules",
    "*.zip",
)
# Left out only at the source's root: the usual place of build output (`--output dist/...`).
SOURCE_ROOT_EXCLUDES = frozenset({"dist"})
#: lambgate's subpackages that never run in Lambda: the emulator and the deploy code.
LAMBGATE_TOOLS = ("local", "deploy")
#: The files besides modules that the wheel installs in lambgate, by their path in the zip
#: (pyproject's ``[tool.setuptools.package-data]``, which ``tests/infra/test_package.py``
#: holds this to): the streaming runtime's wrapper script must be in a Lambda package for
#: ``AWS_LAMBDA_EXEC_WRAPPER`` to name it, and the inspector's page in a whole one.
PACKAGE_DATA = frozenset(
    {
        "lambgate/py.typed",
        "lambgate/streaming/exec-wrapper",
        "lambgate/local/inspector/static/page.html",
        "lambgate/local/inspector/static/page.css",
        "lambgate/local/inspector/static/page.js",
    }
)


class PackageError(Exception):
    """The package cannot be built as asked; the message says why and what to do."""


class PackageTooLarge(PackageError):
    """The package is past one of Lambda's deployment package quotas."""


@dataclass(frozen=True, kw_only=True)
class PackageOptions:
    source: Path
    output: Path
    requirements: Path | None = None
    python_version: str = "3.12"
    architecture: str = "x86_64"
    include_sdk: bool = False
    whole_lambgate: bool = False
    exclude: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    zipped_limit: int = LAMBDA_ZIPPED_LIMIT
    unzipped_limit: int = LAMBDA_UNZIPPED_LIMIT


@dataclass(frozen=True, kw_only=True)
class GroupSize:
    name: str
    size: int
    files: int


@dataclass(frozen=True, kw_only=True)
class PackageResult:
    output: Path
    sha256: str
    zipped_size: int
    unzipped_size: int
    groups: list[GroupSize] = field(default_factory=list)

    @property
    def code_sha256(self) -> str:
        """The digest as Lambda's ``CodeSha256`` and Terraform's ``filebase64sha256`` show it."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode("ascii")


def _excluded(relative: str, name: str, patterns: Sequence[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(relative, pattern)
        for pattern in patterns
    )


def _walk_error(error: OSError) -> None:
    raise PackageError(f"cannot read {error.filename}: {error.strerror}") from error


def _walk(
    root: Path, *, skip: set[Path], patterns: Sequence[str], root_patterns: frozenset[str]
) -> Iterator[tuple[str, Path]]:
    """Files under ``root`` as (zip path, file), leaving out virtual environments and what
    ``patterns`` match (by name or by path from ``root``).

    Symbolic links are followed, as zip -r and sam build do: a directory linked into the app
    is part of it. A link to a directory that contains it would recurse forever, so it is an
    error naming the link.
    """
    # For each directory walked, the real directories it sits in, itself included.
    real_chain = {str(root): frozenset({root.resolve()})}
    for directory, subdirectories, files in os.walk(root, onerror=_walk_error, followlinks=True):
        here = Path(directory)
        chain = real_chain.pop(directory)
        kept = []
        for name in sorted(subdirectories):
            relative = (here / name).relative_to(root).as_posix()
            if (
                relative in root_patterns
                or (here / name / "pyvenv.cfg").exists()
                or _excluded(relative, name, patterns)
            ):
                continue
            real = (here / name).resolve()
            if real in chain:
                raise PackageError(
                    f"{here / name} links to {real}, a directory it is inside of, so the source "
                    f"would never end; remove the link or leave it out with --exclude {relative}"
                )
            real_chain[os.path.join(directory, name)] = chain | {real}
            kept.append(name)
        subdirectories[:] = kept
        for name in sorted(files):
            file = here / name
            relative = file.relative_to(root).as_posix()
            if relative in root_patterns or _excluded(relative, name, patterns):
                continue
            if file.resolve() in skip:
                continue
            yield relative, file


def _package_root(name: str) -> Path:
    """Where the installed package ``name`` lives. Asked of the import system, not derived from
    ``lambgate``'s folder: in an editable install ``lambgate.local`` is another folder."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, name
    return Path(spec.origin).resolve().parent


def _entry(relative: str, file: Path, group: str) -> ArchiveEntry:
    try:
        status = file.stat()
    except OSError as error:
        if file.is_symlink():
            raise PackageError(
                f"{file} is a symbolic link to {os.readlink(file)}, which does not exist; "
                f"remove it or leave it out with --exclude {relative}"
            ) from error
        raise PackageError(f"cannot read {file}: {error.strerror}") from error
    return ArchiveEntry(
        archive_path=relative,
        file=file,
        size=status.st_size,
        group=group,
        executable=bool(status.st_mode & 0o111),
    )


def source_entries(options: PackageOptions) -> list[ArchiveEntry]:
    skip = {options.output.resolve()}
    if options.requirements is not None:
        skip.add(options.requirements.resolve())
    walk = _walk(
        options.source,
        skip=skip,
        patterns=(*SOURCE_EXCLUDES, *options.exclude),
        root_patterns=SOURCE_ROOT_EXCLUDES,
    )
    return [
        _entry(relative, file, relative.split("/", 1)[0] + ("/" if "/" in relative else ""))
        for relative, file in walk
    ]


def lambgate_entries(*, whole: bool) -> list[ArchiveEntry]:
    """lambgate as it is installed here: the ``lambgate`` package, and with ``whole`` also its
    command line, emulator and deploy code (a wheel install keeps those inside the package, an
    editable one in other folders)."""
    roots = {"lambgate": _package_root("lambgate")}
    left_out = frozenset(LAMBGATE_TOOLS)
    if whole:
        roots |= {f"lambgate/{name}": _package_root(f"lambgate.{name}") for name in LAMBGATE_TOOLS}
    else:
        left_out |= {"__main__.py"}  # python -m lambgate: the command line, lambgate.local's
    return [
        _entry(f"{prefix}/{relative}", file, "lambgate")
        for prefix, root in roots.items()
        for relative, file in _walk(
            root,
            skip=set(),
            patterns=CACHES,
            root_patterns=left_out if prefix == "lambgate" else frozenset(),
        )
        if f"{prefix}/{relative}" in PACKAGE_DATA or _is_package_module(relative, file)
    ]


def _is_package_module(relative: str, file: Path) -> bool:
    """Whether the wheel installs ``file`` as a module: a ``.py`` file in folders that are
    packages. An editable install's folders hold more (``infra/`` keeps the Terraform module,
    and a user's state and providers beside it), none of which is lambgate's code; its data
    files are :data:`PACKAGE_DATA`."""
    return file.suffix == ".py" and all(
        (file.parents[depth] / "__init__.py").is_file() for depth in range(relative.count("/") + 1)
    )


def is_lambgate_tool(archive_path: str) -> bool:
    """Whether a zip path is lambgate's command line, emulator or deploy code."""
    return archive_path == "lambgate/__main__.py" or archive_path.startswith(
        tuple(f"lambgate/{name}/" for name in LAMBGATE_TOOLS)
    )


def dependency_entries(
    target: Path, distributions: list[InstalledDistribution]
) -> list[ArchiveEntry]:
    """What pip installed, all of it but byte code: a dependency's own ``env/`` or ``*.zip``
    data is part of it, unlike the app's."""
    owner = {path: dist.name for dist in distributions for path in dist.files}
    walk = _walk(target, skip=set(), patterns=CACHES, root_patterns=frozenset())
    return [
        _entry(relative, file, owner.get(relative, relative.split("/", 1)[0]))
        for relative, file in walk
    ]


def merge_entries(*layers: list[ArchiveEntry]) -> list[ArchiveEntry]:
    """One entry per zip path; the same path from two layers must hold the same bytes.

    That is the case when an app vendors lambgate itself: its ``lambgate/`` equals ours. Two
    different files for one path would make the function import whichever came last.
    """
    merged: dict[str, ArchiveEntry] = {}
    for layer in layers:
        for entry in layer:
            earlier = merged.get(entry.archive_path)
            if earlier is None:
                merged[entry.archive_path] = entry
            elif earlier.file.read_bytes() != entry.file.read_bytes():
                raise PackageError(
                    f"{entry.archive_path} comes from both {earlier.file} ({earlier.group}) "
                    f"and {entry.file} ({entry.group}) with different contents; rename one or "
                    f"exclude it with --exclude"
                )
    return list(merged.values())


def group_sizes(entries: list[ArchiveEntry]) -> list[GroupSize]:
    totals: dict[str, list[int]] = {}
    for entry in entries:
        size_and_count = totals.setdefault(entry.group, [0, 0])
        size_and_count[0] += entry.size
        size_and_count[1] += 1
    return sorted(
        (GroupSize(name=name, size=size, files=count) for name, (size, count) in totals.items()),
        key=lambda group: (-group.size, group.name),
    )


def human_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _check_unzipped(entries: list[ArchiveEntry], limit: int) -> None:
    unzipped = sum(entry.size for entry in entries)
    if unzipped <= limit:
        return
    largest = ", ".join(f"{g.name} {human_size(g.size)}" for g in group_sizes(entries)[:5])
    raise PackageTooLarge(
        f"the package is {human_size(unzipped)} ({unzipped} bytes) unzipped, past Lambda's "
        f"limit of {human_size(limit)} ({limit} bytes) for a .zip package, whether uploaded "
        f"directly or from S3. Largest parts: {largest}. Move large dependencies to a layer "
        f"(the limit counts layers too) or deploy a container image (up to 10 GB)."
    )


def build_package(options: PackageOptions, *, log: TextIO | None = None) -> PackageResult:
    """Build the zip; ``log`` (stderr in the CLI) gets what is happening and a progress bar."""
    if not options.source.is_dir():
        raise PackageError(f"--source {options.source} is not a directory")
    if options.requirements is not None and not options.requirements.is_file():
        raise PackageError(f"--requirements {options.requirements} does not exist")
    if options.python_version not in PYTHON_VERSIONS:
        raise PackageError(f"Lambda has no Python {options.python_version} runtime")
    if options.architecture not in ARCHITECTURES:
        raise PackageError(f"Lambda has no {options.architecture} architecture")
    for location in options.find_links:
        # pip runs in the source directory (see build below), where a relative path points.
        if not _is_url(location) and not (options.source / location).exists():
            raise PackageError(f"--find-links {location} does not exist")

    with tempfile.TemporaryDirectory(prefix="lambgate-package-") as build:
        layers = []
        if options.requirements is not None:
            if log is not None:
                log.write(
                    f"resolving {options.requirements} with pip for python{options.python_version}"
                    f" on {options.architecture}\n"
                )
            target = Path(build) / "dependencies"
            try:
                distributions = install_requirements(
                    options.requirements.resolve(),
                    target,
                    python_version=options.python_version,
                    architecture=options.architecture,
                    keep_runtime_provided=options.include_sdk,
                    find_links=options.find_links,
                    no_index=options.no_index,
                    cwd=options.source,
                )
            except DependencyError as error:
                raise PackageError(str(error)) from error
            layers.append(dependency_entries(target, distributions))
        layers.append(source_entries(options))
        if not any(
            entry.archive_path == "lambgate/__init__.py" for layer in layers for entry in layer
        ):
            # Neither the requirements nor the source bring lambgate: the one running ships.
            layers.append(lambgate_entries(whole=options.whole_lambgate))
        if not options.whole_lambgate:
            # Also from a lambgate the requirements name, or one installed into the source
            # (pip install -t .): pip installs it whole.
            layers = [
                [entry for entry in layer if not is_lambgate_tool(entry.archive_path)]
                for layer in layers
            ]
        if log is not None:
            log.write(
                "lambgate: shipped whole (lambgate.local and lambgate.deploy included)\n"
                if options.whole_lambgate
                else "lambgate: the part that runs in Lambda only (lambgate.local and "
                "lambgate.deploy left out; --whole-lambgate ships them)\n"
            )
        entries = merge_entries(*layers)
        _check_unzipped(entries, options.unzipped_limit)
        progress = ProgressBar(
            "zipping", len(entries), stream=log if log is not None and log.isatty() else None
        )
        sha256 = write_archive(entries, options.output, progress=progress)
        progress.finish()

    zipped = options.output.stat().st_size
    result = PackageResult(
        output=options.output,
        sha256=sha256,
        zipped_size=zipped,
        unzipped_size=sum(entry.size for entry in entries),
        groups=group_sizes(entries),
    )
    if zipped > options.zipped_limit:
        raise PackageTooLarge(
            f"{options.output} is {human_size(zipped)} ({zipped} bytes) zipped, past Lambda's "
            f"limit of {human_size(options.zipped_limit)} ({options.zipped_limit} bytes) for a "
            f"zip uploaded directly. The file is kept: upload it to S3 and point the function "
            f"at it (CreateFunction Code.S3Bucket/S3Key, Terraform s3_bucket, SAM CodeUri)."
        )
    return result


def format_report(result: PackageResult, *, top: int, unzipped_limit: int) -> str:
    lines = [
        f"wrote {result.output}",
        f"  sha256      {result.sha256}",
        f"  CodeSha256  {result.code_sha256}",
        f"  zipped      {human_size(result.zipped_size)}",
        f"  unzipped    {human_size(result.unzipped_size)} "
        f"({result.unzipped_size * 100 // unzipped_limit}% of Lambda's "
        f"{human_size(unzipped_limit)})",
        f"largest parts (unzipped, top {top}):",
    ]
    width = max((len(group.name) for group in result.groups[:top]), default=0)
    for group in result.groups[:top]:
        lines.append(f"  {group.name:<{width}}  {human_size(group.size):>9}  {group.files} files")
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", type=Path, default=Path("."), help="app source directory")
    parser.add_argument(
        "--requirements",
        type=Path,
        default=None,
        help="requirements file to resolve for Lambda (default: SOURCE/requirements.txt if any)",
    )
    parser.add_argument(
        "--output", "-o", type=Path, default=Path("lambda.zip"), help="zip to write"
    )
    parser.add_argument(
        "--python",
        dest="python_version",
        choices=sorted(PYTHON_VERSIONS),
        default="3.12",
        help="Lambda Python runtime version (default 3.12)",
    )
    parser.add_argument(
        "--arch",
        dest="architecture",
        choices=sorted(ARCHITECTURES),
        default="x86_64",
        help="Lambda architecture (default x86_64)",
    )
    parser.add_argument(
        "--include-sdk",
        action="store_true",
        help="bundle boto3/botocore/s3transfer instead of using the runtime's copy",
    )
    parser.add_argument(
        "--whole-lambgate",
        action="store_true",
        help="also ship lambgate's emulator and deploy code (lambgate.local, lambgate.deploy), "
        "which never run in Lambda",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out source files or directories matching GLOB (repeatable)",
    )
    parser.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="URL|DIR",
        help="passed to pip: also look for wheels here (repeatable)",
    )
    parser.add_argument("--no-index", action="store_true", help="passed to pip: no package index")
    parser.add_argument(
        "--top", type=int, default=10, metavar="N", help="parts shown in the size report"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only errors")


def _is_url(location: str) -> bool:
    return "://" in location


def _from_here(location: str) -> str:
    """A --find-links path from the command line names a directory from where the command
    runs; pip runs in --source (so that paths in the requirements file work from there), so
    it gets the absolute path."""
    return location if _is_url(location) else os.path.abspath(location)


def run(args: argparse.Namespace) -> int:
    requirements = args.requirements
    if requirements is None and (args.source / "requirements.txt").is_file():
        requirements = args.source / "requirements.txt"
    options = PackageOptions(
        source=args.source,
        output=args.output,
        requirements=requirements,
        python_version=args.python_version,
        architecture=args.architecture,
        include_sdk=args.include_sdk,
        whole_lambgate=args.whole_lambgate,
        exclude=tuple(args.exclude),
        find_links=tuple(_from_here(location) for location in args.find_links),
        no_index=args.no_index,
    )
    try:
        result = build_package(options, log=None if args.quiet else sys.stderr)
    except PackageError as error:
        sys.stderr.write(f"lambgate package: error: {error}\n")
        return 1
    if not args.quiet:
        sys.stdout.write(format_report(result, top=args.top, unzipped_limit=options.unzipped_limit))
    return 0
