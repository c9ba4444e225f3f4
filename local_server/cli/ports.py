"""Where each listener of ``lambgate serve`` binds, and what a port that is taken does.

``--port`` is the address a developer types and scripts use: when it is taken, ``serve`` stops
with one line, as ``sam local start-api`` and uvicorn do. So does any port given on the command
line (``--lambda-port``, ``--url-port``): moving it would break what the user set up. Every
other port is lambgate's own choice: the Invoke API's default 3001 (``sam local
start-lambda``'s), function URLs counted from ``--port`` + 100, an API with a port of its own
counted from ``--port`` + 1. One of those that is taken, typically by a second ``lambgate
serve`` already holding 3001, moves to the next free number, and the banner says so.

Only a bind tells whether a port is free (checking first would race), so this module binds:
:func:`listen_all` starts the listeners, those the user chose first (so that no default of
lambgate's takes one), and retries on ``EADDRINUSE`` where it may.
"""

from __future__ import annotations

import errno
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_INSPECT_PORT",
    "DEFAULT_LAMBDA_PORT",
    "DEFAULT_PORT",
    "PortInUseError",
    "PortWish",
    "listen_all",
]

#: ``sam local start-api``'s and ``sam local start-lambda``'s default ports.
DEFAULT_PORT = 3000
DEFAULT_LAMBDA_PORT = 3001
#: The inspector page's default port: ngrok's request inspector's, which developers know.
DEFAULT_INSPECT_PORT = 4040
#: How many numbers above a taken default port are tried before the system picks one.
MOVE_SEARCH = 20

#: Starts listener ``index`` on ``port`` (0: any free port); raises ``OSError`` if it cannot.
Start = Callable[[int, int], Awaitable[None]]


class PortInUseError(OSError):
    """A port the user chose (or ``--port``) is taken: ``serve`` cannot start as asked."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PortWish:
    """The port a listener should have, and whether it may move."""

    number: int
    #: The flag the port comes from (``--port``): a taken port is then an error. ``None``: a
    #: default of lambgate's, which moves to a free port when taken.
    given_by: str | None = None


async def listen_all(wishes: Sequence[PortWish], start: Start, *, host: str) -> list[int | None]:
    """Start listener ``i`` on ``wishes[i]`` with ``start(i, port)``, the ports the user chose
    first; for each, the taken default it moved from (``None`` when it did not move)."""
    moved: dict[int, int | None] = {}
    avoid = {wish.number for wish in wishes}
    in_order = sorted(range(len(wishes)), key=lambda index: wishes[index].given_by is None)
    for index in in_order:
        moved[index] = await _listen(index, wishes[index], start, host=host, avoid=avoid)
    return [moved[index] for index in range(len(wishes))]


async def _listen(
    index: int, wish: PortWish, start: Start, *, host: str, avoid: Collection[int]
) -> int | None:
    try:
        await start(index, wish.number)
        return None
    except OSError as error:
        if error.errno != errno.EADDRINUSE or wish.number == 0:
            raise
        if wish.given_by is not None:
            shown = f"[{host}]" if ":" in host else host
            raise PortInUseError(
                f"{wish.given_by} {wish.number}: {shown}:{wish.number} is already in use "
                "(another lambgate serve or sam local?); choose another port"
            ) from None
    for number in range(wish.number + 1, min(wish.number + 1 + MOVE_SEARCH, 65536)):
        if number in avoid:
            continue
        try:
            await start(index, number)
            return wish.number
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
    await start(index, 0)
    return wish.number
