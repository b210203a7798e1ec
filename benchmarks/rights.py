"""Data-subject rights: access export and erasure of one subscriber in a store of N events.

Usage: python benchmarks/rights.py [--events 100000000] [--work benchmarks/.work]

A one-day world of about ``--events`` events is generated and ingested once (kept under
--work). Each run picks a subscriber who still has events, a home gateway and calls from
others (so every store is touched), then runs, each in a child process so its peak memory is
its own: the access export, the portability export and the erasure. Targets (issue): access
≤ 5 s and erasure ≤ 60 s at 100 M events on 2 cores. The erasure changes the world (one
subscriber fewer), so a later run picks another subscriber.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from worlds import prepare_world

AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def pick_subject(home: Path) -> str:
    """A subscriber with events, a gateway with telemetry and calls from other subscribers."""
    import duckdb

    con = duckdb.connect()
    store = home / "store"
    events = f"read_parquet('{store}/events/*/*.parquet', hive_partitioning = false)"
    row = con.execute(
        f"""
        WITH s AS (
            SELECT subscriber_id, imsi, msisdn FROM
            read_parquet('{store}/subscribers/*.parquet', hive_partitioning = false)
            WHERE gateway_id IS NOT NULL
            ORDER BY hash(subscriber_id) LIMIT 2000
        ), called AS (
            SELECT counterpart, count(*) AS n FROM {events}
            WHERE counterpart IN (SELECT msisdn FROM s) GROUP BY counterpart
        )
        SELECT s.subscriber_id FROM s JOIN called ON called.counterpart = s.msisdn
        ORDER BY called.n DESC, s.subscriber_id LIMIT 1
        """
    ).fetchone()
    if row is None:
        raise SystemExit("no subscriber with a gateway and incoming calls left in the world")
    return str(row[0])


def job(home: Path, step: str, subscriber_id: str) -> None:
    """One step in this (child) process; prints seconds, rows and peak RSS as JSON."""
    from trustflux.config import Settings
    from trustflux.db import create_db_engine, upgrade
    from trustflux.gate.contracts import sync_subscribers
    from trustflux.operations.common import read_store_table
    from trustflux.register import load_register
    from trustflux.rights.erasure import erase_subject
    from trustflux.rights.exports import export_access, export_portability

    root = Path(__file__).resolve().parents[1]
    settings = Settings(home=home, register_dir=root / "register")
    register = load_register(settings.register_dir)
    engine = create_db_engine(settings.sqlalchemy_url)
    upgrade(engine)
    if step == "access":  # the contract period the gate needs, for this subscriber only
        import pyarrow.compute as pc

        subs = read_store_table(
            settings, "subscribers", ["subscriber_id", "contract_start", "contract_end"]
        )
        mine = subs.filter(pc.equal(subs.column("subscriber_id"), subscriber_id))
        sync_subscribers(engine, mine, now=AT)
    t0 = time.perf_counter()
    figures: dict[str, object]
    if step in ("access", "portability"):
        export = export_access if step == "access" else export_portability
        result = export(
            settings, register, engine, subscriber_id, request_id=f"bench-{step}", at=AT
        )
        figures = {"rows": dict(result.counts), "zip_bytes": result.path.stat().st_size}
    else:
        report = erase_subject(
            settings, register, engine, subscriber_id, request_id="bench-erase", at=AT
        )
        figures = {"removed": dict(report.removed)}
    seconds = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps({"step": step, "seconds": round(seconds, 2), "peak_gb": peak_gb, **figures}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--work", type=Path, default=Path("benchmarks/.work"))
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each export (the machine is shared)"
    )
    parser.add_argument("--job", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        job(Path(args.job[0]), args.job[1], args.job[2])
        return
    load = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        flush=True,
    )
    home = prepare_world(args.work / f"rights-{args.events}", args.events, args.seed)
    events = sum(
        __import__("pyarrow.parquet").parquet.read_metadata(p).num_rows
        for p in (home / "store" / "events").rglob("*.parquet")
    )
    subject = pick_subject(home)
    print(f"{events:,} events in the store; subscriber {subject}", flush=True)
    steps = ["access"] * args.repeat + ["portability"] * args.repeat + ["erasure"]
    for step in steps:
        out = subprocess.run(
            [sys.executable, __file__, "--job", str(home), step, subject],
            check=True,
            capture_output=True,
            text=True,
        )
        print(out.stdout.strip().splitlines()[-1], f"(load {os.getloadavg()[0]:.2f})", flush=True)


if __name__ == "__main__":
    main()
