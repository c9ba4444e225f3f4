"""``first_done``: asyncio.wait's FIRST_COMPLETED for the hot path, cancelling nothing."""

from __future__ import annotations

import asyncio

import pytest

from lambgate.local.lambda_service.waiting import first_done


def test_returns_when_the_first_future_is_done_and_leaves_the_others_alone() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[str] = loop.create_future()
        exited: asyncio.Future[int] = loop.create_future()
        loop.call_later(0.01, reply.set_result, "ok")
        async with asyncio.timeout(5):
            await first_done(reply, exited, timeout=60)
        assert reply.result() == "ok" and not exited.done()
        exited.set_result(0)  # no callback of first_done is left behind to run
        await asyncio.sleep(0)

    asyncio.run(scenario())


def test_returns_at_the_timeout_without_cancelling_anything() -> None:
    async def scenario() -> None:
        pending: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        async with asyncio.timeout(5):
            await first_done(pending, timeout=0.01)
        assert not pending.done()
        pending.cancel()
        async with asyncio.timeout(5):
            await first_done(pending, timeout=None)  # already done: returns at once

    asyncio.run(scenario())


def test_a_cancelled_waiter_leaves_the_futures_running() -> None:
    async def scenario() -> None:
        pending: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = asyncio.create_task(first_done(pending, timeout=60))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert not pending.done()

    asyncio.run(scenario())
