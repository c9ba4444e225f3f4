"""The flags that set how each function's workers run, for ``serve`` and ``invoke``.

``--isolated`` and ``--manifest`` (what the import check compares against), ``--debug-port`` and
``--debug-function`` (debugpy in one function's environment, as ``sam local -d`` and its
``--debug-function``), and the terminal ``breakpoint()`` gets when lambgate runs in one. Each is
checked here, before anything starts, and a mistake is one line.
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
from collections.abc import Mapping
from pathlib import Path

from lambgate.local.lambda_service.function import FunctionConfig
from lambgate.local.lambda_service.import_policy import imports_checked
from lambgate.local.lambda_service.worker_options import WorkerOptions, terminal
from lambgate.local.template.specs import TemplateError

__all__ = ["add_worker_arguments", "banner_lines", "worker_options"]


def add_worker_arguments(parser: argparse.ArgumentParser, *, debug_function: bool) -> None:
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="make imports that would fail on AWS fail here too: a function finds only its "
        "CodeUri, the standard library, boto3 and its dependencies, and its requirements",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        metavar="FILE",
        help="the requirements file imports are checked against, in place of each CodeUri's "
        "requirements.txt (as sam build --manifest)",
    )
    parser.add_argument(
        "--debug-port",
        "-d",
        type=int,
        default=None,
        metavar="PORT",
        help="start debugpy in the function's environment on 127.0.0.1:PORT and wait for a "
        "debugger to attach before its init runs (as sam local -d)",
    )
    if debug_function:
        parser.add_argument(
            "--debug-function",
            default=None,
            metavar="NAME",
            help="the function --debug-port debugs, when the template has several",
        )


def _debugged(functions: Mapping[str, FunctionConfig], port: int, name: str | None) -> str:
    if not 0 < port < 65536:
        raise TemplateError("--debug-port", f"{port} is not a port number (1-65535)")
    if importlib.util.find_spec("debugpy") is None:
        raise TemplateError("--debug-port", "needs debugpy: pip install 'lambgate[local]'")
    names = ", ".join(functions) or "none"
    if name is None:
        if len(functions) != 1:
            raise TemplateError(
                "--debug-port", f"name the function to debug with --debug-function ({names})"
            )
        name = next(iter(functions))
    elif name not in functions:
        raise TemplateError("--debug-function", f"no function {name!r} (the template has {names})")
    with socket.socket() as probe:
        # As a listening server binds: a connection of an earlier session in TIME_WAIT does
        # not hold the port, a listener does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise TemplateError(
                "--debug-port", f"127.0.0.1:{port} is not free ({error.strerror})"
            ) from None
    return name


def worker_options(
    functions: Mapping[str, FunctionConfig],
    *,
    isolated: bool = False,
    manifest: Path | None = None,
    debug_port: int | None = None,
    debug_function: str | None = None,
) -> dict[str, WorkerOptions]:
    """Each function's :class:`WorkerOptions`; raises :class:`TemplateError` on a bad flag."""
    if manifest is not None and not manifest.is_file():
        raise TemplateError("--manifest", f"{manifest} is not a file")
    if debug_function is not None and debug_port is None:
        raise TemplateError("--debug-function", "only applies with --debug-port")
    debugged = None if debug_port is None else _debugged(functions, debug_port, debug_function)
    tty = terminal()
    return {
        name: WorkerOptions(
            isolated=isolated,
            manifest=manifest,
            terminal=tty,
            debug_port=debug_port if name == debugged else None,
        )
        for name in functions
    }


def banner_lines(
    functions: Mapping[str, FunctionConfig], options: Mapping[str, WorkerOptions]
) -> list[str]:
    """What the start-up banner says about debugging, isolation and the import check."""
    lines = []
    unchecked = [
        name
        for name, config in functions.items()
        if not imports_checked(config, options[name].manifest)
    ]
    isolated = [name for name, option in options.items() if option.isolated]
    if unchecked:
        verb = "checked or isolated" if isolated else "checked"
        lines.append(
            f"  imports not {verb} for {', '.join(unchecked)}: a Makefile builds them "
            "(BuildMethod: makefile); --manifest FILE names what it installs"
        )
    for name, option in options.items():
        if option.debug_port is not None:
            lines.append(
                f"  --debug-port: {name} waits for a debugger on 127.0.0.1:{option.debug_port} "
                "at each cold start (debugpy); one environment at a time, no timeouts"
            )
    isolated = [name for name in isolated if name not in unchecked]
    if isolated:
        lines.append(
            f"  --isolated ({', '.join(isolated)}): imports only from the CodeUri, layers, "
            "standard library, boto3 and its dependencies, and requirements, as on AWS"
        )
    return lines
