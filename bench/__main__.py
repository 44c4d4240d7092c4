"""`python -m bench [NAME ...]`: run the named benchmarks (all when none is named)."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from .harness import bench_run

NOT_BENCHMARKS = {"harness", "load", "bare", "__main__"}


def available() -> dict[str, object]:
    """Benchmark modules of this package: those with `run(bench)`, or a standalone `main()`."""
    found = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name in NOT_BENCHMARKS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)) or callable(getattr(module, "main", None)):
            found[info.name] = module
    return found


def _run_standalone(name: str, module, extra: list[str] | tuple = ()) -> None:
    """A module that builds everything itself: its `main()` with its own defaults and options."""
    saved, sys.argv = sys.argv, [f"python -m bench.{name}", *extra]
    try:
        module.main()
    finally:
        sys.argv = saved


def main(argv: list[str] | None = None) -> int:
    """Parse options, build the bench database once, run each selected benchmark."""
    benchmarks = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of: {', '.join(sorted(benchmarks))}")
    parser.add_argument("--clients", type=int, default=32, help="concurrent keep-alive clients (32)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured per round (8)")
    parser.add_argument("--requests", type=int, default=0, help="at most this many requests per round (0: no cap)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of subject and baseline (2)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: WEB_CONCURRENCY or cores)")
    args, extra = parser.parse_known_args(argv)
    unknown = [n for n in args.names if n not in benchmarks]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(sorted(benchmarks))}")
    selected = args.names or sorted(benchmarks)
    shared = [name for name in selected if callable(getattr(benchmarks[name], "run", None))]
    standalone = [name for name in selected if name not in shared]
    if extra and len(standalone) != 1:  # e.g. `python -m bench reports --members 5000`
        parser.error(f"unrecognized arguments: {' '.join(extra)} (other options go to one standalone benchmark)")
    for name in standalone:
        _run_standalone(name, benchmarks[name], extra)
    if shared:
        with bench_run(clients=args.clients, duration=args.duration, requests=args.requests, rounds=args.rounds,
                       workers=args.workers) as bench:
            for name in shared:
                benchmarks[name].run(bench)
    return 0


if __name__ == "__main__":
    sys.exit(main())
