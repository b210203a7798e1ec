"""Benchmark: the statistics pipeline end to end, in events per second and peak memory.

Usage: python benchmarks/flux.py [--events 10000000 100000000] [--engine duckdb]

For each size: generate a one-day world of about that many events, ingest it (not timed
here: see benchmarks/ingest.py), then time the statistics job from the store to the published
release (opt-out, pseudonymise, device level, aggregate, protect, extrapolate, publish). The
job runs in a child process so its peak memory (max RSS, including DuckDB) is its own.
Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from worlds import prepare_world


def job(home: Path, engine: str, memory_limit: str) -> None:
    """Child process: run the statistics job once and print one JSON line."""
    from trustflux.config import Settings
    from trustflux.mobility.calendar import Period
    from trustflux.mobility.pipeline import run_statistics

    settings = Settings(home=home, duckdb_memory_limit=memory_limit)
    shutil.rmtree(settings.releases_dir, ignore_errors=True)
    shutil.rmtree(settings.statistics_dir, ignore_errors=True)
    shutil.rmtree(settings.keys_dir, ignore_errors=True)
    t0 = time.perf_counter()
    result = run_statistics(settings, Period(date(2026, 3, 2), 1), engine=engine)
    seconds = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"seconds": seconds, "peak_gb": peak_gb, **result.counts}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[10_000_000, 100_000_000])
    parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory limit")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/.work"))
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--job", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        job(args.job, args.engine, args.memory_limit)
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; "
        f"{datetime.now(UTC):%Y-%m-%d}; engine {args.engine}"
    )
    for events in args.events:
        print(f"{events:,} events:", flush=True)
        home = prepare_world(args.work / f"flux-{events}", events, args.seed)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--job",
                str(home),
                "--engine",
                args.engine,
                "--memory-limit",
                args.memory_limit,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        rate = figures["events_in_period"] / figures["seconds"]
        print(
            f"  statistics job: {figures['events_in_period']:,} events, "
            f"{figures['devices']:,} devices in {figures['seconds']:.1f} s = {rate:,.0f} "
            f"events/s; peak memory {figures['peak_gb']:.2f} GB",
            flush=True,
        )


if __name__ == "__main__":
    main()
