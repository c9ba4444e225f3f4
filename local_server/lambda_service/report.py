"""What an invocation reports once it ends: its outcome and the numbers of its ``REPORT`` line.

Duration, billed duration and Max Memory Used are what CloudWatch shows for every invocation
(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .function import FunctionError

__all__ = ["Outcome", "milliseconds", "peak_memory_mb", "report_line"]


def peak_memory_mb(pid: int) -> int | None:
    """The worker's peak resident memory (``VmHWM``), which Lambda reports as Max Memory Used."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return math.ceil(int(line.split()[1]) / 1024)
    except (OSError, ValueError):
        return None
    return None


def milliseconds(seconds: float) -> float:
    return round(seconds * 1000, 2)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an invocation ended, before the numbers are attached."""

    payload: bytes
    function_error: FunctionError | None
    end: float
    status: str | None = None  # ``timeout`` / ``error`` in the REPORT line


def report_line(
    *,
    request_id: str,
    duration_ms: float,
    billed_ms: int,
    memory_size: int,
    max_memory_mb: int,
    init_duration_ms: float | None,
    status: str | None,
) -> str:
    """The ``REPORT`` line, tab-separated and tab-terminated as Lambda writes it."""
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed_ms} ms",
        f"Memory Size: {memory_size} MB",
        f"Max Memory Used: {max_memory_mb} MB",
    ]
    if init_duration_ms is not None:
        fields.append(f"Init Duration: {init_duration_ms:.2f} ms")
    if status is not None:
        fields.append(f"Status: {status}")
    return "\t".join(fields) + "\t"
