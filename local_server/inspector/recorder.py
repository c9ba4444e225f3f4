"""The last N exchanges, kept by reference in a ring buffer, and a wake-up for the page.

Recording is on the request path, so it only counts, caps and appends: a body, event or result
over :data:`BODY_CAP` is cut there (one slice of the cap's size, only for big ones), so memory
stays bounded by ``history × cap`` whatever the traffic; everything else is a reference to
what the gateway built anyway. Formatting waits for :mod:`.views`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from lambgate.local.lambda_service.exchange import Exchange
from lambgate.model import Request, Response

__all__ = ["BODY_CAP", "DEFAULT_HISTORY", "Record", "Recorder"]

#: ``--inspect-history``'s default: how many exchanges the page can show.
DEFAULT_HISTORY = 500
#: The most bytes of each body, event and result kept; past it the page shows the size.
BODY_CAP = 256 * 1024


@dataclass(slots=True, eq=False)
class Record:
    """One recorded exchange, numbered in arrival order."""

    number: int
    exchange: Exchange
    #: The sizes of what was cut to :data:`BODY_CAP` (``request``, ``event``, ``result``,
    #: ``response``); ``None`` when nothing was, the usual case.
    cut: dict[str, int] | None = None


class Recorder:
    """Takes every :class:`Exchange` (it is the gateway's and Invoke API's observer)."""

    def __init__(self, history: int = DEFAULT_HISTORY, *, cap: int = BODY_CAP) -> None:
        if history < 1:
            raise ValueError(f"history must be at least 1, got {history}")
        self.records: deque[Record] = deque(maxlen=history)
        self.cap = cap
        self.count = 0
        self._news: asyncio.Future[None] | None = None

    def __call__(self, exchange: Exchange) -> None:
        self.count += 1
        record = Record(self.count, exchange)
        cap = self.cap
        invocation = exchange.invocation
        if (
            len(exchange.request.body) > cap
            or (exchange.event is not None and len(exchange.event) > cap)
            or (invocation is not None and len(invocation.payload) > cap)
            or (exchange.response is not None and len(exchange.response.body) > cap)
        ):
            _cut(record, cap)
        self.records.append(record)
        news = self._news
        if news is not None:
            self._news = None
            if not news.done():
                news.set_result(None)

    def newest_first(self) -> Iterator[Record]:
        return reversed(self.records)

    def find(self, number: int) -> Record | None:
        if not self.records or number < self.records[0].number:
            return None
        index = number - self.records[0].number
        return self.records[index] if index < len(self.records) else None

    def after(self, number: int) -> list[Record]:
        """The records newer than ``number``, oldest first."""
        return [record for record in self.records if record.number > number]

    async def wait_for_news(self, timeout: float) -> None:
        """Until the next exchange is recorded, for ``timeout`` seconds at most."""
        if self._news is None or self._news.done():
            self._news = asyncio.get_running_loop().create_future()
        await asyncio.wait([self._news], timeout=timeout)

    def close(self) -> None:
        """Wake every waiting page now (the emulator is stopping)."""
        if self._news is not None and not self._news.done():
            self._news.set_result(None)


def _cut(record: Record, cap: int) -> None:
    """Keep at most ``cap`` bytes of each part of ``record``, and the sizes of those cut."""
    exchange = record.exchange
    cut: dict[str, int] = {}
    request = exchange.request
    if len(request.body) > cap:
        cut["request"] = len(request.body)
        exchange.request = Request(
            method=request.method,
            path=request.path,
            raw_path=request.raw_path,
            query_string=request.query_string,
            headers=request.headers,
            body=request.body[:cap],
            scheme=request.scheme,
            server=request.server,
            client=request.client,
            root_path=request.root_path,
        )
    if exchange.event is not None and len(exchange.event) > cap:
        cut["event"] = len(exchange.event)
        exchange.event = exchange.event[:cap]
    invocation = exchange.invocation
    if invocation is not None and len(invocation.payload) > cap:
        cut["result"] = len(invocation.payload)
        exchange.invocation = dataclasses.replace(invocation, payload=invocation.payload[:cap])
    response = exchange.response
    if response is not None and len(response.body) > cap:
        cut["response"] = len(response.body)
        exchange.response = Response(response.status, response.headers, response.body[:cap])
    record.cut = cut
