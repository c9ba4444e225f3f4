"""How the emulator runs a function's workers beyond what its template says: the import check,
``--isolated``, the terminal ``breakpoint()`` debugs on, and ``--debug-port``.

They reach the worker as ``_LAMBGATE_*`` variables (:func:`worker_variables`), which lambgate's
runtime client reads and removes before the function's code runs
(:func:`.worker.bootstrap.apply_worker_options`); another runtime client ignores them.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from .function import FunctionConfig
from .import_policy import import_policy
from .worker.bootstrap import DEBUG_PORT_VARIABLE, IMPORTS_VARIABLE, TERMINAL_VARIABLE

__all__ = [
    "DEBUG_TIMEOUT_S",
    "WorkerOptions",
    "as_debugged",
    "terminal",
    "worker_variables",
]

#: A debugged function's timeout: ``sam local`` gives 10 hours, "so the container doesn't
#: unexpectedly stop while debugging function code" (samcli ``local_lambda.py``).
DEBUG_TIMEOUT_S = 36000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    """One function's worker settings, the same for each of its execution environments."""

    #: ``--isolated``: imports that would fail on AWS fail here too (:mod:`.import_policy`).
    isolated: bool = False
    #: ``--manifest``: the requirements file in place of CodeUri's ``requirements.txt``.
    manifest: Path | None = None
    #: The terminal ``breakpoint()`` debugs on (:func:`terminal`); ``None``: it
    #: says there is none and continues.
    terminal: str | None = None
    #: ``--debug-port``: debugpy waits there for a client at each cold start. The function then
    #: runs one environment at a time (a second could not listen on the port) and untimed.
    debug_port: int | None = None


def as_debugged(config: FunctionConfig) -> FunctionConfig:
    """``config`` under ``--debug-port``: one environment, which alone can listen on the port
    (later invocations queue for it, as ``sam local`` serves one request at a time when
    debugging), with ``sam local``'s debugging timeout, which is what the function sees."""
    return replace(config, timeout=DEBUG_TIMEOUT_S, max_concurrency=1)


def worker_variables(config: FunctionConfig, options: WorkerOptions) -> dict[str, str]:
    """The ``_LAMBGATE_*`` variables of a worker of ``config``."""
    variables = {}
    policy = import_policy(config, manifest=options.manifest, isolated=options.isolated)
    if policy is not None:
        if options.debug_port is not None:
            # Imported before the check and lazily after it: the emulator's, not the function's.
            policy["modules"].append("debugpy")
        variables[IMPORTS_VARIABLE] = json.dumps(policy)
    if options.terminal is not None:
        variables[TERMINAL_VARIABLE] = options.terminal
    if options.debug_port is not None:
        variables[DEBUG_PORT_VARIABLE] = str(options.debug_port)
    return variables


def terminal() -> str | None:
    """The path of the terminal the emulator runs in: that of its stdin, or else of its stdout
    or stderr (``lambgate invoke --event -`` reads a pipe), if any is a terminal.

    Workers run in sessions of their own, with no controlling terminal, so ``breakpoint()``
    opens this one by its path (``/dev/tty`` would name the worker's own, which it has not).
    """
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            if os.isatty(fd):
                return os.ttyname(fd)
    return None
