"""A plain Lambda handler behind a WebSocket API: logs each event's route and connection, and
refuses a connection whose query says ``deny``; a ``sleep`` message takes 1.5 s, a ``raise``
message fails the invocation. A query ``proto=P`` answers ``$connect`` with the subprotocol P
and two cookies."""

from __future__ import annotations

import json
import time
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
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
                "disconnectReason": ctx.get("disconnectReason"),
            }
        )
    )
    if event.get("body") == "sleep":
        time.sleep(1.5)
    if event.get("body") == "raise":
        raise RuntimeError("the probe was told to fail")
    query = event.get("queryStringParameters") or {}
    if query.get("deny"):
        return {"statusCode": 403}
    if query.get("proto"):
        return {
            "statusCode": 200,
            "headers": {"Sec-WebSocket-Protocol": query["proto"]},
            "multiValueHeaders": {"Set-Cookie": ["a=1; Path=/", "b=2; Path=/"]},
        }
    return {"statusCode": 200}
