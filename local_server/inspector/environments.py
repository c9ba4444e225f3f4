"""Each function's execution environments as the page shows them, read when asked.

State, invocations served and age come from the pool
(:class:`~lambgate.local.lambda_service.function_pool.FunctionRuntime`); resident memory from
``/proc/PID/status`` (``VmRSS``), read only while the page looks.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from lambgate.local.lambda_service.execution_environment import ExecutionEnvironment
from lambgate.local.lambda_service.function_pool import FunctionRuntime

from .redaction import Redactor

__all__ = ["environment_state", "environments_view", "resident_mb"]


def resident_mb(pid: int) -> float | None:
    """The worker's resident memory now, in MB; ``None`` off Linux or once it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def environment_state(environment: ExecutionEnvironment) -> str:
    """``initialising`` until the handler is imported, then ``busy`` or ``idle``."""
    if not environment.initialized:
        return "initialising"
    return "busy" if environment.busy else "idle"


def environments_view(
    runtimes: Mapping[str, FunctionRuntime], redactor: Redactor
) -> list[dict[str, Any]]:
    """Per function: its settings, its live environments, its cold starts (wall clock)."""
    now = time.time()
    functions = []
    for name, runtime in runtimes.items():
        config = runtime.config
        environments = [
            {
                "pid": environment.pid,
                "state": environment_state(environment),
                "invocations": environment.invocations,
                "rss_mb": resident_mb(environment.pid) if environment.pid else None,
                "age_s": round(now - environment.started_at, 1)
                if environment.started_at is not None
                else 0.0,
            }
            for environment in sorted(runtime.environments, key=lambda env: env.pid or 0)
            if not environment.dead
        ]
        functions.append(
            {
                "function": name,
                "handler": config.handler,
                "memory_size": config.memory_size,
                "timeout": config.timeout,
                "variables": redactor.variables(dict(config.variables)),
                "environments": environments,
                "cold_starts": list(runtime.cold_starts),
            }
        )
    return functions
