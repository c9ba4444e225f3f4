"""A one-line progress bar on stderr, with no dependency.

Drawn only on a terminal: in CI logs a carriage-return bar turns into hundreds of lines.
"""

from __future__ import annotations

from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Counts steps towards ``total`` and redraws only when the shown percentage changes."""

    def __init__(self, label: str, total: int, *, stream: TextIO | None, width: int = 30) -> None:
        self.label = label
        self.total = max(total, 0)
        self.stream = stream
        self.width = width
        self.done = 0
        self._shown = -1

    def advance(self, steps: int = 1) -> None:
        self.done = min(self.done + steps, self.total)
        self._draw()

    def finish(self) -> None:
        self.done = self.total
        self._draw()
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self) -> None:
        if self.stream is None:
            return
        percent = 100 if self.total == 0 else self.done * 100 // self.total
        if percent == self._shown:
            return
        self._shown = percent
        filled = self.width * percent // 100
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% {self.done}/{self.total}")
        self.stream.flush()
