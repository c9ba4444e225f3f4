"""A command run in a real pseudo-terminal, as a developer runs it in theirs.

The pty is the command's stdin, stdout and stderr and its controlling terminal (the child
starts a session and takes it, as a login shell does). Tests type into it and read what it
shows, every wait bounded; :meth:`Terminal.stop` ends the command by its process group.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import subprocess
import termios
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["Terminal"]

#: SGR colour codes the access log paints with on a terminal.
_COLOURS = re.compile(rb"\x1b\[[0-9;]*m")


def _take_terminal() -> None:
    """In the child, after ``setsid``: the pty on stdin becomes its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    def __init__(self, command: Sequence[str], *, cwd: Path) -> None:
        self.master, slave = pty.openpty()
        try:
            self.process = subprocess.Popen(
                list(command),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_take_terminal,
            )
        finally:
            os.close(slave)
        self.screen = b""

    @property
    def text(self) -> str:
        """All the terminal showed so far, colours removed, line ends as written."""
        return _COLOURS.sub(b"", self.screen).decode("utf-8", "replace").replace("\r\n", "\n")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: every process holding the pty is gone
            return False
        self.screen += chunk
        return bool(chunk)

    def expect(self, pattern: str, *, after: int = 0, timeout: float = 30.0) -> re.Match[str]:
        """Wait until ``pattern`` (a regular expression) shows after offset ``after``."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.compile(pattern).search(self.text, after)
            if match is not None:
                return match
            if time.monotonic() > deadline or not self._read(0.1):
                raise AssertionError(f"{pattern!r} not shown within {timeout} s:\n{self.text}")

    def type(self, line: str) -> int:
        """Type ``line`` and Enter; returns where the screen was, to expect what follows."""
        mark = len(self.text)
        os.write(self.master, line.encode() + b"\n")
        return mark

    def wait(self, timeout: float = 30.0) -> int:
        """The command's exit status, reading the screen until it exits."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        status = self.process.wait(max(deadline - time.monotonic(), 0.1))
        while self._read(0.05):
            if not select.select([self.master], [], [], 0)[0]:
                break
        return status

    def interrupt(self) -> None:
        """Ctrl-C, as the terminal sends it: SIGINT to the command."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGINT)

    def children(self) -> set[int]:
        """The command's child processes (an emulator's workers) alive now."""
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rpartition(")")[2].split()
                if int(fields[1]) == self.process.pid:
                    found.add(int(stat.parent.name))
        return found

    def stop(self) -> None:
        """Ctrl-C, then (if that did not end it) SIGKILL to its process group; close the pty."""
        if self.process.poll() is None:
            self.interrupt()
            try:
                self.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        os.close(self.master)
