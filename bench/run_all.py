"""Every benchmark, one combined table: ``.venv/bin/python -m bench.run_all [--quick]``.

``--quick`` trades precision for time (fewer, shorter repeats): for a look, not for a verdict.
"""

from __future__ import annotations

import argparse

from bench import base64_body, guard_cost, import_time, warm_cost
from bench.measure import Row, format_details, format_table

__all__ = ["main"]


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args(argv)
    repeats = 5 if args.quick else 15
    rows = [
        *warm_cost.run(repeats, 20.0 if args.quick else 50.0),
        *guard_cost.run(repeats, 20.0 if args.quick else 50.0),
        *base64_body.run(repeats=repeats, min_loop_ms=100.0 if args.quick else 200.0),
        *import_time.run(10 if args.quick else 30),
    ]
    print(format_table(rows))
    print(format_details(rows))
    judged = [row for row in rows if row.target is not None]
    failed = [row.case for row in judged if not row.passed]
    print(
        f"\n{len(judged) - len(failed)}/{len(judged)} within target"
        + (f"; missed: {', '.join(failed)}" if failed else "")
    )
    return rows


if __name__ == "__main__":
    main()
