"""A plain Lambda handler behind a WebSocket API: logs each event's route and connection, and
refuses a connection whose query says ``deny``; a ``sleep`` message takes 1.5 s."""

from __future__ import annotations

import json
import time
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    ctx = event["requestContext"]
    print(
        json.dumps(
            {
                "routeKey": ctx["routeKey"],
                "eventType": ctx["eventType"],
                "connectionId": ctx["connectionId"],
                "connectedAt": ctx["connectedAt"],
                "stage": ctx["stage"],
                "body": event.get("body"),
                "query": event.get("queryStringParameters"),
                "disconnectStatusCode": ctx.get("disconnectStatusCode"),
            }
        )
    )
    if event.get("body") == "sleep":
        time.sleep(1.5)
    if (event.get("queryStringParameters") or {}).get("deny"):
        return {"statusCode": 403}
    return {"statusCode": 200}
