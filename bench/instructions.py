"""Instructions per event, counted by valgrind's callgrind: ``warm_cost`` without the noise.

``warm_cost`` times contenders; on a loaded machine its ratios can swing by a factor of two
from one run to the next. An instruction count does not depend on what else the machine runs,
so a change that saves work shows here even when the clock cannot see it. It is a cross-check,
not the verdict: instructions are not time (cache misses and branch mispredictions cost
cycles that no count shows), so the targets are still judged by ``warm_cost``.

Each contender runs in a child interpreter under callgrind twice, with 0 and with ``--calls``
events after the same warm-up; the difference divided by ``--calls`` is the cost of one event,
free of the interpreter's start-up and imports. Needs ``valgrind`` (``apt-get install
valgrind``); about 30 s per contender and event.

Run: ``.venv/bin/python -m bench.instructions [--calls N] [--events rest,http,alb]``
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["main", "per_event"]

CONTENDERS = ("lambgate-wsgi", "apig-wsgi", "lambgate-asgi", "asyncio-floor")
_COLLECTED = re.compile(r"Collected : (\d+)")


def _contender(name: str, kind: str) -> Callable[[], Any]:
    """One event of ``kind`` through ``name``, as ``warm_cost`` builds it."""
    from bench.sample_events import asgi_hello, lambda_context, wsgi_hello
    from bench.warm_cost import EVENTS, asgi_floor

    context = lambda_context()
    event = EVENTS[kind]()
    if name == "asyncio-floor":
        return asgi_floor(event, context)
    if name == "apig-wsgi":
        from apig_wsgi import make_lambda_handler

        # As warm_cost: binary support on for REST, as apig-wsgi's README asks.
        handler = make_lambda_handler(wsgi_hello, binary_support=kind == "rest")
    else:
        from lambgate import make_handler

        handler = make_handler(wsgi_hello if name == "lambgate-wsgi" else asgi_hello)
    return lambda: handler(event, context)


def _child(name: str, kind: str, calls: int) -> None:
    call = _contender(name, kind)
    for _ in range(50):  # warm-up: lazy imports, caches, the event loop's first task
        call()
    for _ in range(calls):
        call()


def _count(name: str, kind: str, calls: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.instructions",
        "--child",
        name,
        kind,
        str(calls),
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=True)
    found = _COLLECTED.search(run.stderr)
    if found is None:
        raise RuntimeError(f"callgrind reported no count for {name} {kind}: {run.stderr[-500:]}")
    return int(found.group(1))


def per_event(name: str, kind: str, calls: int) -> float:
    """Instructions one event of ``kind`` costs ``name``."""
    return (_count(name, kind, calls) - _count(name, kind, 0)) / calls


def main(argv: list[str] | None = None) -> dict[tuple[str, str], float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="events counted per contender")
    parser.add_argument("--events", default="rest,http,alb", help="comma-separated")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, kind, calls = args.child
        _child(name, kind, int(calls))
        return {}
    if shutil.which("valgrind") is None:
        parser.exit(1, "bench.instructions: error: valgrind is not installed\n")
    kinds = args.events.split(",")
    cases = [(name, kind) for kind in kinds for name in CONTENDERS]
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores; the counts do not care
        counts = dict(
            zip(cases, pool.map(lambda case: per_event(*case, args.calls), cases), strict=True)
        )
    print(f"{'event':<6} {'contender':<15} {'instr/event':>12}  ratio")
    for kind in kinds:
        for name in CONTENDERS:
            peer = "apig-wsgi" if "wsgi" in name else "asyncio-floor"
            ratio = counts[name, kind] / counts[peer, kind]
            print(f"{kind:<6} {name:<15} {counts[name, kind]:>12,.0f}  {ratio:.3f}x {peer}")
    return counts


if __name__ == "__main__":
    main()
