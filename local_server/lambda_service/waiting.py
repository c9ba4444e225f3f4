"""Waiting for the first of a few futures, or a deadline, on an invocation's hot path.

What :func:`asyncio.wait` does with ``FIRST_COMPLETED``, cancelling nothing, but without the
sets, counters and extra callbacks it builds for the general case: the gateway waits once per
request (for the invocation, or its integration timeout) and an environment once per
invocation (for the reply, the worker's exit, or the function's timeout).
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["first_done"]


async def first_done(*futures: asyncio.Future[Any], timeout: float | None) -> None:
    """Return once any of ``futures`` is done or ``timeout`` seconds have passed."""
    if any(future.done() for future in futures):
        return
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    timer = loop.call_later(timeout, wake) if timeout is not None else None
    for future in futures:
        future.add_done_callback(wake)
    try:
        await waiter
    finally:
        if timer is not None:
            timer.cancel()
        for future in futures:
            future.remove_done_callback(wake)
