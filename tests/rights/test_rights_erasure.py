"""Erasure end to end: afterwards nothing identifies the subscriber outside the kept stores,
the answer says what was kept and why, and their data sent again lands in quarantine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from rights_support import AT, NOW, RightsWorld, scan
from sqlalchemy import Engine, select

from trustflux.config import Settings
from trustflux.db.tables import accounts, metadata
from trustflux.engine.store import Store
from trustflux.errors import ErasedSubjectError
from trustflux.events.ingest import ingest_directory
from trustflux.ledger import Ledger
from trustflux.operations.gate import RegisterOnlyGate, ask_gate
from trustflux.operations.telemetry import TelemetryIngestor, run_telemetry
from trustflux.rights.erasure import erase_subject
from trustflux.rights.exports import export_access
from trustflux.rights.subjects import find_subject
from trustflux.rights.tombstones import ERASED_RECORD

ERASED_AT = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
REASON = "subscriber erased on 2026-03-06 (GDPR Art. 17): data about them is refused"
KEPT_TABLES = {
    "ledger_records": "consent_ledger",
    "ledger_state": "consent_ledger",
    "audit_entries": "audit_trail",
    "dsr_requests": "rights_requests",
    "otp_challenges": "rights_requests",
    "restrictions": "rights_requests",
    "tickets": "tickets",
}
KEPT_FOLDERS = ("operations/billing",)
BINARY = {".parquet", ".duckdb", ".wal", ".db", ".key"}


def identifiers(world: RightsWorld) -> list[str]:
    s = world.subject
    return [s.subscriber_id, s.msisdn, s.imsi, s.imei]


def residue(settings: Settings, engine: Engine, values: list[str]) -> list[str]:
    """Every place outside the kept stores where one of ``values`` still appears."""
    found: list[str] = []
    home = settings.home
    con = duckdb.connect()
    kept = [home / k for k in KEPT_FOLDERS]
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        if any(path.is_relative_to(k) for k in kept):
            continue
        if path.suffix == ".parquet":
            text = (
                f"SELECT concat_ws('|', COLUMNS(*)::VARCHAR) AS t FROM {scan(path)}"  # all columns
            )
            for v in values:
                row = con.execute(f"SELECT count(*) FROM ({text}) WHERE contains(t, ?)", [v])
                if row.fetchone()[0]:  # type: ignore[index]
                    found.append(f"{path.relative_to(home)}: {v}")
        elif path.suffix not in BINARY and not path.name.startswith("trustflux.duckdb"):
            content = path.read_bytes().decode("utf-8", errors="ignore")
            found += [f"{path.relative_to(home)}: {v}" for v in values if v in content]
    con.close()
    with Store(settings) as store:
        tables = [r[0] for r in store.raw.execute("SHOW TABLES").fetchall()]
        for table in tables:
            text = f"SELECT concat_ws('|', COLUMNS(*)::VARCHAR) AS t FROM {table}"
            for v in values:
                row = store.raw.execute(f"SELECT count(*) FROM ({text}) WHERE contains(t, ?)", [v])
                if row.fetchone()[0]:
                    found.append(f"catalog {table}: {v}")
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in KEPT_TABLES:
                continue
            for row in conn.execute(select(table)):
                text = "|".join(str(x) for x in row)
                found += [f"db {table.name}: {v}" for v in values if v in text]
    return found


def count_where(settings: Settings, folder: str, where: str, value: str) -> int:
    files = sorted((settings.store_dir / folder).rglob("*.parquet"))
    if not files:
        return 0
    sql = f"SELECT count(*) FROM read_parquet({[str(f) for f in files]}) WHERE {where}"
    return int(duckdb.connect().execute(sql, [value]).fetchone()[0])  # type: ignore[index]


def test_erasure_leaves_nothing_but_what_the_register_keeps(rights_world: RightsWorld) -> None:
    w, s = rights_world, rights_world.subject
    settings = w.settings
    assert s.gateway_id is not None
    values = [*identifiers(w), s.gateway_id]
    # an earlier access answer is on disk too; the world holds them in every store
    export_access(settings, w.register, w.engine, s.subscriber_id, request_id="req-a", at=AT)
    assert residue(settings, w.engine, values)
    own_events = count_where(settings, "events", "imsi = ?", s.imsi)
    calls_from_others = count_where(settings, "events", "counterpart = ?", s.msisdn)
    assert own_events > 100 and calls_from_others > 0
    schemas = {p.parent.name: pq.read_schema(p) for p in settings.store_dir.glob("events/*/*")}
    with w.engine.connect() as conn:
        account_hash = conn.execute(
            select(accounts.c.password_hash).where(accounts.c.subscriber_id == s.subscriber_id)
        ).scalar_one()

    report = erase_subject(
        settings, w.register, w.engine, s.subscriber_id, request_id="req-erase", at=ERASED_AT
    )

    removed = report.removed
    assert removed["events"] == own_events
    assert removed["events_counterpart_masked"] == calls_from_others
    assert removed["contract"] == 1 and removed["contract_period"] == 1
    assert removed["account"] == 1
    assert removed["telemetry"] > 0 and removed["fraud_alerts"] > 0
    assert removed["offers"] > 0 and removed["diagnostics"] > 0
    assert removed["quarantine"] >= 1 and removed["rights_exports"] == 1
    # nothing identifying them remains outside the kept stores: files, catalog, database
    assert residue(settings, w.engine, values) == []
    if w.engine.dialect.name == "sqlite":  # the account is gone from the file's free pages
        database = Path(str(w.engine.url.database))  # and from its write-ahead log too
        for path in [database, database.with_name(database.name + "-wal")]:
            raw = path.read_bytes() if path.exists() else b""
            assert account_hash.encode() not in raw, path
    assert count_where(settings, "events", "counterpart = ?", s.msisdn[:-4]) >= calls_from_others
    for part in settings.store_dir.glob("events/*/*"):
        assert pq.read_schema(part) == schemas[part.parent.name]
    # what is kept, and why
    kept = {k.store: k for k in report.kept}
    assert set(kept) == {
        "billing_invoices",
        "tickets",
        "consent_ledger",
        "audit_trail",
        "rights_requests",
        "erasure_markers",
    }
    assert kept["billing_invoices"].what == "Invoices and accounting records"
    assert kept["billing_invoices"].period == "P10Y"
    assert "L123-22" in kept["billing_invoices"].legal_ground
    assert kept["erasure_markers"].rows == 5
    for store in ("billing_invoices", "tickets", "consent_ledger", "audit_trail"):
        assert kept[store].rows > 0, store
    assert kept["rights_requests"].rows == 1
    assert "anonymous" in report.out_of_scope[0]
    assert json.loads(json.dumps(report.as_dict()))["kept"]
    assert Ledger(w.engine, w.register).history(s.subscriber_id)
    invoices = pq.read_table(next(settings.ops_dir.glob("billing/*/invoices.parquet")))
    assert s.subscriber_id in invoices.column("subscriber_id").to_pylist()

    # the erasure holds: lookups say so, a second run finds nothing to do
    with pytest.raises(ErasedSubjectError, match="erased on 2026-03-06"):
        find_subject(settings, s.subscriber_id)
    again = erase_subject(
        settings, w.register, w.engine, s.subscriber_id, request_id="req-erase-2", at=NOW
    )
    assert again.already_erased and not again.removed
    assert {k.store for k in again.kept} == set(kept)

    # their rows sent again are refused with the erasure as the reason, counts reconcile
    before = Store(settings)
    quarantined_before = before.quarantine_count()
    before.close()
    resent = ingest_directory(settings, w.inputs, now=NOW)
    for counts in resent.tables:
        assert counts.reconciles
        assert counts.read > 0 and counts.quarantined == counts.read, counts
        assert counts.accepted == 0
        assert any(REASON in reason for reason in counts.reasons), counts.reasons
    with Store(settings) as store:
        rows = store.raw.execute(
            "SELECT field, reason, record FROM quarantine ORDER BY quarantined_at"
        ).fetchall()[quarantined_before:]
    assert {r[0] for r in rows} >= {"imsi", "gateway_id", "subscriber_id"}
    assert all(REASON in r[1] and r[2] == ERASED_RECORD for r in rows)
    # telemetry by the subscriber job (file lines and MQTT messages) is refused the same way
    gate = RegisterOnlyGate(w.register)
    record = run_telemetry(
        settings,
        ask_gate(gate, "gateway_diagnostics", AT, settings),
        files=[w.mqtt_lines],
        actor="test",
        gate_at=AT,
    )
    assert record.counts["messages_quarantined"] == 1
    ingestor = TelemetryIngestor(settings, set(), "mqtt-test")
    ingestor.message(f"{settings.mqtt_topic_prefix}/{s.gateway_id}/telemetry", b"{}")
    ingestor.flush()
    assert ingestor.counts.reasons == {REASON: 1}
    assert residue(settings, w.engine, values) == []
    if w.engine.dialect.name == "sqlite":  # the account is gone from the file's free pages
        database = Path(str(w.engine.url.database))  # and from its write-ahead log too
        for path in [database, database.with_name(database.name + "-wal")]:
            raw = path.read_bytes() if path.exists() else b""
            assert account_hash.encode() not in raw, path
    # the subject's data never came back
    assert count_where(settings, "events", "imsi = ?", s.imsi) == 0


def test_an_unknown_subscriber_is_not_an_erased_one(rights_world: RightsWorld) -> None:
    from trustflux.errors import RequestNotFoundError

    with pytest.raises(RequestNotFoundError):
        erase_subject(
            rights_world.settings,
            rights_world.register,
            rights_world.engine,
            "NOBODY",
            request_id="r",
            at=NOW,
        )


def _unused(_: Path) -> None:  # keeps Path imported for annotations in helpers
    return None
