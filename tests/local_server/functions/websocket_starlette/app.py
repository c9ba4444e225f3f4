"""A Starlette ``WebSocketRoute`` app run unchanged behind a WebSocket API by lambgate: its
sends reach the client through ``post_to_connection``; ``close`` ends the connection."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from lambgate import make_handler


async def chat(websocket: WebSocket) -> None:
    if websocket.query_params.get("token") == "bad":
        await websocket.close()
        return
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            if text == "bye":
                await websocket.close()
                return
            await websocket.send_text(f"echo {text}")
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[WebSocketRoute("/", chat)])
handler = make_handler(app)
