"""Run the bundled example apps through the Lambda handler, as API Gateway would call it.

Builds a realistic event for each source with the same translators the emulator uses, calls
the handler and prints event and result, so you can see exactly what goes in and out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from examples.fastapi_app.app import app as fastapi_app
from examples.flask_app.app import app as flask_app
from lambgate import Request, make_handler
from lambgate.events import GatewayContext, get_source


def main() -> None:
    handlers = {
        "Flask (WSGI)": make_handler(flask_app),
        "FastAPI (ASGI)": make_handler(fastapi_app),
    }
    host = "abcdef1234.execute-api.us-east-1.amazonaws.com"
    request = Request(
        method="GET",
        path="/items",
        raw_path="/items",
        query_string="tag=a&tag=b%20c",
        headers=[("host", host), ("user-agent", "lambgate-demo")],
        client=("203.0.113.9", 0),
        root_path="/prod",
    )
    for label, handle in handlers.items():
        for source in ("rest", "http"):
            event = get_source(source).request_to_event(request, GatewayContext(stage="prod"))
            result = handle(event, None)
            print(f"== {label} behind {source}: GET /prod/items?tag=a&tag=b%20c")
            print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
