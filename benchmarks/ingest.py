"""Benchmark: synthetic world generation and validated ingestion, in events per second.

Usage: python benchmarks/ingest.py [--events 10000000] [--work benchmarks/.work]

Generates a world of about ``--events`` network events (one day), then ingests it into a
fresh home, and prints events/s for each step plus the peak memory of this process. Prints
figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from trustflux.config import Settings
from trustflux.events.ingest import ingest_directory
from trustflux.events.world import generate_world
from worlds import subscribers_for


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--work", type=Path, default=Path("benchmarks/.work"))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the world and the home")
    args = parser.parse_args()

    subscribers = subscribers_for(args.events)
    work = args.work / f"ingest-{args.events}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {datetime.now(UTC):%Y-%m-%d}")

    t0 = time.perf_counter()
    world = generate_world(work / "world", subscribers=subscribers, days=1, seed=args.seed)
    gen_s = time.perf_counter() - t0
    events = world.counts["events"]
    print(
        f"generate: {subscribers:,} subscribers x 1 day -> {events:,} events in {gen_s:.1f} s "
        f"= {events / gen_s:,.0f} events/s"
    )

    settings = Settings(home=work / "home")
    t0 = time.perf_counter()
    report = ingest_directory(settings, world.input_dir)
    total_s = time.perf_counter() - t0
    ev = next(t for t in report.tables if t.table == "events")
    print(
        f"ingest events: {ev.read:,} read, {ev.accepted:,} accepted, {ev.quarantined:,} "
        f"quarantined, {ev.duplicates:,} duplicates in {ev.seconds:.1f} s "
        f"= {ev.read / ev.seconds:,.0f} events/s"
    )
    rows = report.total("read")
    print(f"ingest all tables: {rows:,} rows in {total_s:.1f} s = {rows / total_s:,.0f} rows/s")

    t0 = time.perf_counter()
    again = ingest_directory(settings, world.input_dir)
    print(
        f"re-ingest (all duplicates): {again.total('duplicates'):,} rows in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    print(f"peak memory (this process): {peak_rss_gb():.2f} GB")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
