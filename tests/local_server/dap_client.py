"""A minimal Debug Adapter Protocol client: what VS Code says to debugpy when it attaches.

DAP messages are JSON bodies after a ``Content-Length`` header
(https://microsoft.github.io/debug-adapter-protocol/overview#base-protocol); this client speaks
just enough of it over TCP to attach, set breakpoints, and continue from a stop.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

__all__ = ["DapClient"]


class DapClient:
    """One connection to a debug adapter, each wait bounded by ``timeout`` seconds."""

    def __init__(self, port: int, *, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.timeout = timeout
        self.buffer = b""
        self.seq = 0
        #: Every event and response received so far, in order.
        self.received: list[dict[str, Any]] = []

    def send(self, command: str, **arguments: Any) -> int:
        self.seq += 1
        body = json.dumps(
            {"seq": self.seq, "type": "request", "command": command, "arguments": arguments}
        ).encode()
        self.socket.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.seq

    def _read_message(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.startswith(b"Content")
        )
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        message: dict[str, Any] = json.loads(body)
        self.received.append(message)
        return message

    def _fill(self) -> None:
        chunk = self.socket.recv(65536)
        if not chunk:
            raise ConnectionError("the debug adapter closed the connection")
        self.buffer += chunk

    def wait_for(self, kind: str, name: str) -> dict[str, Any]:
        """The next ``event`` named ``name``, or the ``response`` to command ``name``."""
        key = "event" if kind == "event" else "command"
        for message in self.received:
            if message["type"] == kind and message.get(key) == name:
                self.received.remove(message)
                return message
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = self._read_message()
            if message["type"] == kind and message.get(key) == name:
                self.received.remove(message)
                return message
        raise TimeoutError(f"no {kind} {name} within {self.timeout} s")

    def attach(self, breakpoints: dict[str, list[int]] | None = None) -> None:
        """initialize, attach, the breakpoints, configurationDone: then the debuggee runs."""
        self.send(
            "initialize",
            clientID="lambgate-tests",
            adapterID="debugpy",
            linesStartAt1=True,
            columnsStartAt1=True,
            pathFormat="path",
        )
        self.wait_for("response", "initialize")
        self.send("attach", justMyCode=False)
        self.wait_for("event", "initialized")
        for path, lines in (breakpoints or {}).items():
            self.send(
                "setBreakpoints",
                source={"path": path},
                breakpoints=[{"line": line} for line in lines],
            )
            self.wait_for("response", "setBreakpoints")
        self.send("configurationDone")
        self.wait_for("response", "configurationDone")

    def close(self) -> None:
        self.socket.close()
