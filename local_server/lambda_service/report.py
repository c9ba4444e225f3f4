"""What an invocation reports once it ends: its outcome and the numbers of its ``REPORT`` line.

Duration, billed duration and Max Memory Used are what CloudWatch shows for every invocation
(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from .function import FunctionError

__all__ = ["Outcome", "PeakMemory", "milliseconds", "report_line"]


class PeakMemory:
    """The worker's peak resident memory (``VmHWM``), which Lambda reports as Max Memory Used.

    Read at every invocation, so ``/proc/PID/status`` stays open: the kernel writes it afresh
    for each read from its start, one system call instead of three.
    """

    def __init__(self, pid: int) -> None:
        try:
            self._fd: int | None = os.open(f"/proc/{pid}/status", os.O_RDONLY)
        except OSError:
            self._fd = None  # no /proc (not Linux), or the worker is already gone

    def megabytes(self) -> int | None:
        if self._fd is None:
            return None
        try:
            status = os.pread(self._fd, 8192, 0)
        except OSError:
            return None
        start = status.find(b"VmHWM:")
        if start < 0:
            return None
        kilobytes = status[start + 6 : status.find(b"kB", start)]
        return math.ceil(int(kilobytes) / 1024)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def milliseconds(seconds: float) -> float:
    return round(seconds * 1000, 2)


@dataclass(slots=True)
class Outcome:
    """How an invocation ended, before the numbers are attached (treated as immutable; not
    ``frozen``, for the cost, as :class:`~.function.InvocationResult`)."""

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
