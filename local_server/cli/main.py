"""The ``lambgate`` command line (also ``python -m lambgate``).

Each subcommand is one row of :data:`COMMANDS`: a name, a one-line help and the module that
implements it, with ``add_arguments(parser)`` and ``run(args) -> exit status``. A new
subcommand is one new row.

- ``serve``: the template's functions (or one APP) behind their AWS fronts (:mod:`.serve`);
- ``invoke``: one invocation in a fresh execution environment (:mod:`.invoke`);
- ``package`` and ``deploy``: the zip, and the function around it (:mod:`lambgate.deploy`);
- ``event``: the event the AWS service of a kind would send Lambda for a request (:mod:`.event`).

A module is imported when the parser is built, and only ``serve`` and ``invoke`` need the
emulator's dependencies (``pip install 'lambgate[local]'``): without them, ``package``,
``deploy``, ``event``, ``--help`` and ``--version`` still work, and ``serve`` and ``invoke``
say in one line what to install.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import NoReturn

__all__ = ["COMMANDS", "Command", "CommandLineParser", "build_parser", "main"]

#: What installs the emulator's dependencies (pyproject.toml's ``local`` extra).
LOCAL_EXTRA = "pip install 'lambgate[local]'"


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One ``lambgate`` subcommand."""

    name: str
    help: str
    #: The module with its ``add_arguments(parser)`` and ``run(args) -> int``.
    module: str


COMMANDS: tuple[Command, ...] = (
    Command(
        name="serve",
        help="serve a SAM template's functions (or one APP) behind their AWS fronts, locally",
        module="lambgate.local.cli.serve",
    ),
    Command(
        name="invoke",
        help="run one invocation of a function in a fresh execution environment",
        module="lambgate.local.cli.invoke",
    ),
    Command(
        name="package",
        help="build the deployment zip: the app, lambgate's handler and requirements for Lambda",
        module="lambgate.deploy.package",
    ),
    Command(
        name="deploy",
        help="create or update the function, its alias, function URL and HTTP API with boto3",
        module="lambgate.deploy.deploy",
    ),
    Command(
        name="event",
        help="print the Lambda event an AWS service sends for a request",
        module="lambgate.local.cli.event",
    ),
)


class CommandLineParser(argparse.ArgumentParser):
    """argparse, with a usage mistake said in one line (``lambgate serve: error: ...``) like
    every other mistake the command reports, not under a usage block; ``--help`` has that."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = CommandLineParser(
        prog="lambgate", description="Run web apps on AWS Lambda, and emulate AWS locally."
    )
    parser.add_argument("--version", action="version", version=f"lambgate {version('lambgate')}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        subparser = commands.add_parser(command.name, help=command.help, description=command.help)
        try:
            module = importlib.import_module(command.module)
        except ModuleNotFoundError as error:
            if error.name is None or error.name.partition(".")[0] == "lambgate":
                raise  # lambgate itself is broken: no extra would help
            subparser.description = f"{command.help} (needs {LOCAL_EXTRA})"
            # Whatever arguments follow, the answer is what to install (main() lets them be).
            subparser.set_defaults(run=_needs_extra(command.name, error.name), unparsed=True)
            continue
        module.add_arguments(subparser)
        subparser.set_defaults(run=module.run)
    return parser


def _needs_extra(command: str, missing: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        sys.stderr.write(
            f"lambgate {command}: error: the emulator's dependencies are not installed "
            f"(no module named {missing!r}): {LOCAL_EXTRA}\n"
        )
        return 2

    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "unparsed", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")  # as parse_args() does
    try:
        status: int = args.run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left (`lambgate event http | head -3`): end quietly, as a shell tool does,
        # with stdout pointed at devnull so that the interpreter's last flush cannot fail too
        # (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status
