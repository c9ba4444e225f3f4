"""A recorded exchange as the page shows it: formatted only when asked, secrets masked.

The list row (:func:`summary`) and the opened invocation (:func:`detail`) are plain JSON
documents; bodies are text when they decode as text, else their size and type
(:func:`body_view`), and anything cut by the recorder says how big it was.
"""

from __future__ import annotations

import json
from typing import Any

from lambgate.model import Request

from .curl import curl_command
from .recorder import Record
from .redaction import Redactor

__all__ = ["body_view", "detail", "error_reason", "event_text", "summary"]

#: Content types shown as text whatever their bytes look like (others: if they decode).
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


def _target(request: Request) -> str:
    return request.raw_path + ("?" + request.query_string if request.query_string else "")


def error_reason(record: Record) -> str | None:
    """Why the invocation is an error, in plain words; ``None`` when it is not one."""
    exchange = record.exchange
    if exchange.reason is not None:
        return exchange.reason
    invocation = exchange.invocation
    if invocation is not None and invocation.function_error is not None:
        return f"the function failed: {_error_words(invocation.payload)}"
    if exchange.response is not None and exchange.response.status >= 500:
        return f"the function answered {exchange.response.status}"
    return None


def _error_words(payload: bytes) -> str:
    try:
        document = json.loads(payload)
    except ValueError:
        return payload[:200].decode("utf-8", "replace")
    if not isinstance(document, dict):
        return str(document)[:200]
    kind = document.get("errorType") or "Error"
    message = document.get("errorMessage") or ""
    return f"{kind}: {message}" if message else str(kind)


def summary(record: Record, redactor: Redactor) -> dict[str, Any]:
    """One row of the live list."""
    exchange = record.exchange
    invocation = exchange.invocation
    reason = error_reason(record)
    return {
        "number": record.number,
        "time": exchange.started,
        "request_id": exchange.request_id,
        "method": exchange.request.method,
        "path": redactor.text(_target(exchange.request)),
        "front": exchange.front,
        "kind": exchange.kind,
        "stage": exchange.stage,
        "route": exchange.route,
        "function": exchange.function,
        "status": exchange.response.status if exchange.response is not None else None,
        "duration_ms": round(exchange.duration_ms, 2),
        "cold": invocation.cold if invocation is not None else None,
        "init_duration_ms": invocation.init_duration_ms if invocation is not None else None,
        "max_memory_mb": invocation.max_memory_mb if invocation is not None else None,
        "error": reason is not None,
        "reason": redactor.text(reason) if reason is not None else None,
    }


def body_view(
    body: bytes, *, content_type: str | None, size: int | None, redactor: Redactor
) -> dict[str, Any]:
    """A body as text if it is text, else its type and size; ``size`` is the whole size when
    the recorder cut it."""
    whole = len(body) if size is None else size
    view: dict[str, Any] = {"size": whole, "truncated": size is not None, "type": content_type}
    kind = (content_type or "").lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        if size is not None and kind.startswith(_TEXT_TYPES):
            text = body.decode("utf-8", "replace")  # cut inside a character
        else:
            view["binary"] = True
            return view
    view["binary"] = False
    view["text"] = redactor.text(text)
    return view


def _json_text(data: bytes, redactor: Redactor) -> str | None:
    """Pretty JSON of ``data`` with secrets masked; ``None`` when it is not JSON."""
    try:
        document = json.loads(data)
    except ValueError:
        return None
    return json.dumps(redactor.json(document), indent=2, ensure_ascii=False)


def event_text(record: Record, redactor: Redactor) -> str | None:
    """The event as pretty JSON (what ``lambgate invoke --event`` takes); ``None`` when no
    event was built, or the recorder cut it."""
    event = record.exchange.event
    if event is None or (record.cut and "event" in record.cut):
        return None
    return _json_text(event, redactor)


def detail(record: Record, redactor: Redactor) -> dict[str, Any]:
    """One invocation, opened: request, event, result, response, log lines, REPORT."""
    exchange = record.exchange
    cut = record.cut or {}
    request = exchange.request
    redactor = redactor.for_headers(request.headers)
    document = summary(record, redactor)
    document["request"] = {
        "method": request.method,
        "target": redactor.text(_target(request)),
        "headers": redactor.headers(request.headers),
        "body": body_view(
            request.body,
            content_type=request.header("content-type"),
            size=cut.get("request"),
            redactor=redactor,
        ),
    }
    if exchange.event is not None:
        pretty = event_text(record, redactor)
        document["event"] = {
            "json": pretty,
            "size": cut.get("event", len(exchange.event)),
            "truncated": "event" in cut,
            "text": None
            if pretty is not None
            else redactor.text(exchange.event.decode("utf-8", "replace")),
        }
    invocation = exchange.invocation
    if invocation is not None:
        payload = invocation.payload
        pretty = None if "result" in cut else _json_text(payload, redactor)
        document["result"] = {
            "json": pretty,
            "function_error": invocation.function_error,
            "body": body_view(
                payload, content_type="application/json", size=cut.get("result"), redactor=redactor
            ),
        }
        log = invocation.log_tail.decode("utf-8", "replace")
        document["log"] = [redactor.text(line) for line in log.splitlines()]
        document["report"] = invocation.report_line
    response = exchange.response
    if response is not None:
        content_type = next(
            (value for name, value in response.headers if name.lower() == "content-type"), None
        )
        document["response"] = {
            "status": response.status,
            "headers": redactor.headers(response.headers),
            "body": body_view(
                response.body,
                content_type=content_type,
                size=cut.get("response"),
                redactor=redactor,
            ),
            # A streamed response's body went to the client as it came; only its size is kept.
            "streamed": invocation.streamed if invocation is not None else None,
        }
    # A WebSocket event belongs to its connection: neither replayed nor a curl command.
    websocket = exchange.kind == "websocket"
    document["curl"] = None if websocket else curl_command(request, redactor, cut="request" in cut)
    document["replayable"] = "request" not in cut and not websocket
    return document
