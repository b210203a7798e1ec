"""Rights test support: a private copy of the small world where one subscriber is held everywhere.

The subject is a subscriber the fraud job flags (a SIM box) whose number other subscribers
call; they are given a home gateway with a diagnosed fault (taken from its owner), consent to
offers, an account, an audit entry, a request, a ticket, a refused input row and MQTT
telemetry. Then billing, fraud, offers and diagnostics run through their own functions. The
relational store is SQLite and PostgreSQL (each module gets its own).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from sqlalchemy import Engine, insert

from trustflux.accounts.roles import Role
from trustflux.accounts.store import Accounts
from trustflux.audit.trail import AuditTrail
from trustflux.config import Settings
from trustflux.db import create_db_engine, upgrade
from trustflux.db.tables import tickets
from trustflux.events.ingest import ingest_directory
from trustflux.gate.contracts import sync_subscribers
from trustflux.ledger import Ledger
from trustflux.ledger.model import Choice, Event, Method
from trustflux.operations.billing import run_billing
from trustflux.operations.common import Window
from trustflux.operations.diagnostics import run_diagnostics
from trustflux.operations.fraud import run_fraud
from trustflux.operations.gate import RegisterOnlyGate, ask_gate, eligible_ids, gate_subscribers
from trustflux.operations.offers import run_offers
from trustflux.operations.telemetry import run_telemetry
from trustflux.register import Register, load_register
from trustflux.rights.requests import RequestBook
from trustflux.rights.subjects import SubjectIds, find_subject

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
WINDOW = Window.local_days(date(2026, 3, 2), 2, "Europe/Paris")
NOW = datetime(2027, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RightsWorld:
    settings: Settings
    register: Register
    engine: Engine
    subject: SubjectIds
    previous_owner: str
    """The subscriber whose gateway the subject was given."""
    inputs: Path
    """The subject's rows as ingested (subscribers, events, telemetry), to send again."""
    mqtt_lines: Path


def scan(pattern: Path) -> str:
    """A Parquet glob as DuckDB reads it, without taking ``day=`` folders for a column."""
    return f"read_parquet('{pattern}', hive_partitioning = false)"


