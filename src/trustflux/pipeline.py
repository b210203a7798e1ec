"""The main job: what ``trustflux run`` and ``make run`` do on the embedded default."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from trustflux.config import Settings
from trustflux.console import NullReporter, Reporter
from trustflux.events.ingest import IngestReport, ingest_directory
from trustflux.mobility.calendar import Period
from trustflux.mobility.keys import KeyStore
from trustflux.mobility.pipeline import StatisticsResult, run_statistics


@dataclass(frozen=True)
class MainJobResult:
    """Where the main job put things and what it counted."""

    world_dir: Path
    ingest: IngestReport
    purposes: int
    record_path: Path
    statistics: StatisticsResult | None
    previous_release: Path | None = None


MOBILITY_PURPOSE = "mobility_statistics"


def gate_objectors(settings: Settings, register: Any, period: Period) -> list[str]:
    """Subscribers the policy gate excludes from the statistics at the start of the period.

    The gate answers from the register (lawful basis, DPIA) and the ledger (objections) at
    that time; the opt-out stage then drops these before anything else.
    """
    import pyarrow.dataset as ds

    from trustflux.db import migrated_engine
    from trustflux.engine.store import Store
    from trustflux.gate import Gate

    with Store(settings) as store:
        files = [str(f) for f in store.part_files("subscribers")]
    if not files:
        return []
    subscribers = ds.dataset(files).to_table(columns=["subscriber_id"])
    with migrated_engine(settings.sqlalchemy_url) as engine:
        excluded = Gate(engine, register).excluded(MOBILITY_PURPOSE, period.start_utc, subscribers)
    return [str(v) for v in excluded.column("subscriber_id").to_pylist()]


def run_main_job(
    settings: Settings,
    *,
    subscribers: int,
    days: int,
    seed: int,
    engine: str | None = None,
    reporter: Reporter | None = None,
) -> MainJobResult:
    """World (generated once per size and seed) -> ingest -> register -> statistics.

    Running it again reuses the world, ingests nothing new, and does not publish the same
    period twice (its key is destroyed): it points at the earlier release instead.
    """
    from trustflux.events.world import generate_world
    from trustflux.register import load_register, write_record

    reporter = reporter or NullReporter()
    register = load_register(settings.register_dir)
    world_dir = settings.home / "worlds" / f"s{subscribers}-d{days}-seed{seed}"
    if not (world_dir / "world.json").exists():
        generate_world(world_dir, subscribers=subscribers, days=days, seed=seed, reporter=reporter)
    report = ingest_directory(settings, world_dir, reporter=reporter)
    record = write_record(register, "html", settings.home / "record-of-processing.html")
    params = json.loads((world_dir / "world.json").read_text())["parameters"]
    period = Period(date.fromisoformat(params["start"]), int(params["days"]), settings.slot_minutes)
    if KeyStore(settings.keys_dir).is_closed(period.label):
        earlier = sorted(settings.releases_dir.glob(f"flux-{period.label}-*"))
        return MainJobResult(
            world_dir,
            report,
            len(register.purposes),
            record,
            None,
            earlier[-1] if earlier else None,
        )
    objectors = gate_objectors(settings, register, period)
    stats = run_statistics(settings, period, engine=engine, objectors=objectors, reporter=reporter)
    from trustflux.audit import audit_release

    audit_release(settings, stats.metadata, stats.counts, actor="trustflux run")
    return MainJobResult(world_dir, report, len(register.purposes), record, stats)
