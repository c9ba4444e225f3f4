"""Warm cost per event: lambgate against the adapter people would otherwise use.

WSGI: ``make_handler`` against apig-wsgi's ``make_lambda_handler``; ASGI: ``make_handler``
against ``mangum.Mangum`` with its defaults. Both sides get the same event, context and app,
and the numbers are only ever read as a ratio between two contenders timed in the same run,
interleaved repeat by repeat, so machine speed and drift cancel out.

Run: ``.venv/bin/python -m bench.warm_cost [--repeats N] [--min-loop-ms MS]``
"""

from __future__ import annotations

import argparse
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

__all__ = ["main", "run"]

Handler = Callable[[Any, Any], Any]


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


def _check(name: str, result: Any) -> None:
    """Both sides must really have served the request, or the comparison is meaningless."""
    if result.get("statusCode") != 200 or result.get("body") != "Hello":
        raise AssertionError(f"{name} did not answer 200 'Hello': {result!r}")


EVENTS: dict[str, Callable[[], dict[str, Any]]] = {
    "rest": rest_get_event,
    "http": http_post_event,
    "alb": alb_get_event,
}
_LABELS = {
    "rest": "REST GET",
    "http": "HTTP API 2.0 POST 1 KB JSON",
    "alb": "ALB GET (multi-value)",
}


def run(repeats: int = 15, min_loop_ms: float = 50.0) -> list[Row]:
    """Measure every case; returns one :class:`Row` per case."""
    # Mangum logs lifespan progress at INFO on every event; keep the default (WARNING) level
    # so that no handler formats anything, as on a Lambda with default logging.
    logging.getLogger().setLevel(logging.WARNING)
    context = lambda_context()
    wsgi_ours, wsgi_peers = _wsgi_handlers()
    asgi_ours, asgi_peer = _asgi_handlers()
    rows = []
    for kind, build in EVENTS.items():
        event = build()
        for interface, ours, peer, peer_name, target in (
            ("WSGI", wsgi_ours, wsgi_peers[kind], "apig-wsgi", 0.5),
            ("ASGI", asgi_ours, asgi_peer, "mangum", 0.2),
        ):
            ours_event, peer_event = fresh(event), fresh(event)
            _check("lambgate", ours(ours_event, context))
            _check(peer_name, peer(peer_event, context))
            times = best_of(
                {
                    "lambgate": lambda h=ours, e=ours_event: h(e, context),
                    peer_name: lambda h=peer, e=peer_event: h(e, context),
                },
                repeats,
                min_loop_ms / 1000,
            )
            rows.append(
                Row(
                    case=f"{interface} {_LABELS[kind]}",
                    ours=times["lambgate"] * 1e6,
                    peer=times[peer_name] * 1e6,
                    peer_name=peer_name,
                    target=target,
                )
            )
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
