"""Debugging inside the worker: ``breakpoint()`` on the developer's terminal, or debugpy.

A worker runs in a session of its own, its stdin on ``/dev/null`` and its output in the log, so
plain pdb reads end-of-file at its first prompt and ends the invocation with ``BdbQuit``. When
the emulator runs in a terminal it passes the terminal's path, and :func:`breakpoint_hook`
(``sys.breakpointhook``, set by ``bootstrap.py``) runs pdb there instead:

- the first ``breakpoint()`` of an invocation says so to the emulator (a :data:`DEBUGGING` line
  in the log), which stops counting the function's timeout and API Gateway's integration
  timeout for that invocation: the developer takes the time they need;
- environments take turns: an exclusive ``flock`` on the terminal is held from the first prompt
  until the developer continues with no breakpoint left (``c``), quits (``q``: the invocation
  fails with ``BdbQuit``, as pdb's quit does) or the invocation ends. An environment reaching
  ``breakpoint()`` meanwhile waits for the terminal, and says so; the others serve requests;
- without a terminal, ``breakpoint()`` says so in one log line and returns.

With ``--debug-port``, :func:`wait_for_debugger` starts debugpy on 127.0.0.1 and waits for a
client before the handler is imported, so module-level code can be stepped through too, as
``sam local invoke -d`` waits; debugpy then handles ``breakpoint()`` itself.

Standard library only (debugpy is imported from the developer's environment when asked for);
``bootstrap.py`` loads it from its file on the first ``breakpoint()``, and the emulator imports
it as a module for :data:`CONTROL`.
"""

from __future__ import annotations

import contextlib
import os
import pdb
import sys
from types import FrameType
from typing import IO, Any

__all__ = ["CONTROL", "DEBUGGING", "breakpoint_hook", "end_invocation", "wait_for_debugger"]

#: Starts a line the worker writes for the emulator rather than for the log: no function
#: prints a NUL, and the emulator finds it anywhere in a line (after a partial ``print``).
CONTROL = "\x00lambgate:"
#: "This invocation is stopped at a breakpoint": its timeouts stop counting.
DEBUGGING = "debugging"


def _say(line: str) -> None:
    print(f"lambgate: {line}", file=sys.stderr, flush=True)


class TerminalPdb(pdb.Pdb):
    """pdb on the developer's terminal; gives the terminal back when the developer is done."""

    def __init__(self, owner: Session, stdin: IO[str], stdout: IO[str]) -> None:
        # The runtime client (run as __main__), the import machinery (stepping out of a
        # module's code at init) and this module are not the function's: pdb does not stop
        # in them, and stepping out of the handler ends the session.
        skip = ["__main__", "importlib", "importlib.*", __name__]
        super().__init__(stdin=stdin, stdout=stdout, skip=skip, nosigint=True)
        self.owner = owner

    def set_continue(self) -> None:
        super().set_continue()
        if not self.breaks:
            self.owner.release()

    def set_quit(self) -> None:
        super().set_quit()
        self.owner.release()


class Session:
    """One environment's turn at the terminal, from a first ``breakpoint()`` to its release."""

    def __init__(self, terminal: str) -> None:
        import fcntl

        self.fd = os.open(terminal, os.O_RDWR | os.O_NOCTTY)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _say(f"{_function()} waits for the terminal: another environment is at a breakpoint")
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        self.stdin = open(self.fd, encoding="utf-8", closefd=False)  # noqa: SIM115
        self.stdout = open(self.fd, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        self.debugger = TerminalPdb(self, self.stdin, self.stdout)
        self.released = False

    def stop(self, frame: FrameType) -> None:
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        self.stdout.write(
            f"\nlambgate: breakpoint() in {_function()} at {where}: this environment has the "
            "terminal until you continue (c); q fails the invocation\n"
        )
        self.stdout.flush()
        self.debugger.set_trace(frame)

    def release(self) -> None:
        """Give the terminal back: close it, which also drops the lock."""
        if self.released:
            return
        self.released = True
        global _session
        if _session is self:
            _session = None
        with contextlib.suppress(OSError, ValueError):
            self.stdout.flush()
        os.close(self.fd)

    def end(self) -> None:
        """The invocation is over: forget its breakpoints and the frames' trace functions,
        release. Tracing itself was stopped by :func:`end_invocation`."""
        self.debugger.clear_all_breaks()
        frame: FrameType | None = sys._getframe()
        while frame is not None:
            frame.f_trace = None
            frame = frame.f_back
        self.release()


_session: Session | None = None


def _function() -> str:
    return os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "the function")


def breakpoint_hook(terminal: str | None, frame: FrameType, *_: Any, **__: Any) -> None:
    """``breakpoint()`` in the function: pdb on ``terminal`` (see the module's docstring)."""
    global _session
    if not terminal:
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        _say(
            f"breakpoint() at {where} skipped: lambgate runs without a terminal "
            "(run it in one, or attach a debugger with --debug-port)"
        )
        return
    if _session is None:
        print(CONTROL + DEBUGGING, file=sys.stderr, flush=True)
        try:
            _session = Session(terminal)
        except OSError as error:
            _say(f"breakpoint() skipped: cannot open the terminal {terminal}: {error.strerror}")
            return
    _session.stop(frame)


def end_invocation() -> None:
    """Called by the runtime client after each invocation, once this module is loaded."""
    if _session is not None:
        # First: pdb may be stepping, and would stop in the cleanup's own calls.
        sys.settrace(None)
        _session.end()


def wait_for_debugger(port: int) -> None:
    """``--debug-port``: debugpy listens on 127.0.0.1:``port``; wait for a client to attach."""
    # pydevd's warning that frozen standard-library modules may miss breakpoints: the
    # function's code, the one debugged, is never frozen.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    import debugpy

    try:
        # In process: no adapter daemon (debugpy's own would setsid away from the worker and
        # outlive it, holding the port), so the port is freed the moment the environment ends.
        debugpy.listen(("127.0.0.1", port), in_process_debug_adapter=True)
    except Exception as error:  # debugpy says RuntimeError, the socket OSError
        _say(f"--debug-port: debugpy cannot listen on 127.0.0.1:{port}: {error}")
        raise SystemExit(1) from None
    _say(
        f"{_function()} waits for a debugger to attach to 127.0.0.1:{port} (debugpy) "
        "before its init runs"
    )
    debugpy.wait_for_client()
