"""What ``lambgate serve`` tells the developer: one access-log line per request, and why a
request failed, in plain words.

Colour only when the stream is a terminal (and ``NO_COLOR`` is unset, https://no-color.org),
so logs piped to a file or captured by a test stay plain text.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TextIO

__all__ = ["AccessLog", "wants_color"]

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
_MAGENTA = "\x1b[35m"

#: Colour of a status by its class: 2xx green, 3xx cyan, 4xx yellow, 5xx red.
_STATUS_COLORS = {2: _GREEN, 3: _CYAN, 4: _YELLOW, 5: _RED}


def wants_color(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that should get colours."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class AccessLog:
    """Writes whole lines to ``stream``; safe to share between fronts and threads."""

    def __init__(self, stream: TextIO, *, color: bool | None = None) -> None:
        self.stream = stream
        self.color = wants_color(stream) if color is None else color
        self._lock = threading.Lock()

    def paint(self, text: str, *codes: str) -> str:
        if not self.color or not codes:
            return text
        return "".join(codes) + text + _RESET

    def write(self, line: str) -> None:
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def request(
        self,
        *,
        method: str,
        target: str,
        status: int,
        duration_ms: float,
        function: str | None,
        cold: bool | None,
    ) -> None:
        """``12:00:01 GET /items?a=1 200 12.3 ms HelloFunction cold``.

        ``function`` is ``None`` when the gateway answered on its own (no route); ``cold`` is
        ``None`` when no invocation finished (the gateway stopped waiting).
        """
        stamp = time.strftime("%H:%M:%S")
        status_color = _STATUS_COLORS.get(status // 100, "")
        parts = [
            self.paint(stamp, _DIM),
            self.paint(method, _BOLD),
            target,
            self.paint(str(status), status_color),
            f"{duration_ms:.1f} ms",
            self.paint(function or "-", _CYAN) if function else "-",
        ]
        if cold is not None:
            parts.append(self.paint("cold", _MAGENTA) if cold else "warm")
        self.write(" ".join(parts))

    def explain(self, message: str) -> None:
        """Why the client got an error the function did not send, as AWS would log it."""
        self.write(self.paint(f"lambgate: {message}", _YELLOW))

    def function_line(self, function: str, line: str) -> None:
        """A line the function printed, or Lambda's ``REPORT``; ``START`` and ``END`` say
        nothing the access-log line does not, and are left out."""
        if line.startswith(("START RequestId", "END RequestId")):
            return
        report = line.startswith("REPORT RequestId")
        self.write(self.paint(f"[{function}] {line}", _DIM) if report else f"[{function}] {line}")
