"""A Lambda function whose event says what to do, so one code dir covers each behaviour."""

from __future__ import annotations

import ctypes
import decimal
import os
import subprocess
import sys
import time
from typing import Any

#: Module state lives as long as the execution environment: it counts warm invocations.
INIT_PID = os.getpid()
INVOCATIONS = 0
print("toolbox: init done")


def handler(event: dict[str, Any], context: Any) -> Any:
    global INVOCATIONS
    INVOCATIONS += 1
    action = event.get("action")
    if action == "inspect":
        return {
            "event": event,
            "context": {
                "aws_request_id": context.aws_request_id,
                "function_name": context.function_name,
                "function_version": context.function_version,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "invoked_function_arn": context.invoked_function_arn,
                "log_group_name": context.log_group_name,
                "log_stream_name": context.log_stream_name,
                "remaining_ms": context.get_remaining_time_in_millis(),
                "client_context": context.client_context
                and {"custom": context.client_context.custom, "env": context.client_context.env},
            },
            "environ": dict(os.environ),
            "cwd": os.getcwd(),
            "module_file": __file__,
            "sys_path_head": sys.path[:2],
        }
    if action == "count":
        return {"pid": os.getpid(), "init_pid": INIT_PID, "invocations": INVOCATIONS}
    if action == "sleep":
        time.sleep(event["seconds"])
        return {"pid": os.getpid()}
    if action == "spawn_and_sleep":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print(f"child pid {child.pid}", flush=True)
        time.sleep(event["seconds"])
        return {"child": child.pid}
    if action == "exit":
        os._exit(event["code"])
    if action == "segfault":
        ctypes.string_at(0)
    if action == "raise":
        raise ValueError(f"boom {event.get('detail', '')}".strip())
    if action == "print":
        print(event["text"])
        return "printed"
    if action == "big":
        return "x" * event["size"]
    if action == "dynamodb_item":
        return {"price": decimal.Decimal("9.99"), "qty": decimal.Decimal("3"), "name": "café"}
    if action == "raw_bytes":
        return b"\x00raw"
    if action == "client_context":
        client_context = context.client_context
        return {
            "custom": client_context.custom,
            "env": client_context.env,
            "app_title": client_context.client.app_title,
        }
    if action == "unserializable":
        return {"when": object()}
    return event
