"""HTTP front: ``lambgate serve APP --format http`` against uvicorn (httptools, uvloop), with wrk.

Both serve the same plain ASGI app (:mod:`bench.hello_app`, ``Hello``) on 127.0.0.1, started
and measured in the same run, so the ratios hold on any machine::

    .venv/bin/python -m bench.http_front                 # 5 rounds of wrk -t2 -c50 -d5s
    .venv/bin/python -m bench.http_front --rounds 1 --duration 3   # a quick look, not a verdict

What lambgate does per request that uvicorn does not: the HTTP API's event (JSON) is built in
the front, handed to an execution environment (a worker process) through the Lambda Runtime
API over HTTP (the result posted back with the next ``/next``, the 202 returned with the next
event: one write each way per invocation), run there by lambgate's Lambda handler, and the
result judged as API Gateway would; plus an access-log line and a ``REPORT`` line. Each
environment serves one request at a time, as Lambda's do. The targets are issue 9's:
at least 0.1x uvicorn's requests/s, p99 latency at most 10x uvicorn's.

Also reported: the cold start (from starting the server to its first 200, and the first
request's own latency, which holds lambgate's environment start) and the resident memory of
each execution environment (``VmRSS`` in ``/proc/PID/status``).

wrk must be installed (``apt-get install wrk``); nothing here pretends to be it.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
APP = "bench.hello_app:app"
#: wrk's load, as issue 9 measures it: two threads, 50 connections kept alive.
THREADS = 2
CONNECTIONS = 50
#: Issue 9's targets: lambgate's req/s over uvicorn's, and lambgate's p99 over uvicorn's.
MIN_THROUGHPUT_RATIO = 0.1
MAX_P99_RATIO = 10.0
#: Bounded waits for starting (first 200) and stopping (after SIGINT, then SIGKILL) a server.
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    #: Non-2xx/3xx answers plus socket errors: any makes the run invalid.
    errors: int


@dataclass(frozen=True)
class ColdStart:
    #: From starting the process to the first 200 answer.
    to_first_200_ms: float
    #: The first request's own latency (lambgate: it starts the execution environment).
    first_request_ms: float


class Server:
    """A server process we start and stop by PID, its output kept in a temporary file."""

    def __init__(self, name: str, command: Sequence[str], port: int) -> None:
        self.name = name
        self.port = port
        # Closed in stop(): the server outlives any one with-block here.
        self.output: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def cold_start(self) -> ColdStart:
        """Poll until the first ``200 Hello``; the poll itself starts lambgate's environment."""
        deadline = self.started + START_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()}")
            sent = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", "/")
                answer = connection.getresponse()
                body = answer.read()
                connection.close()
            except OSError:
                time.sleep(0.005)
                continue
            done = time.perf_counter()
            if (answer.status, body) != (200, b"Hello"):
                raise RuntimeError(f"{self.name} answered {answer.status} {body!r}")
            return ColdStart((done - self.started) * 1000, (done - sent) * 1000)
        raise RuntimeError(f"{self.name} gave no 200 within {START_TIMEOUT_S} s:\n{self.log()}")

    def log(self) -> str:
        self.output.seek(0)
        return self.output.read()[-4000:].decode("utf-8", "replace")

    def stop(self) -> None:
        """SIGINT (Ctrl-C) and a bounded wait; SIGKILL if it did not stop."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_S)
        self.output.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency_ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no {percentile}% line in wrk's output:\n{output}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if rate is None:
        raise RuntimeError(f"no Requests/sec in wrk's output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output)) + sum(
        int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output)
    )
    return WrkResult(float(rate[1]), _latency_ms(output, "50"), _latency_ms(output, "99"), errors)


def run_wrk(url: str, seconds: int) -> WrkResult:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


def rss_mib(pid: int) -> float | None:
    """Resident memory now (``VmRSS``), MiB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (``/proc/PID/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def _ratio_line(metric: str, ours: float, peer: float, target: str, passed: bool | None) -> str:
    verdict = "" if passed is None else ("pass" if passed else "FAIL")
    ratio = f"{ours / peer:.3f}x" if peer else "-"
    return f"{metric:<34} {ours:>11.2f} {peer:>11.2f} {ratio:>9} {target:>8}  {verdict}"


def _spread(ratios: list[float]) -> str:
    """``0.091x (0.072x-0.153x)``: the median of per-round ratios and their range."""
    return f"{statistics.median(ratios):.3f}x ({min(ratios):.3f}x-{max(ratios):.3f}x)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk before measuring")
    parser.add_argument(
        "--rounds", type=int, default=5, help="measured runs of each, alternating (median)"
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench.http_front needs wrk on PATH (apt-get install wrk)", file=sys.stderr)
        return 2
    python = sys.executable
    lambgate_port, uvicorn_port = free_port(), free_port()
    commands = {
        "lambgate": [
            *(python, "-m", "lambgate", "serve", APP, "--format", "http"),
            *("--port", str(lambgate_port), "--lambda-port", str(free_port())),
        ],
        "uvicorn": [
            *(python, "-m", "uvicorn", APP, "--http", "httptools", "--loop", "uvloop"),
            "--no-access-log",
            *("--host", "127.0.0.1", "--port", str(uvicorn_port), "--log-level", "warning"),
        ],
    }
    ports = {"lambgate": lambgate_port, "uvicorn": uvicorn_port}
    servers: list[Server] = []
    cold: dict[str, ColdStart] = {}
    results: dict[str, list[WrkResult]] = {name: [] for name in commands}
    cpu_s: dict[str, float] = dict.fromkeys(("lambgate", "workers", "uvicorn"), 0.0)
    try:
        for name, command in commands.items():
            # One at a time, so neither start-up competes with the other for the CPU.
            servers.append(Server(name, command, ports[name]))
            cold[name] = servers[-1].cold_start()
        lambgate, uvicorn = servers
        for server in servers:
            run_wrk(server.url, args.warmup)
        workers = children_of(lambgate.process.pid)
        for round_number in range(args.rounds):
            for server in servers if round_number % 2 == 0 else servers[::-1]:
                pids = {server.name: [server.process.pid]}
                if server is lambgate:
                    pids["workers"] = workers
                before = {key: sum(map(cpu_seconds, group)) for key, group in pids.items()}
                results[server.name].append(run_wrk(server.url, args.duration))
                for key, group in pids.items():
                    cpu_s[key] += sum(map(cpu_seconds, group)) - before[key]
        worker_rss = [rss for rss in map(rss_mib, workers) if rss is not None]
        front_rss = rss_mib(lambgate.process.pid) or 0.0
        uvicorn_rss = rss_mib(uvicorn.process.pid) or 0.0
    finally:
        for server in servers:
            server.stop()

    def median(name: str, field: str) -> float:
        return float(statistics.median(getattr(result, field) for result in results[name]))

    errors = {name: sum(r.errors for r in runs) for name, runs in results.items()}
    ours_rps, peer_rps = median("lambgate", "requests_per_s"), median("uvicorn", "requests_per_s")
    ours_p99, peer_p99 = median("lambgate", "p99_ms"), median("uvicorn", "p99_ms")
    print(
        f"wrk -t{THREADS} -c{CONNECTIONS} -d{args.duration}s --latency, {args.rounds} round(s), "
        f"after {args.warmup} s of warm-up; {os.cpu_count()} CPUs"
    )
    header = f"{'':<34} {'lambgate':>11} {'uvicorn':>11} {'ratio':>9} {'target':>8}  result"
    print(header)
    print("-" * len(header))
    throughput_ok = ours_rps >= MIN_THROUGHPUT_RATIO * peer_rps
    p99_ok = ours_p99 <= MAX_P99_RATIO * peer_p99
    print(
        _ratio_line("requests/s", ours_rps, peer_rps, f">={MIN_THROUGHPUT_RATIO:g}x", throughput_ok)
    )
    print(_ratio_line("p99 latency (ms)", ours_p99, peer_p99, f"<={MAX_P99_RATIO:g}x", p99_ok))
    print(
        _ratio_line(
            "p50 latency (ms)", median("lambgate", "p50_ms"), median("uvicorn", "p50_ms"), "", None
        )
    )
    print(
        _ratio_line(
            "start to first 200 (ms)",
            cold["lambgate"].to_first_200_ms,
            cold["uvicorn"].to_first_200_ms,
            "",
            None,
        )
    )
    print(
        _ratio_line(
            "first request latency (ms)",
            cold["lambgate"].first_request_ms,
            cold["uvicorn"].first_request_ms,
            "",
            None,
        )
    )
    print(_ratio_line("server process RSS (MiB)", front_rss, uvicorn_rss, "", None))
    pairs = list(zip(results["lambgate"], results["uvicorn"], strict=True))
    print(
        "per round (lambgate over the uvicorn run beside it): requests/s "
        + _spread([ours.requests_per_s / peer.requests_per_s for ours, peer in pairs])
        + ", p99 "
        + _spread([ours.p99_ms / peer.p99_ms for ours, peer in pairs])
    )
    if worker_rss:
        print(
            f"execution environments: {len(worker_rss)}, RSS each (MiB): median "
            f"{statistics.median(worker_rss):.1f}, min {min(worker_rss):.1f}, "
            f"max {max(worker_rss):.1f}"
        )
    served = {
        name: sum(r.requests_per_s for r in runs) * args.duration for name, runs in results.items()
    }
    per_request = {
        key: cpu_s[key] / served["uvicorn" if key == "uvicorn" else "lambgate"] * 1e6
        for key in cpu_s
    }
    print(
        f"CPU per request (µs): lambgate front {per_request['lambgate']:.0f} + execution "
        f"environments {per_request['workers']:.0f}; uvicorn {per_request['uvicorn']:.0f}"
    )
    if any(errors.values()):
        print(f"errors (non-2xx or socket): {errors}: the run is not valid")
        return 1
    return 0 if throughput_ok and p99_ok else 1


if __name__ == "__main__":
    sys.exit(main())
