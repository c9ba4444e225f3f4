"""How the emulator runs a function's workers beyond what its template says: the import check
and ``--isolated``.

They reach the worker as ``_LAMBGATE_*`` variables (:func:`worker_variables`), which lambgate's
runtime client reads and removes before the function's code runs
(:func:`.worker.bootstrap.apply_worker_options`); another runtime client ignores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .function import FunctionConfig
from .import_policy import import_policy
from .worker.bootstrap import IMPORTS_VARIABLE

__all__ = ["WorkerOptions", "worker_variables"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    """One function's worker settings, the same for each of its execution environments."""

    #: ``--isolated``: imports that would fail on AWS fail here too (:mod:`.import_policy`).
    isolated: bool = False
    #: ``--manifest``: the requirements file in place of CodeUri's ``requirements.txt``.
    manifest: Path | None = None


def worker_variables(config: FunctionConfig, options: WorkerOptions) -> dict[str, str]:
    """The ``_LAMBGATE_*`` variables of a worker of ``config``."""
    variables = {}
    policy = import_policy(config, manifest=options.manifest, isolated=options.isolated)
    if policy is not None:
        variables[IMPORTS_VARIABLE] = json.dumps(policy)
    return variables
