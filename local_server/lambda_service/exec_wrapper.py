"""``AWS_LAMBDA_EXEC_WRAPPER``: a wrapper script that starts the runtime, as Lambda runs it.

"Lambda starts the runtime with the wrapper script": the script receives the interpreter's
path and the runtime's arguments, and runs them, changed or not
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html#runtime-wrapper). An
environment whose function sets the variable runs the wrapper with its own runtime command
after it, so a wrapper that only adds interpreter options works as in Lambda, and lambgate's
streaming wrapper (``lambgate/streaming/exec-wrapper``) starts the streaming runtime.

The path is the one Lambda sees: ``/var/task/...`` is the function's ``CodeUri``. A function
whose code does not ship lambgate gets the installed lambgate's wrapper, as its imports of
lambgate get the installed package.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from .function import FunctionConfig

__all__ = [
    "EXEC_WRAPPER_VARIABLE",
    "LAMBGATE_WRAPPER",
    "WrapperError",
    "resolve_wrapper",
    "wrapped_command",
]

EXEC_WRAPPER_VARIABLE = "AWS_LAMBDA_EXEC_WRAPPER"
#: Where Lambda puts the function's code (``LAMBDA_TASK_ROOT``).
TASK_ROOT = PurePosixPath("/var/task")
#: lambgate's streaming wrapper, relative to the package root as it ships in a Lambda zip.
LAMBGATE_WRAPPER = PurePosixPath("lambgate/streaming/exec-wrapper")


class WrapperError(ValueError):
    """``AWS_LAMBDA_EXEC_WRAPPER`` names no executable file the emulator can run."""


def resolve_wrapper(config: FunctionConfig) -> Path | None:
    """The local file the function's wrapper is, or ``None`` when it sets none."""
    value = config.variables.get(EXEC_WRAPPER_VARIABLE)
    if not value:
        return None
    given = PurePosixPath(value)
    if given.is_relative_to(TASK_ROOT):
        inside = given.relative_to(TASK_ROOT)
        local = config.code_uri / inside
        if not local.exists() and inside == LAMBGATE_WRAPPER:
            local = _lambgate_wrapper()
    else:
        local = Path(value)
    if not local.is_file():
        raise WrapperError(
            f"{EXEC_WRAPPER_VARIABLE}={value} names no file here ({local}); /var/task is the "
            "function's CodeUri"
        )
    if not os.access(local, os.X_OK):
        raise WrapperError(f"{EXEC_WRAPPER_VARIABLE}={value}: {local} is not executable")
    return local


def wrapped_command(config: FunctionConfig, command: Sequence[str]) -> list[str]:
    """``command`` as Lambda runs it: behind the function's wrapper, if it sets one."""
    wrapper = resolve_wrapper(config)
    return [str(wrapper), *command] if wrapper is not None else list(command)


def _lambgate_wrapper() -> Path:
    """The installed lambgate's wrapper."""
    import lambgate

    return Path(lambgate.__file__).resolve().parent / "streaming" / "exec-wrapper"
