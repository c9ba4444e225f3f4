"""Waiting for processes to end, with a bound: tests stop what they start by PID."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

__all__ = ["process_gone", "still_alive"]


def process_gone(pid: int) -> bool:
    """Gone, or a zombie (which runs no code and holds no memory)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def still_alive(pids: Iterable[int], timeout: float = 5.0) -> set[int]:
    """PIDs still alive after at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if not process_gone(pid)}
        time.sleep(0.02)
    return alive
