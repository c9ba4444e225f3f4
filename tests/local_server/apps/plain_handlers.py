"""Plain Lambda handlers, no framework: what the gateway tests put behind each front."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

#: Lambda's synchronous response limit is 6,291,556 bytes
#: (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
OVER_LAMBDA_LIMIT = 6_291_556 + 1


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The event as the function received it, with what it knows of its environment."""
    body = {
        "event": event,
        "greeting": os.environ.get("GREETING"),
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
    }
    if "Records" in event:  # Lambda@Edge answers in CloudFront's shape
        return {
            "status": "200",
            "headers": {"content-type": [{"key": "Content-Type", "value": "application/json"}]},
            "body": json.dumps(body),
        }
    result: dict[str, Any] = {"statusCode": 200, "body": json.dumps(body)}
    # An ALB target group in multi-value mode accepts only multiValueHeaders, and says so by
    # sending them (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/
    # lambda-functions.html); REST accepts either.
    if event.get("multiValueHeaders") is not None:
        result["multiValueHeaders"] = {"content-type": ["application/json"]}
    else:
        result["headers"] = {"content-type": "application/json"}
    return result


def behave(event: dict[str, Any], context: Any) -> Any:
    """Does what ``pathParameters.action`` says (behind a function URL, which has no routes:
    the path's last segment); ``?seconds=`` for ``sleep``."""
    action = (event.get("pathParameters") or {}).get("action")
    if action is None and "rawPath" in event:
        action = event["rawPath"].rpartition("/")[2]
    query = event.get("queryStringParameters") or {}
    payload_v2 = event.get("version") == "2.0"
    if action == "raise":
        raise ValueError("boom from behave")
    if action == "malformed":
        # Both gateways refuse a body that is not a string.
        return {"statusCode": 200, "body": {"not": "a string"}}
    if action == "no-status":
        return {"hello": "world"}
    if action == "say":
        # Log lines the inspector must file under this invocation's request id.
        print(f"saying {query.get('word')}")
        print(f"said {query.get('word')}", file=sys.stderr)
        return {"statusCode": 200, "body": f"said {query.get('word')}"}
    if action == "sleep":
        time.sleep(float(query["seconds"]))
        return {"statusCode": 200, "body": "slept"}
    if action == "big":
        return {"statusCode": 200, "body": "x" * OVER_LAMBDA_LIMIT}
    if action == "cookies":
        received = event.get("cookies") if payload_v2 else None
        if not payload_v2:
            # REST spells names as the client sent them: "Cookie" from most clients.
            headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
            received = headers.get("cookie")
        result: dict[str, Any] = {
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": json.dumps({"received": received}),
        }
        if payload_v2:
            result["cookies"] = ["first=1; Path=/", "second=2; HttpOnly"]
        else:
            result["multiValueHeaders"] = {"Set-Cookie": ["first=1; Path=/", "second=2; HttpOnly"]}
        return result
    if action == "binary":
        # Back the bytes go, base64 as Lambda must send them; the header tells how they came.
        return {
            "statusCode": 200,
            "headers": {
                "content-type": "image/png",
                "x-arrived-base64": str(event["isBase64Encoded"]).lower(),
            },
            "body": event["body"],
            "isBase64Encoded": event["isBase64Encoded"],
        }
    return {"statusCode": 400, "body": f"unknown action {action!r}"}
