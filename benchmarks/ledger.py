"""Trust center benchmark: consent writes and gate decisions over HTTP, decisions in process,
and the bulk eligible set, against PostgreSQL.

    .venv/bin/python benchmarks/ledger.py                      # everything, defaults below
    .venv/bin/python benchmarks/ledger.py --skip-bulk --seconds 5
    .venv/bin/python benchmarks/ledger.py --database-url postgresql+psycopg://root@127.0.0.1:5432/test

Targets on 2 cores: >= 1,500 consent writes/s committed durably, >= 3,000 decisions/s over
HTTP, >= 50,000 decisions/s in process, eligible set of 10 M subscribers in <= 10 s.

The server is ``trustflux serve --workers N`` in a subprocess; the clients are raw asyncio
HTTP/1.1 keep-alive connections in this process (a light client, so that the figure is the
server's). Everything runs in a fresh PostgreSQL schema, dropped at the end. A write counts
only when the server answered 201, which it does after COMMIT (``synchronous_commit=on``);
the rows are counted in the database afterwards. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from trustflux.accounts import Accounts, Passwords, Role
from trustflux.db import create_db_engine, upgrade
from trustflux.db.tables import ledger_records
from trustflux.gate import Gate, sync_subscribers
from trustflux.ledger import Choice, Event, Ledger, Method
from trustflux.register import load_register

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"


# -- a light HTTP/1.1 client ----------------------------------------------------------------------
class Connection:
    """One keep-alive connection; one request in flight at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length) if length else b""
        return int(head[9:12]), body

    def close(self) -> None:
        self.writer.close()


