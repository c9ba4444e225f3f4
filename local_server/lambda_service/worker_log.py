"""What a worker writes, and the lines the service adds around it, as CloudWatch shows them.

A worker's stdout and stderr share one pipe, read without blocking the loop; each line goes to
the :data:`LogSink` and into the invocation's log tail, in order with the ``START``, ``END`` and
``REPORT`` lines the service writes itself
(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sys
from collections.abc import Callable

from .worker.debugger import CONTROL

__all__ = ["LOG_TAIL_BYTES", "HeldLog", "LogSink", "WorkerLog", "default_sink"]

#: ``X-Amz-Log-Type: Tail`` returns "the last 4 KB of the execution log"
#: (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
LOG_TAIL_BYTES = 4096

#: Called with each log line of every environment (the function's own output and the
#: ``START``/``END``/``REPORT`` lines the service adds), without the line break.
LogSink = Callable[[str], None]


class WorkerLog:
    """The merged stdout/stderr pipe of one worker, read as lines without blocking the loop.

    The worker prints before it posts its reply, so by the time the Runtime API sees the reply
    the lines are in the pipe: :meth:`drain` reads them then, synchronously, and each
    invocation's log holds exactly its own lines.
    """

    def __init__(self, sink: LogSink, on_control: Callable[[str], None] | None = None) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self.sink = sink
        #: Gets what follows :data:`.worker.debugger.CONTROL` in a line: the worker speaking to
        #: the emulator, which is not part of the function's log.
        self.on_control = on_control
        self.partial = b""
        self.capture = bytearray()
        self.closed = False

    def start(self) -> None:
        os.close(self.write_fd)
        asyncio.get_running_loop().add_reader(self.read_fd, self.drain)

    def drain(self) -> None:
        while not self.closed:
            try:
                chunk = os.read(self.read_fd, 65536)
            except BlockingIOError:
                return
            except OSError as error:  # pragma: no cover - the pipe broke under us
                if error.errno != errno.EINTR:
                    self.close()
                    return
                continue
            if not chunk:
                self.flush_partial()
                self.close()
                return
            *lines, self.partial = (self.partial + chunk).split(b"\n")
            for line in lines:
                self.write(line)

    def flush_partial(self) -> None:
        if self.partial:
            self.write(self.partial)
            self.partial = b""

    def write(self, line: bytes) -> None:
        if self.on_control is not None and _CONTROL in line:
            line, _, message = line.partition(_CONTROL)
            self.on_control(message.decode("utf-8", "replace"))
            if not line:
                return
        self.capture += line + b"\n"
        del self.capture[: max(len(self.capture) - LOG_TAIL_BYTES, 0)]
        self.sink(line.decode("utf-8", "replace"))

    def take(self) -> bytes:
        """The lines captured since the last call, most recent 4 KB."""
        captured = bytes(self.capture)
        self.capture.clear()
        return captured

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(ValueError, RuntimeError):
            asyncio.get_running_loop().remove_reader(self.read_fd)
        os.close(self.read_fd)


_CONTROL = CONTROL.encode()


class HeldLog:
    """A sink that holds the lines of an environment's init until told what to do with them.

    An environment started ahead of any request (``--warm-containers EAGER``, ``serve APP``)
    has its log shown once it is up, or, if it fails, only when the failure is the function's
    own code (a traceback); an ``APP`` that names no module is one line, not a log.
    """

    def __init__(self, sink: LogSink) -> None:
        self.sink = sink
        self.held: list[str] | None = []

    def __call__(self, line: str) -> None:
        if self.held is None:
            self.sink(line)
        else:
            self.held.append(line)

    def release(self) -> None:
        """Pass on what was held, and every line from now on."""
        held, self.held = self.held or [], None
        for line in held:
            self.sink(line)

    def take(self) -> list[str]:
        """What was held; nothing more is held or passed on."""
        held, self.held = self.held or [], []
        return held


def default_sink(name: str) -> LogSink:
    def write(line: str) -> None:
        print(f"[{name}] {line}", file=sys.stderr, flush=True)

    return write
