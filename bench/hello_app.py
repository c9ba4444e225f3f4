"""The app ``bench/http_front.py`` serves both ways: a plain ASGI 3 callable answering ``Hello``.

No framework and nothing imported, so the benchmark times the servers in front of it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app"]

_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
}
_BODY = {"type": "http.response.body", "body": b"Hello"}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(_START)
    await send(_BODY)