def pick(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[str, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None, sql
    return tuple(str(v) for v in row)


def build_world(small_world: tuple[Settings, Path], target: Path, db_url: str) -> RightsWorld:
    base, _ = small_world
    home = target / "home"
    shutil.copytree(base.home, home, ignore=shutil.ignore_patterns("tmp"))
    settings = base.model_copy(
        update={"home": home, "register_dir": ROOT / "register", "database_url": db_url}
    )
    register = load_register(ROOT / "register")
    gate = RegisterOnlyGate(register)
    store, ops = settings.store_dir, settings.ops_dir

    def everyone(purpose: str) -> object:
        return ask_gate(gate, purpose, AT, settings)

    common = {"actor": "test", "gate_at": AT}
    # who: the flagged SIM with the most calls from others; a gateway with a diagnosed fault
    run_fraud(settings, everyone("fraud_detection"), window=WINDOW, **common)  # type: ignore[arg-type]
    run_diagnostics(settings, everyone("gateway_diagnostics"), window=WINDOW, **common)  # type: ignore[arg-type]
    con = duckdb.connect()
    subs = scan(store / "subscribers" / "*.parquet")
    events = scan(store / "events" / "*" / "*.parquet")
    (sid,) = pick(
        con,
        f"SELECT a.subscriber_id FROM {scan(ops / 'fraud' / '*' / 'alerts.parquet')} a "
        f"JOIN {subs} s USING (subscriber_id) ORDER BY (SELECT count(*) FROM {events} e "
        "WHERE e.counterpart = s.msisdn) DESC, a.subscriber_id LIMIT 1",
    )
    gateway, owner = pick(
        con,
        f"SELECT f.gateway_id, s.subscriber_id FROM "
        f"{scan(ops / 'diagnostics' / '*' / 'findings.parquet')} f JOIN {subs} s USING "
        "(gateway_id) ORDER BY 1 LIMIT 1",
    )
    [part] = sorted((store / "subscribers").glob("*.parquet"))
    con.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN subscriber_id = $sid THEN $gw "
        "WHEN subscriber_id = $owner THEN NULL ELSE gateway_id END AS gateway_id) "
        f"FROM {scan(part)}) TO '{part}.new' (FORMAT parquet)",
        {"sid": sid, "gw": gateway, "owner": owner},
    )
    Path(f"{part}.new").replace(part)
    subject = find_subject(settings, sid)

    # the relational store: contract, account, consent, audit entry, request, ticket
    engine = create_db_engine(db_url)
    upgrade(engine)
    sync_subscribers(engine, gate_subscribers(settings), now=AT)
    Accounts(engine).create(f"user-{sid}", "correct horse battery staple", Role.SUBSCRIBER, sid)
    trail = AuditTrail(engine)
    Ledger(engine, register, audit=trail).append(
        Choice(
            subject=sid,
            purpose="targeted_offers",
            event=Event.GIVEN,
            method=Method.ACCOUNT_AREA,
            occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        )
    )
    trail.append(
        "agent:ana",
        "diagnosis_viewed",
        purpose="gateway_diagnostics",
        subject=sid,
        details={"gateway_id": gateway},
    )
    RequestBook(engine, trail).file(sid, "access", channel="account", filed_by=sid)
    with engine.begin() as conn:
        conn.execute(
            insert(tickets),
            {
                "ticket_id": f"T-{sid}",
                "subscriber_id": sid,
                "gateway_id": gateway,
                "reason": "WiFi drops every evening",
                "opened_by": "agent:ana",
                "opened_at": AT,
            },
        )

    # the subject's rows as stored: sent again after the erasure
    inputs = target / "resend"
    (inputs / "events").mkdir(parents=True)
    con.execute(
        f"COPY (SELECT * FROM {subs} WHERE subscriber_id = $sid) TO "
        f"'{inputs}/subscribers.parquet' (FORMAT parquet)",
        {"sid": sid},
    )
    con.execute(
        f"COPY (SELECT * FROM {events} WHERE imsi = $imsi ORDER BY ts) TO "
        f"'{inputs}/events/part-0.parquet' (FORMAT parquet)",
        {"imsi": subject.imsi},
    )
    con.execute(
        f"COPY (SELECT * FROM {scan(store / 'telemetry' / '*' / '*.parquet')} "
        f"WHERE gateway_id = $gw ORDER BY ts LIMIT 500) TO '{inputs}/telemetry.parquet' "
        "(FORMAT parquet)",
        {"gw": gateway},
    )
    # a refused input row about them (an unknown cell), so the quarantine names them
    bad = target / "bad"
    bad.mkdir()
    con.execute(
        f"COPY (SELECT * REPLACE (999999 AS cell_id) FROM {events} WHERE imsi = $imsi "
        f"LIMIT 1) TO '{bad}/events.parquet' (FORMAT parquet)",
        {"imsi": subject.imsi},
    )
    report = ingest_directory(settings, bad, now=NOW)
    assert report.total("quarantined") == 1
    # MQTT-path telemetry (JSON lines, as the subscriber job reads them) for their gateway
    mqtt_lines = target / "mqtt.jsonl"
    mqtt_lines.write_text(
        json.dumps(
            {
                "gateway_id": gateway,
                "ts": "2026-03-03T10:00:00Z",
                "params": {"Device.DeviceInfo.UpTime": "1000"},
            }
        )
        + "\n"
    )
    run_telemetry(settings, everyone("gateway_diagnostics"), files=[mqtt_lines], **common)  # type: ignore[arg-type]
    con.close()

    # the jobs, through their own functions
    run_billing(settings, everyone("billing"), month="2026-03", **common)  # type: ignore[arg-type]
    run_fraud(settings, everyone("fraud_detection"), window=WINDOW, **common)  # type: ignore[arg-type]
    run_offers(settings, eligible_ids(_one(sid)), window=WINDOW, **common)  # type: ignore[arg-type]
    run_diagnostics(settings, everyone("gateway_diagnostics"), window=WINDOW, **common)  # type: ignore[arg-type]
    return RightsWorld(settings, register, engine, subject, owner, inputs, mqtt_lines)


def _one(subscriber_id: str) -> object:
    import pyarrow as pa

    return pa.table({"subscriber_id": [subscriber_id]})


def parquet_rows(path: Path) -> int:
    return int(pq.read_metadata(path).num_rows)
