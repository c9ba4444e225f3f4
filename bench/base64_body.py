"""A 1 MiB binary upload: lambgate's whole WSGI path against decoding the body by hand.

The event carries the body base64-encoded (an HTTP API POST of ``application/octet-stream``);
the app reads all of ``wsgi.input``. Decoding is work no adapter can skip, so the peer is a
bare ``base64.b64decode`` of the same string, and the target is that lambgate adds at most 5%.
lambgate decodes with ``binascii.a2b_base64(strict_mode=True)``: strict, yet one pass in C,
where ``b64decode(validate=True)`` first runs a regular expression over the whole text.
The parts of lambgate's overhead are then measured one by one, so that a miss says where.

Run: ``.venv/bin/python -m bench.base64_body [--size BYTES] [--repeats N]``
"""

from __future__ import annotations

import argparse
import base64
import binascii
import logging
from io import BytesIO
from typing import Any

from bench.measure import Row, best_of, format_details, format_table
from bench.sample_events import (
    binary_body,
    binary_post_event,
    fresh,
    lambda_context,
)

__all__ = ["main", "run"]

TARGET = 1.05


def upload_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Reads the whole body, as any upload handler does, and answers its length."""
    data = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(len(data)).encode("ascii")]


def run(size: int = 1 << 20, repeats: int = 15, min_loop_ms: float = 200.0) -> list[Row]:
    from lambgate import make_handler

    logging.getLogger().setLevel(logging.WARNING)
    body = binary_body(size)
    event = binary_post_event(body)
    encoded: str = event["body"]
    context = lambda_context()
    ours = make_handler(upload_app)
    result = ours(fresh(event), context)
    if result.get("statusCode") != 200 or result.get("body") != str(size):
        raise AssertionError(f"lambgate did not read the whole body: {result!r}")
    if base64.b64decode(encoded) != body:
        raise AssertionError("the event does not carry the body")

    empty = fresh(event)
    empty["body"], empty["isBase64Encoded"] = "", False
    times = best_of(
        {
            "lambgate": lambda: ours(event, context),
            "b64decode": lambda: base64.b64decode(encoded),
            # The parts of the difference:
            "a2b_base64 strict": lambda: binascii.a2b_base64(encoded, strict_mode=True),
            "str.encode('ascii')": lambda: encoded.encode("ascii"),
            "BytesIO(body).read()": lambda: BytesIO(body).read(),
            "lambgate, same event, empty body": lambda: ours(empty, context),
        },
        repeats,
        min_loop_ms / 1000,
    )
    ms = {name: seconds * 1e3 for name, seconds in times.items()}
    overhead = ms["lambgate"] - ms["b64decode"]
    explained = [
        (
            "a2b_base64(strict_mode=True), which lambgate calls",
            ms["a2b_base64 strict"] - ms["b64decode"],
        ),
        ("per-event work (same event, empty body)", ms["lambgate, same event, empty body"]),
        ("BytesIO(body).read() (shares the bytes)", ms["BytesIO(body).read()"]),
    ]
    parts = [
        *explained,
        ("unexplained (copies, cache effects, noise)", overhead - sum(v for _, v in explained)),
        ("(not overhead) str->ASCII copy b64decode pays", ms["str.encode('ascii')"]),
    ]
    return [
        Row(
            case=f"WSGI base64 body {size // 1024} KiB",
            ours=ms["lambgate"],
            peer=ms["b64decode"],
            peer_name="b64decode",
            target=TARGET,
            unit="ms/event",
            note=f"{overhead * 1e3:+.1f} µs",
            details=tuple((label, value * 1e3) for label, value in parts),
        )
    ]


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1 << 20, help="body size in bytes")
    parser.add_argument("--repeats", type=int, default=15, help="timeit loops per contender")
    parser.add_argument("--min-loop-ms", type=float, default=200.0, help="length of one loop")
    args = parser.parse_args(argv)
    rows = run(args.size, args.repeats, args.min_loop_ms)
    print(format_table(rows))
    print(format_details(rows))
    return rows


if __name__ == "__main__":
    main()
