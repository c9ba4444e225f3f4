"""The app ``bench.streaming`` streams from, plain ASGI so that the framework costs nothing.

- ``GET /sse?n=N&gap_ms=G``: ``N`` Server-Sent Events, ``G`` ms apart, each carrying the
  system-wide monotonic clock (``time.monotonic_ns``) read just before its ``send``, so the
  client can tell how long the event took to reach it;
- ``GET /bytes?mb=M``: ``M`` MiB of body in 64 KiB chunks, as fast as the server takes them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs

__all__ = ["CHUNK", "app"]

CHUNK = 64 * 1024
_HEAD_SSE = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store")]
_HEAD_BYTES = [(b"content-type", b"application/octet-stream")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    query = {key: values[-1] for key, values in parse_qs(scope["query_string"].decode()).items()}
    if scope["path"] == "/sse":
        count, gap = int(query.get("n", "1000")), float(query.get("gap_ms", "2")) / 1000
        await send({"type": "http.response.start", "status": 200, "headers": _HEAD_SSE})
        for _ in range(count):
            event = b"data: %d\n\n" % time.monotonic_ns()
            await send({"type": "http.response.body", "body": event, "more_body": True})
            await asyncio.sleep(gap)
        await send({"type": "http.response.body", "body": b""})
    elif scope["path"] == "/bytes":
        remaining = int(query.get("mb", "50")) * 1024 * 1024
        block = b"x" * CHUNK
        await send({"type": "http.response.start", "status": 200, "headers": _HEAD_BYTES})
        while remaining > 0:
            piece = block if remaining >= CHUNK else block[:remaining]
            remaining -= len(piece)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    else:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"Hello"})
