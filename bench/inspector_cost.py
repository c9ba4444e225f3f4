"""The inspector's cost on the request path: ``lambgate serve APP`` with it on and off, with wrk.

Two servers of the same plain ASGI app (:mod:`bench.hello_app`), one recording every exchange
for the inspector page (the default) and one with ``--no-inspect``, started in the same run and
measured in interleaved rounds, so the ratio holds on a loaded machine::

    .venv/bin/python -m bench.inspector_cost                 # 6 rounds of wrk -t2 -c50 -d5s
    .venv/bin/python -m bench.inspector_cost --rounds 2 --duration 3   # a quick look

Issue 12's target: requests/s with the inspector on at least 0.95x of off (within 5%). Also
reported: the resident memory of the recording server after each round, which must stay flat
once its ring buffer (``--inspect-history``, here 500) is full: bounded, not growing with the
number of requests. Nobody opens the page meanwhile, as when a developer works in the app.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from .http_front import APP, Server, _spread, free_port, rss_mib, run_wrk

__all__ = ["main"]

#: Issue 12's target: the inspector costs at most 5% of the throughput.
MIN_RATIO = 0.95


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before measuring")
    args = parser.parse_args(argv)
    python = sys.executable
    base = (python, "-m", "lambgate", "serve", APP, "--format", "http")
    commands = {
        "on": [*base, "--lambda-port", str(free_port()), "--inspect-port", str(free_port())],
        "off": [*base, "--lambda-port", str(free_port()), "--no-inspect"],
    }
    servers: list[Server] = []
    rps: dict[str, list[float]] = {name: [] for name in commands}
    ratios: list[float] = []
    rss: list[float] = []
    try:
        for name, command in commands.items():
            port = free_port()
            servers.append(Server(name, [*command, "--port", str(port)], port))
            servers[-1].cold_start()
        on, off = servers
        for server in servers:
            run_wrk(server.url, args.warmup)
        for round_number in range(args.rounds):
            this_round: dict[str, float] = {}
            for server in servers if round_number % 2 == 0 else servers[::-1]:
                this_round[server.name] = run_wrk(server.url, args.duration).requests_per_s
                rps[server.name].append(this_round[server.name])
            ratios.append(this_round["on"] / this_round["off"])
            rss.append(rss_mib(on.process.pid) or 0.0)
    finally:
        for server in servers:
            server.stop()
    print(f"wrk -t2 -c50 -d{args.duration}s, {args.rounds} interleaved rounds")
    print(f"{'requests/s':<28} {'median':>10} {'min':>10} {'max':>10}")
    for name, values in rps.items():
        label = f"inspector {name}"
        print(
            f"{label:<28} {statistics.median(values):>10.0f} {min(values):>10.0f} "
            f"{max(values):>10.0f}"
        )
    median = statistics.median(ratios)
    verdict = "pass" if median >= MIN_RATIO else "FAIL"
    print(f"on / off, per round: {_spread(ratios)}  target >= {MIN_RATIO}x  {verdict}")
    print("server RSS after each round (MiB): " + ", ".join(f"{value:.1f}" for value in rss))
    return 0 if median >= MIN_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