def _post(path: str, body: bytes, token: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _get(path: str, token: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n".encode()


async def _drive(
    port: int, connections: int, seconds: float, make: Callable[[int, int], bytes], ok: int
) -> dict[str, float]:
    """``connections`` clients send ``make(client, n)`` in a loop for ``seconds``."""
    latencies: list[float] = []
    failures: dict[int, int] = {}
    done = 0
    stop_at = time.perf_counter() + seconds

    async def client(index: int) -> None:
        nonlocal done
        conn = await Connection.open(port)
        n = 0
        try:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                status, _ = await conn.request(make(index, n))
                latencies.append(time.perf_counter() - started)
                n += 1
                if status == ok:
                    done += 1
                else:
                    failures[status] = failures.get(status, 0) + 1
        finally:
            conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(connections)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "ok": done,
        "failed": sum(failures.values()),
        "failures": failures,  # type: ignore[dict-item]
        "seconds": elapsed,
        "per_second": done / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else 0.0,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else 0.0,
    }


# -- CPU accounting (Linux /proc): contention-proof cost per request ----------------------------
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def _processes(parent: int | None = None, name: str | None = None) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if (parent is not None and (ppid == parent or int(entry.name) == parent)) or (
            name is not None and comm.startswith(name)
        ):
            found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU used by the server (and its workers), PostgreSQL and this client during a phase."""

    def __init__(self, server_pid: int) -> None:
        self.server = _processes(parent=server_pid)
        self.postgres = _processes(name="postgres")

    def __enter__(self) -> CpuMeter:
        self.start = (_cpu_seconds(self.server), _cpu_seconds(self.postgres), time.process_time())
        return self

    def __exit__(self, *exc: object) -> None:
        self.postgres = _processes(name="postgres")  # backends may have come and gone
        end = (_cpu_seconds(self.server), _cpu_seconds(self.postgres), time.process_time())
        self.used = [max(0.0, b - a) for a, b in zip(self.start, end, strict=True)]

    def per_request(self, count: int) -> dict[str, float]:
        server, postgres, client = (1e6 * u / max(count, 1) for u in self.used)
        return {
            "server_cpu_us": server,
            "postgres_cpu_us": postgres,
            "client_cpu_us": client,
            "capacity_2_idle_cores": 2e6 / max(server + postgres + client, 1e-9),
        }


# -- database set-up ----------------------------------------------------------------------------
def _schema_url(base: str) -> tuple[str, str]:
    schema = f"tf_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def _drop(base: str, schema: str) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _subscribers(n: int, seed: int = 7) -> pa.Table:
    """``n`` subscribers (ids S000000000...) with contract periods, built vectorised."""
    rng = np.random.default_rng(seed)
    numbers = pa.array(np.arange(n, dtype=np.int64)).cast(pa.string())
    ids = pc.binary_join_element_wise("S", pc.utf8_lpad(numbers, 9, "0"), "")
    start_days = rng.integers(date(2015, 1, 1).toordinal(), date(2026, 1, 1).toordinal(), n)
    epoch = date(1970, 1, 1).toordinal()
    starts = pa.array(start_days - epoch, pa.int32()).cast(pa.date32())
    ended = rng.random(n) < 0.15
    ends = pa.array(np.where(ended, start_days - epoch + 400, 0), pa.int32()).cast(pa.date32())
    ends = pc.if_else(pa.array(ended), ends, pa.nulls(n, pa.date32()))
    return pa.table({"subscriber_id": ids, "contract_start": starts, "contract_end": ends})


def _copy_rows(engine: Any, table: str, columns: list[str], rows: io.StringIO) -> None:
    rows.seek(0)
    with engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            while chunk := rows.read(1 << 20):
                copy.write(chunk)


def _load_ledger_state(engine: Any, ids: pa.Array, purpose: str, event: str, share: float) -> int:
    """Synthetic latest states (and their records) for a share of subscribers, by COPY."""
    rng = np.random.default_rng(hash(purpose) % 2**32)
    chosen = ids.filter(pa.array(rng.random(len(ids)) < share)).to_pylist()
    moment = datetime(2026, 1, 10, tzinfo=UTC).isoformat()
    records, states = io.StringIO(), io.StringIO()
    digest = "0" * 64
    for subscriber in chosen:
        record_id = str(uuid.uuid4())
        records.write(
            f"{record_id}\t{subscriber}\tsubscriber\t{purpose}\t1\t{event}\t{moment}\t{moment}\t"
            f"api\tFRA\t\\N\t2025.1\t{digest}\tfr\tbench\t\\N\t{digest}\n"
        )
        states.write(
            f"{subscriber}\t{purpose}\tsubscriber\t1\t{record_id}\t{event}\t{moment}\t\\N\tapi\t"
            f"2025.1\t{digest}\n"
        )
    _copy_rows(
        engine,
        "ledger_records",
        [
            "record_id",
            "subject_id",
            "subject_kind",
            "purpose",
            "seq",
            "event",
            "occurred_at",
            "recorded_at",
            "method",
            "jurisdiction",
            "expires_at",
            "notice_version",
            "notice_hash",
            "language",
            "actor",
            "prev_hash",
            "record_hash",
        ],
        records,
    )
    _copy_rows(
        engine,
        "ledger_state",
        [
            "subject_id",
            "purpose",
            "subject_kind",
            "seq",
            "record_id",
            "event",
            "occurred_at",
            "expires_at",
            "method",
            "notice_version",
            "record_hash",
        ],
        states,
    )
    return len(chosen)


# -- the measurements -------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_server(url: str, home: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {
        **os.environ,
        "TRUSTFLUX_DATABASE_URL": url,
        "TRUSTFLUX_HOME": str(home),
        "TRUSTFLUX_REGISTER_DIR": str(ROOT / "register"),
        "TRUSTFLUX_SECRET_KEY": "benchmark-secret-key-0123456789-abcdefghij",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "trustflux"),
            "serve",
            "--workers",
            str(workers),
            "--port",
            str(port),
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(1.0)  # let every worker finish its start-up
                return server, port
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(
                    server.stderr.read().decode() if server.stderr else "server died"
                ) from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("server did not start")


def http_writes(
    port: int, token: str, subjects: list[str], connections: int, seconds: float
) -> dict[str, float]:
    """Each client owns a slice of subjects and alternates their consent (given, refused)."""
    slices = [subjects[i::connections] for i in range(connections)]

    def make(client: int, n: int) -> bytes:
        mine = slices[client]
        subject = mine[n % len(mine)]
        event = "given" if (n // len(mine)) % 2 == 0 else "refused"
        body = json.dumps(
            {"subject": subject, "purpose": "targeted_offers", "event": event, "method": "api"}
        ).encode()
        return _post("/api/v1/records", body, token)

    return asyncio.run(_drive(port, connections, seconds, make, 201))


def http_decisions(
    port: int, token: str, subjects: list[str], connections: int, seconds: float
) -> dict[str, float]:
    purposes = ["targeted_offers", "mobility_statistics", "billing", "fraud_detection"]
    rng = random.Random(3)
    paths = [
        f"/api/v1/decisions?subject={rng.choice(subjects)}&purpose={rng.choice(purposes)}"
        for _ in range(20_000)
    ]

    def make(client: int, n: int) -> bytes:
        return _get(paths[(client * 7919 + n) % len(paths)], token)

    return asyncio.run(_drive(port, connections, seconds, make, 200))


def in_process(gate: Gate, subjects: list[str], count: int) -> dict[str, float]:
    purposes = ["targeted_offers", "mobility_statistics", "billing", "fraud_detection"]
    rng = random.Random(5)
    queries = [(rng.choice(subjects), rng.choice(purposes)) for _ in range(count)]
    began = time.perf_counter()
    snapshot = gate.snapshot(purposes, subjects)
    load = time.perf_counter() - began
    began = time.perf_counter()
    for subject, purpose in queries:
        snapshot.decide(subject, purpose)
    per_snapshot = count / (time.perf_counter() - began)
    batch = [(s, p, None) for s, p in queries[:100_000]]
    began = time.perf_counter()
    for offset in range(0, len(batch), 1000):
        gate.decide_many(batch[offset : offset + 1000])
    per_batch = len(batch) / (time.perf_counter() - began)
    began = time.perf_counter()
    for subject, purpose in queries[:3000]:
        gate.decide(subject, purpose)
    per_single = 3000 / (time.perf_counter() - began)
    return {
        "snapshot_per_second": per_snapshot,
        "snapshot_load_seconds": load,
        "decide_many_per_second": per_batch,
        "decide_single_query_per_second": per_single,
    }


def bulk(url: str, register: Any, n: int) -> dict[str, float]:
    engine = create_db_engine(url)
    table = _subscribers(n)
    ids = table.column("subscriber_id").combine_chunks()
    began = time.perf_counter()
    objectors = _load_ledger_state(engine, ids, "mobility_statistics", "objected", 0.10)
    consents = _load_ledger_state(engine, ids, "targeted_offers", "given", 0.05)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE ledger_state"))
        conn.execute(text("ANALYZE ledger_records"))
    setup = time.perf_counter() - began
    gate = Gate(engine, register)
    out: dict[str, float] = {
        "subscribers": n,
        "objectors": objectors,
        "consents": consents,
        "setup_seconds": setup,
    }
    for name, purpose, at in (
        ("opt_out_now", "mobility_statistics", None),
        ("opt_in_now", "targeted_offers", None),
        ("contract_now", "billing", None),
        ("opt_out_in_the_past", "mobility_statistics", datetime(2026, 2, 1, tzinfo=UTC)),
    ):
        began = time.perf_counter()
        result = gate.eligible(purpose, at, table)
        out[f"{name}_seconds"] = time.perf_counter() - began
        out[f"{name}_rows"] = result.num_rows
    began = time.perf_counter()
    excluded = gate.excluded("mobility_statistics", None, table)
    out["excluded_opt_out_seconds"] = time.perf_counter() - began
    out["excluded_opt_out_rows"] = excluded.num_rows
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TRUSTFLUX_TEST_DATABASE_URL", DEFAULT_URL),
        help="PostgreSQL to run in (a fresh schema is created and dropped).",
    )
    parser.add_argument(
        "--subscribers", type=int, default=50_000, help="subscribers for HTTP tests"
    )
    parser.add_argument("--bulk-subscribers", type=int, default=10_000_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-bulk", action="store_true")
    args = parser.parse_args()

    register = load_register(ROOT / "register")
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "workers": args.workers,
        "connections": args.connections,
    }
    url, schema = _schema_url(args.database_url)
    try:
        engine = create_db_engine(url)
        upgrade(engine)
        with engine.connect() as conn:
            results["postgres"] = conn.execute(text("SHOW server_version")).scalar()
            results["synchronous_commit"] = conn.execute(text("SHOW synchronous_commit")).scalar()
            results["fsync"] = conn.execute(text("SHOW fsync")).scalar()
        population = _subscribers(args.subscribers, seed=11)
        sync_subscribers(engine, population, now=datetime.now(UTC))
        subjects = population.column("subscriber_id").to_pylist()
        ledger = Ledger(engine, register)
        seeded = [
            [
                Choice(
                    s,
                    "mobility_statistics",
                    Event.OBJECTED,
                    Method.API,
                    occurred_at=datetime(2026, 1, 5, tzinfo=UTC),
                )
            ]
            for s in subjects[::10]
        ]
        for offset in range(0, len(seeded), 2000):
            ledger.append_batch(seeded[offset : offset + 2000])
        accounts = Accounts(engine, Passwords())
        _, agent = accounts.create_token("bench agent", Role.AGENT)
        _, analyst = accounts.create_token("bench analyst", Role.ANALYST)

        if not args.skip_http:
            with tempfile.TemporaryDirectory() as home:
                server, port = _start_server(url, Path(home), args.workers)
                try:
                    with engine.connect() as conn:
                        before = conn.execute(
                            select(func.count()).select_from(ledger_records)
                        ).scalar_one()
                    with CpuMeter(server.pid) as meter:
                        writes = http_writes(port, agent, subjects, args.connections, args.seconds)
                    writes.update(meter.per_request(int(writes["ok"])))
                    with engine.connect() as conn:
                        after = conn.execute(
                            select(func.count()).select_from(ledger_records)
                        ).scalar_one()
                    writes["rows_committed"] = after - before
                    results["http_writes"] = writes
                    _report("consent writes over HTTP (201 after COMMIT)", writes)
                    print(f"  rows in ledger_records afterwards: +{after - before:,}")
                    with CpuMeter(server.pid) as meter:
                        decisions = http_decisions(
                            port, analyst, subjects, args.connections, args.seconds
                        )
                    decisions.update(meter.per_request(int(decisions["ok"])))
                    results["http_decisions"] = decisions
                    _report("decisions over HTTP", decisions)
                finally:
                    server.send_signal(signal.SIGINT)
                    try:
                        server.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        server.kill()

        gate = Gate(engine, register)
        local = in_process(gate, subjects, 300_000)
        results["in_process"] = local
        print(
            "decisions in process: "
            f"{local['snapshot_per_second']:,.0f}/s from a snapshot "
            f"(loaded in {local['snapshot_load_seconds']:.2f} s), "
            f"{local['decide_many_per_second']:,.0f}/s with decide_many, "
            f"{local['decide_single_query_per_second']:,.0f}/s one query each"
        )
        engine.dispose()
        if not args.skip_bulk:
            bulk_url, bulk_schema = _schema_url(args.database_url)  # a ledger of its own
            try:
                engine = create_db_engine(bulk_url)
                upgrade(engine)
                engine.dispose()
                figures = bulk(bulk_url, register, args.bulk_subscribers)
            finally:
                _drop(args.database_url, bulk_schema)
            results["bulk"] = figures
            print(
                f"bulk eligible set, {figures['subscribers']:,.0f} subscribers "
                f"({figures['objectors']:,.0f} objections, {figures['consents']:,.0f} consents; "
                f"set-up by COPY {figures['setup_seconds']:.1f} s):"
            )
            for name in ("opt_out_now", "opt_in_now", "contract_now", "opt_out_in_the_past"):
                print(
                    f"  {name:<22} {figures[name + '_seconds']:6.2f} s  "
                    f"{figures[name + '_rows']:>12,.0f} eligible"
                )
            print(f"  excluded (opt-out)     {figures['excluded_opt_out_seconds']:6.2f} s")
    finally:
        _drop(args.database_url, schema)
    print(json.dumps(results, default=str))


def _report(title: str, figures: dict[str, Any]) -> None:
    print(
        f"{title}: {figures['per_second']:,.0f}/s "
        f"({figures['ok']:,} ok, {figures['failed']:,} failed {figures['failures']}, "
        f"{figures['seconds']:.1f} s, p50 {figures['p50_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms)"
    )
    print(
        f"  CPU per request: server {figures['server_cpu_us']:.0f} us, PostgreSQL "
        f"{figures['postgres_cpu_us']:.0f} us, client {figures['client_cpu_us']:.0f} us "
        f"-> {figures['capacity_2_idle_cores']:,.0f}/s if they had 2 idle cores to themselves"
    )


if __name__ == "__main__":
    main()
