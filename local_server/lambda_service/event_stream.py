"""AWS's event stream encoding, for the messages ``InvokeWithResponseStream`` answers with.

Each message is a prelude (total length, headers length, and the CRC32 of those eight bytes),
the headers (name length in one byte, name, value type ``7`` for a string, value length in two
bytes, value), the payload, and the CRC32 of all that came before it; integers are big-endian
(https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html#streaming-event-stream
describes the format, which all AWS event streams share). ``InvokeWithResponseStream`` sends a
``PayloadChunk`` event per piece of the response and one ``InvokeComplete`` event at its end
(https://docs.aws.amazon.com/lambda/latest/api/API_InvokeWithResponseStream.html). Encoding
only, no I/O: botocore decodes it on the client's side.
"""

from __future__ import annotations

import json
import struct
import zlib

__all__ = ["event_message", "invoke_complete", "payload_chunk"]

_STRING = 7


def _header(name: str, value: str) -> bytes:
    name_bytes, value_bytes = name.encode(), value.encode()
    return (
        struct.pack("!B", len(name_bytes))
        + name_bytes
        + struct.pack("!BH", _STRING, len(value_bytes))
        + value_bytes
    )


def event_message(event_type: str, content_type: str, payload: bytes) -> bytes:
    """One ``event`` message of type ``event_type``."""
    headers = (
        _header(":event-type", event_type)
        + _header(":content-type", content_type)
        + _header(":message-type", "event")
    )
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(headers))
    message = prelude + struct.pack("!I", zlib.crc32(prelude)) + headers + payload
    return message + struct.pack("!I", zlib.crc32(message))


def payload_chunk(data: bytes) -> bytes:
    """A ``PayloadChunk`` event carrying ``data``, a piece of the function's response."""
    return event_message("PayloadChunk", "application/octet-stream", data)


def invoke_complete(
    *, error_code: str | None = None, error_details: str | None = None, log_result: str | None
) -> bytes:
    """The ``InvokeComplete`` event: how the invocation ended, and the log's tail if asked."""
    document: dict[str, str] = {}
    if error_code is not None:
        document["ErrorCode"] = error_code
    if error_details is not None:
        document["ErrorDetails"] = error_details
    if log_result is not None:
        document["LogResult"] = log_result
    return event_message("InvokeComplete", "application/json", json.dumps(document).encode())
