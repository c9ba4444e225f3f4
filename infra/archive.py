"""Write a deployment zip whose bytes depend only on the files' paths and contents.

The same inputs give the same sha256, so Terraform's ``source_code_hash`` and Lambda's
``CodeSha256`` change only when the code does, and an unchanged re-deploy is a no-op.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .progress import ProgressBar

__all__ = ["ArchiveEntry", "FIXED_TIMESTAMP", "directory_names", "write_archive"]

# The earliest time a zip header can hold; any fixed value makes the archive reproducible.
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
# Lambda needs files world-readable (o+r) and directories world-searchable (o+x):
# https://docs.aws.amazon.com/lambda/latest/dg/python-package.html . Executables (a bundled
# binary, a script run with subprocess) keep an execute bit for everyone; only whether there
# was one is kept, so the builder's umask does not change the zip.
FILE_MODE = 0o100644
EXECUTABLE_MODE = 0o100755
DIRECTORY_MODE = 0o040755
# Unix "made by" so that extractors honour the mode bits above.
CREATE_SYSTEM_UNIX = 3
MSDOS_DIRECTORY_FLAG = 0x10


@dataclass(frozen=True, kw_only=True)
class ArchiveEntry:
    """One file of the package: where it goes in the zip, where it comes from, who owns it."""

    archive_path: str
    file: Path
    size: int
    group: str
    executable: bool = False


def directory_names(paths: Iterable[str]) -> set[str]:
    """Every parent directory of ``paths``, as ``a/``, ``a/b/``: the zip's directory entries."""
    names: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            names.add("/".join(parts[:depth]) + "/")
    return names


def _info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIMESTAMP)
    info.create_system = CREATE_SYSTEM_UNIX
    info.external_attr = mode << 16
    if name.endswith("/"):
        info.external_attr |= MSDOS_DIRECTORY_FLAG
    else:
        info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_archive(
    entries: Iterable[ArchiveEntry], output: Path, *, progress: ProgressBar | None = None
) -> str:
    """Write ``entries`` in sorted order to ``output`` atomically; return its sha256 (hex).

    Directory entries are written explicitly, with mode 755, so the tree Lambda extracts is
    searchable whatever the builder's umask was.
    """
    ordered = sorted(entries, key=lambda entry: entry.archive_path)
    members: list[tuple[str, ArchiveEntry | None]] = [
        (entry.archive_path, entry) for entry in ordered
    ]
    members += [(name, None) for name in directory_names(name for name, _ in members)]
    members.sort(key=lambda member: member[0])
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".lambgate-", suffix=".zip", dir=output.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compresslevel=9) as archive:
            for name, entry in members:
                if entry is None:
                    archive.writestr(_info(name, DIRECTORY_MODE), b"")
                    continue
                with (
                    entry.file.open("rb") as source,
                    archive.open(
                        _info(name, EXECUTABLE_MODE if entry.executable else FILE_MODE), "w"
                    ) as target,
                ):
                    while chunk := source.read(1 << 20):
                        target.write(chunk)
                if progress is not None:
                    progress.advance()
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    digest = hashlib.sha256()
    with output.open("rb") as written:
        while chunk := written.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
