"""How the benchmarks time contenders and print what they found.

Every number is read against a peer timed in the same run: absolute times depend on the
machine, ratios between two things measured side by side hardly do.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Row", "best_of", "format_details", "format_table"]


@dataclass(frozen=True)
class Row:
    """One line of the combined table: ``ours`` and ``peer`` are in µs (or ms, see ``unit``)."""

    case: str
    ours: float
    peer: float
    peer_name: str
    #: The largest acceptable ``ours / peer``; or, with ``target_is_added``, ``ours - peer``;
    #: ``None`` for a row shown for reference only.
    target: float | None
    target_is_added: bool = False
    unit: str = "µs/event"
    note: str = ""
    #: ``(what, µs)`` pairs that explain the difference, printed under the table.
    details: tuple[tuple[str, float], ...] = ()

    @property
    def ratio(self) -> float:
        return self.ours / self.peer

    @property
    def passed(self) -> bool:
        if self.target is None:
            return True
        if self.target_is_added:
            return self.ours - self.peer <= self.target
        return self.ratio <= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "-"
        if self.target_is_added:
            return f"+{self.target:g}"
        return f"<={self.target:g}x"

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        return "pass" if self.passed else "FAIL"


def best_of(
    contenders: dict[str, Callable[[], object]], repeats: int, min_loop_s: float
) -> dict[str, float]:
    """Seconds per call of each contender: the best of ``repeats`` timeit loops.

    Each loop runs long enough (``min_loop_s``) for timer resolution not to matter; repeats
    alternate between contenders so that a noisy moment hits all of them alike. The minimum is
    the estimate least disturbed by the rest of the machine (timeit's own advice).
    """
    timers = {name: timeit.Timer(fn) for name, fn in contenders.items()}
    loops = {}
    for name, timer in timers.items():
        timer.timeit(200)  # warm-up: caches, lazy imports, the event loop's first task
        number, _ = timer.autorange()
        elapsed = timer.timeit(number)
        loops[name] = max(1, int(number * min_loop_s / max(elapsed, 1e-9)))
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(repeats):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(loops[name]) / loops[name])
    return best


def format_table(rows: list[Row]) -> str:
    header = (
        f"{'case':<42} {'lambgate':>12} {'peer':>12} {'':<10} {'ratio':>7} {'target':>8}  result"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.case:<42} {row.ours:>12.2f} {row.peer:>12.2f} {row.peer_name:<10} "
            f"{row.ratio:>6.3f}x {row.target_text:>8}  "
            f"{row.verdict}" + (f"  ({row.unit}; {row.note})" if row.note else f"  ({row.unit})")
        )
    return "\n".join(lines)


def format_details(rows: list[Row]) -> str:
    """What each row's difference is made of, for the rows that measured it."""
    lines = []
    for row in rows:
        if row.details:
            lines.append(f"\n{row.case}: lambgate - {row.peer_name} = {row.note}, made of:")
            lines.extend(f"  {label:<48} {value:+10.1f} µs" for label, value in row.details)
    return "\n".join(lines)
