"""Response streaming through the emulator, against the same app under uvicorn, same run.

``lambgate serve bench.streaming_app:app --stream`` (a function URL in ``RESPONSE_STREAM``
mode: the app runs in an execution environment under lambgate's streaming runtime, which
posts each chunk to the Runtime API, whose front relays it to the client) and
``uvicorn bench.streaming_app:app`` serve the same plain ASGI app (:mod:`bench.streaming_app`)
on 127.0.0.1, measured in interleaved rounds::

    .venv/bin/python -m bench.streaming               # 5 rounds
    .venv/bin/python -m bench.streaming --rounds 1    # a quick look, not a verdict

Two measurements, issue 11's point 5:

- **first-send latency**: 1000 Server-Sent Events, 2 ms apart; each carries the app's
  ``time.monotonic_ns()`` read just before its ``send`` (the clock is system-wide), and the
  client notes when the event's last byte arrived; p50 and p99 over all events of the run.
  Target: p99 ≤ 5 ms through the emulator.
- **throughput**: a 50 MiB body in 64 KiB chunks, from sending the request to its last byte.
  Target: ≥ 100 MB/s through the emulator.

The client is a raw socket read by h11 (no client library's buffering in the way).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import time
from dataclasses import dataclass, field

import h11

from bench.http_front import Server, free_port

__all__ = ["main"]

APP = "bench.streaming_app:app"
EVENTS = 1000
GAP_MS = 2.0
MEGABYTES = 50
#: Issue 11's targets.
MAX_P99_MS = 5.0
MIN_MB_PER_S = 100.0
READ_TIMEOUT_S = 60.0


def _get(port: int, target: str) -> tuple[socket.socket, h11.Connection]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client = h11.Connection(h11.CLIENT)
    request = h11.Request(method="GET", target=target, headers=[("Host", "127.0.0.1")])
    sock.sendall((client.send(request) or b"") + (client.send(h11.EndOfMessage()) or b""))
    return sock, client


def _events(sock: socket.socket, client: h11.Connection) -> list[tuple[int, bytes]]:
    """``(arrival monotonic_ns, data)`` of each body piece, until the end of the response."""
    pieces: list[tuple[int, bytes]] = []
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA:
            client.receive_data(sock.recv(1 << 20))
            continue
        if isinstance(event, h11.Response) and event.status_code != 200:
            raise RuntimeError(f"answered {event.status_code}")
        if isinstance(event, h11.Data):
            pieces.append((time.monotonic_ns(), bytes(event.data)))
        if isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return pieces


def sse_latencies_ms(port: int) -> list[float]:
    """How long each event took from the app's ``send`` to the client, in ms."""
    sock, client = _get(port, f"/sse?n={EVENTS}&gap_ms={GAP_MS:g}")
    try:
        pieces = _events(sock, client)
    finally:
        sock.close()
    latencies, pending = [], b""
    for arrived, data in pieces:
        pending += data
        *complete, pending = pending.split(b"\n\n")
        for event in complete:
            for line in event.splitlines():
                if line.startswith(b"data: "):
                    latencies.append((arrived - int(line[6:])) / 1e6)
    if len(latencies) != EVENTS:
        raise RuntimeError(f"{len(latencies)} events arrived, not {EVENTS}")
    return latencies


def throughput_mb_per_s(port: int) -> float:
    started = time.perf_counter()
    sock, client = _get(port, f"/bytes?mb={MEGABYTES}")
    received = 0
    try:
        while True:
            event = client.next_event()
            if event is h11.NEED_DATA:
                client.receive_data(sock.recv(1 << 20))
            elif isinstance(event, h11.Data):
                received += len(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
    finally:
        sock.close()
    took = time.perf_counter() - started
    if received != MEGABYTES * 1024 * 1024:
        raise RuntimeError(f"{received} bytes arrived, not {MEGABYTES} MiB")
    return received / 1e6 / took


@dataclass
class Side:
    name: str
    server: Server
    latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    ours_port, peer_port = free_port(), free_port()
    python = sys.executable
    lambgate = [python, "-m", "lambgate", "serve", APP, "--stream", "--port", str(ours_port)]
    lambgate += ["--lambda-port", str(free_port()), "--no-inspect"]
    uvicorn = [python, "-m", "uvicorn", APP, "--port", str(peer_port), "--log-level", "warning"]
    sides = [Side("lambgate serve --stream", Server("lambgate", lambgate, ours_port))]
    sides.append(Side("uvicorn", Server("uvicorn", uvicorn, peer_port)))
    try:
        for side in sides:
            side.server.cold_start()
        for _ in range(args.rounds):
            for side in sides:
                side.latencies += sse_latencies_ms(side.server.port)
            for side in sides:
                side.rates.append(throughput_mb_per_s(side.server.port))
    finally:
        for side in sides:
            side.server.stop()
    ours, peer = sides
    p99_ours, p99_peer = percentile(ours.latencies, 0.99), percentile(peer.latencies, 0.99)
    rate_ours, rate_peer = statistics.median(ours.rates), statistics.median(peer.rates)
    print(f"{args.rounds} rounds, interleaved; {EVENTS} events {GAP_MS:g} ms apart per round")
    print(f"{'':26} {'p50 ms':>8} {'p99 ms':>8} {'MB/s (median)':>14}")
    for side in sides:
        print(
            f"{side.name:26} {percentile(side.latencies, 0.5):8.2f} "
            f"{percentile(side.latencies, 0.99):8.2f} {statistics.median(side.rates):14.0f}"
        )
    p99_ok, rate_ok = p99_ours <= MAX_P99_MS, rate_ours >= MIN_MB_PER_S
    print(
        f"first-send p99: {p99_ours:.2f} ms ({p99_ours / p99_peer:.1f}x uvicorn's); target "
        f"<= {MAX_P99_MS:g} ms: {'pass' if p99_ok else 'FAIL'}"
    )
    print(
        f"50 MiB throughput: {rate_ours:.0f} MB/s ({rate_ours / rate_peer:.2f}x uvicorn's); "
        f"target >= {MIN_MB_PER_S:g} MB/s: {'pass' if rate_ok else 'FAIL'}"
    )
    return 0 if p99_ok and rate_ok else 1


if __name__ == "__main__":
    sys.exit(main())
