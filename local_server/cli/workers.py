"""The flags that set how each function's workers run, for ``serve`` and ``invoke``.

``--isolated`` and ``--manifest``: what the import check compares against. Each is checked
here, before anything starts, and a mistake is one line.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from lambgate.local.lambda_service.function import FunctionConfig
from lambgate.local.lambda_service.import_policy import imports_checked
from lambgate.local.lambda_service.worker_options import WorkerOptions
from lambgate.local.template.specs import TemplateError

__all__ = ["add_worker_arguments", "banner_lines", "worker_options"]


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="make imports that would fail on AWS fail here too: a function finds only its "
        "CodeUri, the standard library, boto3 and its dependencies, and its requirements",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        metavar="FILE",
        help="the requirements file imports are checked against, in place of each CodeUri's "
        "requirements.txt (as sam build --manifest)",
    )


def worker_options(
    functions: Mapping[str, FunctionConfig],
    *,
    isolated: bool = False,
    manifest: Path | None = None,
) -> dict[str, WorkerOptions]:
    """Each function's :class:`WorkerOptions`; raises :class:`TemplateError` on a bad flag."""
    if manifest is not None and not manifest.is_file():
        raise TemplateError("--manifest", f"{manifest} is not a file")
    return {name: WorkerOptions(isolated=isolated, manifest=manifest) for name in functions}


def banner_lines(
    functions: Mapping[str, FunctionConfig], options: Mapping[str, WorkerOptions]
) -> list[str]:
    """What the start-up banner says about isolation and the import check."""
    lines = []
    unchecked = [
        name
        for name, config in functions.items()
        if not imports_checked(config, options[name].manifest)
    ]
    if unchecked:
        lines.append(
            f"  imports not checked for {', '.join(unchecked)}: a Makefile builds them "
            "(BuildMethod: makefile); --manifest FILE names what it installs"
        )
    if any(option.isolated for option in options.values()):
        lines.append(
            "  --isolated: functions import only from their CodeUri, the standard library, "
            "boto3 and its dependencies, and their requirements, as on AWS"
        )
    return lines
