"""What the guard against malformed events costs a well-formed one.

The translators read an event without a field-by-field validation: a wrong type makes them
fail, and only then is the event walked to name the field (``lambgate.events.fields``). What a
well-formed event still pays is the few checks that a wrong value would otherwise slip through:
the header names against the set of names already found to be tokens, every header value
through ``str.isascii`` (which raises for anything but a string), the multi-value entries'
``list`` type, and an ``isascii`` or type test on each scalar field read (method, path, stage,
domain, source IP, body). Here they are timed on each benchmark event: lambgate's header
translation against the same without its checks, plus the scalar tests, against the whole
invocation timed in the same run.

Run: ``.venv/bin/python -m bench.guard_cost [--repeats N]``
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from bench.measure import Row, best_of, format_table
from bench.sample_events import fresh, lambda_context, wsgi_hello
from bench.warm_cost import EVENTS, LABELS

__all__ = ["TARGET", "main", "run"]

#: The guard's share of a well-formed invocation, at most.
TARGET = 0.05


def _unchecked_single(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    return list(headers.items())


def _unchecked_multi(headers: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, values in headers.items() for value in values]


def _scalars(*values: Any) -> None:
    """The ``isascii`` test the translators make on each scalar field they read."""
    for value in values:
        if value is not None and not value.isascii():
            raise TypeError


def contenders(event: dict[str, Any]) -> dict[str, Callable[[], object]]:
    """``checked`` and ``unchecked`` header translation for ``event`` (the difference is the
    guard's share of it), and the scalar fields' tests."""
    from lambgate.events.headers import headers_from_map, headers_from_multi_map

    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    identity = context.get("identity") or {}
    scalars = (
        event.get("httpMethod") or http.get("method"),
        event.get("path") or event.get("rawPath"),
        context.get("stage"),
        context.get("domainName"),
        identity.get("sourceIp") or http.get("sourceIp"),
        event.get("body"),
    )
    multi = event.get("multiValueHeaders")
    if multi is not None:
        return {
            "checked": lambda: headers_from_multi_map(multi),
            "unchecked": lambda: _unchecked_multi(multi),
            "scalars": lambda: _scalars(*scalars),
        }
    single = event.get("headers") or {}
    return {
        "checked": lambda: headers_from_map(single),
        "unchecked": lambda: _unchecked_single(single),
        "scalars": lambda: _scalars(*scalars),
    }


def run(repeats: int = 15, min_loop_ms: float = 50.0) -> list[Row]:
    from lambgate import make_handler

    context = lambda_context()
    handler = make_handler(wsgi_hello)
    rows = []
    for kind, build in EVENTS.items():
        event = build()
        served = fresh(event)
        handler(served, context)  # names the headers, as the first request does
        times = best_of(
            {
                **contenders(fresh(event)),
                "invocation": lambda e=served: handler(e, context),
            },
            repeats,
            min_loop_ms / 1000,
        )
        guard = times["checked"] - times["unchecked"] + times["scalars"]
        rows.append(
            Row(
                case=f"guard, {LABELS[kind]}",
                ours=guard * 1e6,
                peer=times["invocation"] * 1e6,
                peer_name="WSGI event",
                target=TARGET,
                note="share of a well-formed invocation",
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
