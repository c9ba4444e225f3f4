"""An aws-lambda-powertools HTTP API resolver app, unchanged from the Powertools docs' shape."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

app = APIGatewayHttpResolver()


@app.get("/pt/items/<item_id>")
def get_item(item_id: str) -> dict[str, Any]:
    return {"item": item_id, "tag": app.current_event.get_query_string_value("tag")}


@app.post("/pt/items")
def create_item() -> tuple[dict[str, Any], int]:
    return {"created": app.current_event.json_body}, 201


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
