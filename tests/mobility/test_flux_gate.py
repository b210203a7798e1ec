"""The statistics opt-out asks the policy gate: an objection in the ledger before the period
removes the subscriber from the statistics; one withdrawn before it does not."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from trustflux.config import Settings
from trustflux.db import create_db_engine, upgrade
from trustflux.ledger import Choice, Event, Ledger, Method
from trustflux.mobility.calendar import Period
from trustflux.mobility.noise import SeededNoise
from trustflux.mobility.pipeline import run_statistics
from trustflux.pipeline import MOBILITY_PURPOSE, gate_objectors
from trustflux.register import load_register

PERIOD = Period(date(2026, 3, 2), 1)


def test_objection_in_the_ledger_excludes_the_subscriber(
    small_world: tuple[Settings, Path], tmp_path: Path
) -> None:
    base, _ = small_world
    home = tmp_path / "home"
    shutil.copytree(base.home, home, ignore=shutil.ignore_patterns("tmp"))
    settings = base.model_copy(update={"home": home})
    register = load_register(settings.register_dir)
    assert gate_objectors(settings, register, PERIOD) == []

    engine = create_db_engine(settings.sqlalchemy_url)
    upgrade(engine)
    ledger = Ledger(engine, register)
    before = datetime(2026, 3, 1, tzinfo=UTC)
    for sid in ("S000000001", "S000000002"):
        ledger.append(
            Choice(sid, MOBILITY_PURPOSE, Event.OBJECTED, Method.ACCOUNT_AREA, occurred_at=before)
        )
    ledger.append(
        Choice(
            "S000000002",
            MOBILITY_PURPOSE,
            Event.WITHDRAWN,
            Method.ACCOUNT_AREA,
            occurred_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
        )
    )
    engine.dispose()

    objectors = gate_objectors(settings, register, PERIOD)
    assert objectors == ["S000000001"]
    result = run_statistics(settings, PERIOD, objectors=objectors, noise=SeededNoise(b"gate-seed"))
    assert result.counts["objectors"] == 1
    assert result.counts["events_kept"] < result.counts["events_in_period"]
