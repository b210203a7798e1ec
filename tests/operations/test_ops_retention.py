"""Retention: dated output folders and store partitions in a temporary home, each rule at its
boundary, the dry run, the audit entry and the command."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ops_support import ROOT
from typer.testing import CliRunner

from trustflux.audit import AuditTrail
from trustflux.cli_operations import ops_app
from trustflux.config import Settings
from trustflux.db import create_db_engine, upgrade
from trustflux.errors import OperationsError
from trustflux.operations.offers import PENDING_SCHEMA, pending_offers
from trustflux.operations.retention import RetentionReport, TargetReport, apply_retention
from trustflux.register import Register, load_register

NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
runner = CliRunner()


def _parquet(path: Path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"n": list(range(rows))}), path)


def _billing_month(ops: Path, month: str) -> None:
    folder = ops / "billing" / month
    _parquet(folder / "invoice_lines.parquet", 5)
    (folder / "invoice_lines.csv").write_text("n\n1\n")
    _parquet(folder / "invoices.parquet", 2)
    (folder / "invoices.csv").write_text("n\n1\n")
    (folder / "reconciliation.json").write_text("{}")


def _offer(subscriber: str, created: datetime) -> dict[str, object]:
    return {
        "subscriber_id": subscriber,
        "offer_id": "O1",
        "title": "t",
        "description": "d",
        "reasons": ["r"],
        "traits": [],
        "window": "2025-05-01_7d",
        "run_id": "offers-x",
        "created_at": created,
    }


@pytest.fixture
def home(settings: Settings) -> Settings:
    """A home with outputs and partitions on both sides of every boundary at ``NOW``."""
    ops, store = settings.ops_dir, settings.store_dir
    for month in ("2016-04", "2016-05", "2016-06", "2025-05", "2025-06"):
        _billing_month(ops, month)
    for label in ("2025-11-30", "2025-12-01_7d"):
        _parquet(ops / "fraud" / label / "alerts.parquet", 3)
    (ops / "fraud" / ".2025-01-01.run.tmp").mkdir(parents=True)  # a run's staging: left alone
    for label in ("2026-04-30", "2026-05-05"):
        _parquet(ops / "diagnostics" / label / "findings.parquet", 4)
    _parquet(ops / "network" / "2020-01-01" / "cell_hours.parquet", 10)
    (ops / "network" / "budget.json").write_text("{}")
    # 2025-05-31 UTC ends in June in Paris: its events are behind June's bill
    for day in ("2025-05-30", "2025-05-31"):
        _parquet(store / "events" / f"day={day}" / "part-a.parquet", 7)
    for day in ("2026-05-01", "2026-05-02"):
        _parquet(store / "telemetry" / f"day={day}" / "part-a.parquet", 6)
        _parquet(ops / "telemetry" / f"day={day}" / "part-b.parquet", 1)
    offers = ops / "offers"
    offers.mkdir(parents=True)
    table = pa.Table.from_pylist(
        [
            _offer("S1", datetime(2025, 5, 1, tzinfo=UTC)),
            _offer("S2", datetime(2025, 7, 1, tzinfo=UTC)),
        ],
        schema=PENDING_SCHEMA,
    )
    pq.write_table(table, offers / "pending.parquet")
    return settings


@pytest.fixture
def register() -> Register:
    return load_register(ROOT / "register")


def _target(report: RetentionReport, name: str) -> TargetReport:
    return next(t for t in report.targets if t.target == name)


def _check(report: RetentionReport) -> None:
    lines = _target(report, "billing invoice lines")
    assert lines.removed == ["2016-04", "2016-05", "2016-06", "2025-05"]
    assert lines.kept == ["2025-06"] and lines.files == 8 and lines.rows == 20
    invoices = _target(report, "billing invoices")
    assert invoices.removed == ["2016-04", "2016-05"]
    assert invoices.kept == ["2016-06", "2025-05", "2025-06"]
    assert "P10Y" in invoices.rule
    fraud = _target(report, "fraud alerts")
    assert (fraud.removed, fraud.kept, fraud.rows) == (["2025-11-30"], ["2025-12-01_7d"], 3)
    diagnostics = _target(report, "diagnostics findings")
    assert (diagnostics.removed, diagnostics.kept) == (["2026-04-30"], ["2026-05-05"])
    assert _target(report, "network aggregates").removed == []
    events = _target(report, "store events")
    assert (events.removed, events.kept) == (["day=2025-05-30"], ["day=2025-05-31"])
    assert events.rows == 7 and "billing" in events.rule and "P1Y" in events.rule
    for name in ("store telemetry", "received telemetry"):
        telemetry = _target(report, name)
        assert (telemetry.removed, telemetry.kept) == (["day=2026-05-01"], ["day=2026-05-02"])
    offers = _target(report, "pending offers")
    assert offers.rows == 1 and offers.kept == ["1 offer(s)"]


def test_a_dry_run_reports_and_deletes_nothing(
    home: Settings, register: Register, tmp_path: Path
) -> None:
    before = sorted(p for p in home.home.rglob("*"))
    engine = create_db_engine(f"sqlite:///{tmp_path / 'trustflux.db'}")
    upgrade(engine)
    trail = AuditTrail(engine)
    report = apply_retention(home, register, now=NOW, dry_run=True, trail=trail)
    _check(report)
    assert report.dry_run and sorted(p for p in home.home.rglob("*")) == before
    assert trail.entries() == []
    engine.dispose()


def test_retention_deletes_what_has_expired_and_records_it(
    home: Settings, register: Register, tmp_path: Path
) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'trustflux.db'}")
    upgrade(engine)
    trail = AuditTrail(engine)
    report = apply_retention(home, register, now=NOW, trail=trail, actor="nightly")
    _check(report)
    ops, store = home.ops_dir, home.store_dir
    assert not (ops / "billing" / "2016-05").exists()
    assert sorted(p.name for p in (ops / "billing" / "2025-05").iterdir()) == [
        "invoices.csv",
        "invoices.parquet",
        "reconciliation.json",
    ]
    assert (ops / "billing" / "2025-06" / "invoice_lines.parquet").exists()
    assert not (ops / "fraud" / "2025-11-30").exists()
    assert (ops / "fraud" / ".2025-01-01.run.tmp").exists()
    assert (ops / "network" / "2020-01-01" / "cell_hours.parquet").exists()
    assert (ops / "network" / "budget.json").exists()
    assert not (store / "events" / "day=2025-05-30").exists()
    assert (store / "events" / "day=2025-05-31").exists()
    assert not (ops / "telemetry" / "day=2026-05-01").exists()
    assert [o.subscriber_id for o in pending_offers(home)] == ["S2"]

    [entry] = trail.entries()
    assert (entry.action, entry.actor, entry.at) == ("retention.applied", "nightly", NOW)
    assert entry.details["removed"] == report.totals()["removed"]
    assert entry.details["targets"]["store events"]["rows"] == 7
    assert trail.verify().ok
    # a second pass finds nothing more to remove
    again = apply_retention(home, register, now=NOW)
    assert again.totals()["removed"] == 0 and again.totals()["files"] == 0
    engine.dispose()


def test_an_empty_home_is_fine_and_time_needs_a_zone(
    settings: Settings, register: Register
) -> None:
    report = apply_retention(settings, register, now=NOW)
    assert report.totals() == {"removed": 0, "kept": 0, "files": 0, "rows": 0}
    with pytest.raises(OperationsError, match="time zone"):
        apply_retention(settings, register, now=datetime(2026, 6, 1))


def test_the_retention_command(home: Settings) -> None:
    args = ["retention", "--now", NOW.isoformat(), "--home", str(home.home)]
    args += ["--register", str(home.register_dir)]
    dry = runner.invoke(ops_app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove" in dry.output and "dry run" in dry.output
    assert (home.store_dir / "events" / "day=2025-05-30").exists()
    done = runner.invoke(ops_app, [*args, "--actor", "ops-test"])
    assert done.exit_code == 0, done.output
    assert "day=2025-05-30" in done.output
    assert not (home.store_dir / "events" / "day=2025-05-30").exists()
    engine = create_db_engine(home.sqlalchemy_url)
    actions = [(e.action, e.actor) for e in AuditTrail(engine).entries()]
    engine.dispose()
    assert actions == [("retention.applied", "ops-test")]
    bad = runner.invoke(ops_app, ["retention", "--now", "2026-06-01", "--home", str(home.home)])
    assert bad.exit_code != 0 and "--now" in str(bad.exception)
