"""Warm cost per event: lambgate against the adapter people would otherwise use, and ASGI
against the asyncio floor.

WSGI: ``make_handler`` against apig-wsgi's ``make_lambda_handler``. ASGI: ``make_handler``
against the least any adapter can do, a bare ``loop.run_until_complete`` of the same app with
a scope built beforehand (the floor), with ``mangum.Mangum`` (its defaults) for reference. Every
contender gets the same event, context and app, and the numbers are only ever read as ratios
between contenders timed in the same run, interleaved repeat by repeat, so machine speed and
drift cancel out.

Run: ``.venv/bin/python -m bench.warm_cost [--repeats N] [--min-loop-ms MS]``
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import warnings
from collections.abc import Callable
from typing import Any

from bench.measure import Row, best_of, format_table
from bench.sample_events import (
    alb_get_event,
    asgi_hello,
    fresh,
    http_post_event,
    lambda_context,
    rest_get_event,
    wsgi_hello,
)

__all__ = ["ASGI_TARGET", "WSGI_TARGET", "main", "run"]

Handler = Callable[[Any, Any], Any]

#: lambgate's WSGI cost per event, at most this many times apig-wsgi's, on every event.
WSGI_TARGET = 0.9
#: lambgate's ASGI cost per event, at most this many times the asyncio floor's.
ASGI_TARGET = 2.3


def _wsgi_handlers() -> tuple[Handler, dict[str, Handler]]:
    from apig_wsgi import make_lambda_handler

    from lambgate import make_handler

    # apig-wsgi's README: REST APIs need binary_support=True (with */* binary media types);
    # HTTP APIs and ALB have it on by default; multi-value is chosen by the event itself.
    return make_handler(wsgi_hello), {
        "rest": make_lambda_handler(wsgi_hello, binary_support=True),
        "http": make_lambda_handler(wsgi_hello),
        "alb": make_lambda_handler(wsgi_hello),
    }


def _asgi_handlers() -> tuple[Handler, Handler]:
    from mangum import Mangum

    from lambgate import make_handler

    ours = make_handler(asgi_hello)
    with warnings.catch_warnings():
        # Mangum calls asyncio.get_event_loop() outside a loop, deprecated since 3.12.
        warnings.simplefilter("ignore", DeprecationWarning)
        peer = Mangum(asgi_hello)
    return ours, peer


def asgi_floor(event: dict[str, Any], context: Any) -> Callable[[], Any]:
    """The asyncio floor for ``event``: the app run to completion on an event loop, with the
    scope built beforehand (here by lambgate, so that it is the same scope) and receive/send
    that do nothing but hand over the body. No adapter can do less per event."""
    from lambgate.asgi import request_to_scope
    from lambgate.events import DEFAULT_OPTIONS, detect

    request = detect(event).event_to_request(event, context, DEFAULT_OPTIONS)
    scope = request_to_scope(request, {})
    message = {"type": "http.request", "body": request.body, "more_body": False}

    async def receive() -> dict[str, Any]:
        return message

    async def send(message: dict[str, Any]) -> None:
        return None

    loop = asyncio.new_event_loop()  # a bare one: no lifespan, no watchdog
    return lambda: loop.run_until_complete(asgi_hello(scope, receive, send))


def _check(name: str, result: Any) -> None:
    """Both sides must really have served the request, or the comparison is meaningless."""
    if result.get("statusCode") != 200 or result.get("body") != "Hello":
        raise AssertionError(f"{name} did not answer 200 'Hello': {result!r}")


EVENTS: dict[str, Callable[[], dict[str, Any]]] = {
    "rest": rest_get_event,
    "http": http_post_event,
    "alb": alb_get_event,
}
LABELS = {
    "rest": "REST GET",
    "http": "HTTP API 2.0 POST 1 KB JSON",
    "alb": "ALB GET (multi-value)",
}


def run(repeats: int = 15, min_loop_ms: float = 50.0) -> list[Row]:
    """Measure every case; returns the WSGI row, the ASGI row and mangum's, per event."""
    # Mangum logs lifespan progress at INFO on every event; keep the default (WARNING) level
    # so that no handler formats anything, as on a Lambda with default logging.
    logging.getLogger().setLevel(logging.WARNING)
    context = lambda_context()
    wsgi_ours, wsgi_peers = _wsgi_handlers()
    asgi_ours, mangum = _asgi_handlers()
    rows = []
    for kind, build in EVENTS.items():
        event = build()
        events = {name: fresh(event) for name in ("wsgi", "apig", "asgi", "mangum")}
        _check("lambgate WSGI", wsgi_ours(events["wsgi"], context))
        _check("apig-wsgi", wsgi_peers[kind](events["apig"], context))
        _check("lambgate ASGI", asgi_ours(events["asgi"], context))
        _check("mangum", mangum(events["mangum"], context))
        floor = asgi_floor(fresh(event), context)
        times = best_of(
            {
                "lambgate WSGI": lambda e=events["wsgi"]: wsgi_ours(e, context),
                "apig-wsgi": lambda h=wsgi_peers[kind], e=events["apig"]: h(e, context),
                "lambgate ASGI": lambda e=events["asgi"]: asgi_ours(e, context),
                "asyncio floor": floor,
                "mangum": lambda e=events["mangum"]: mangum(e, context),
            },
            repeats,
            min_loop_ms / 1000,
        )
        us = {name: seconds * 1e6 for name, seconds in times.items()}
        label = LABELS[kind]
        rows += [
            Row(f"WSGI {label}", us["lambgate WSGI"], us["apig-wsgi"], "apig-wsgi", WSGI_TARGET),
            Row(f"ASGI {label}", us["lambgate ASGI"], us["asyncio floor"], "floor", ASGI_TARGET),
            Row(
                f"ASGI {label}",
                us["lambgate ASGI"],
                us["mangum"],
                "mangum",
                target=None,
                note="for reference",
            ),
        ]
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timeit loops per contender")
    parser.add_argument("--min-loop-ms", type=float, default=50.0, help="length of one loop")
    args = parser.parse_args(argv)
    rows = run(args.repeats, args.min_loop_ms)
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main()
