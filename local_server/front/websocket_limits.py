"""API Gateway's WebSocket limits, apart from the server that enforces them, so that the
gateway can read them without importing the wire's libraries (h11, wsproto) before it serves."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AWS_WEBSOCKET_LIMITS", "WebSocketLimits"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSocketLimits:
    """API Gateway's WebSocket quotas
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html):
    a frame over 32 KB or a message over 128 KB closes the connection with 1009; a connection
    idle 10 minutes, or open 2 hours, is closed. The server's own messages go out in frames of
    at most ``frame_bytes``."""

    frame_bytes: int = 32 * 1024
    message_bytes: int = 128 * 1024
    idle_seconds: float = 600.0
    duration_seconds: float = 7200.0


AWS_WEBSOCKET_LIMITS = WebSocketLimits()
