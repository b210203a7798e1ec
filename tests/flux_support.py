"""Helpers shared by the statistics tests: hand-made scenarios and running stages 1-4."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from input_support import SQUARE, luhn, write_inputs
from trustflux.config import Settings
from trustflux.engine.session import EngineSession, open_engine
from trustflux.engine.store import Store
from trustflux.events.ingest import ingest_directory
from trustflux.mobility.calendar import Period
from trustflux.mobility.device import DeviceRules
from trustflux.mobility.exact import ExactResult, Inputs, exact_statistics
from trustflux.mobility.keys import PeriodKey

REGIONS = ("R01", "R02")
LOCAL_OFFSET = timedelta(hours=1)  # Paris in March (before the DST change)


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """A local Paris time in early March, as the UTC instant the network records."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC) - LOCAL_OFFSET


def imei(i: int) -> str:
    return luhn(f"35000000000{i:03d}")


@dataclass
class Scenario:
    """A tiny operator: zones Z1, Z2 (region R01) and Z3 (R02), one cell each."""

    events: list[dict[str, Any]]
    subscribers: list[dict[str, Any]]

    def write(self, folder: Path) -> Path:
        zones = [
            dict(zone_id=z, name=z, region_id=r, population=p, lon=2.05, lat=45.05, geometry=SQUARE)
            for z, r, p in (("Z1", "R01", 5000), ("Z2", "R01", 8000), ("Z3", "R02", 3000))
        ]
        cells = [
            dict(
                radio="LTE",
                mcc="208",
                mnc="01",
                area_code=10,
                cell_id=i,
                lon=2.05,
                lat=45.05,
                azimuth=None,
                range_m=900,
                zone_id=f"Z{i}",
            )
            for i in (1, 2, 3)
        ]
        tables = {
            "zones": zones,
            "cells": cells,
            "subscribers": self.subscribers,
            "events": self.events,
        }
        return write_inputs(tables, folder)


def subscriber(i: int, region: str = "R01", zone: str = "Z1") -> dict[str, Any]:
    return dict(
        subscriber_id=f"S{i}",
        msisdn=f"3361000000{i}",
        imsi=own_imsi(i),
        imei=imei(i),
        contract_start=date(2025, 1, 1),
        contract_end=None,
        billing_zone_id=zone,
        billing_region_id=region,
        plan="P",
        gateway_id=None,
        age_bracket=None,
    )


def own_imsi(i: int) -> str:
    return f"20801{i:010d}"


def seen(imsi: str, cell: int, at: datetime) -> dict[str, Any]:
    return dict(
        imsi=imsi,
        ts=at,
        area_code=10,
        cell_id=cell,
        event_type="location_update",
        counterpart=None,
        duration_s=None,
        bytes_up=None,
        bytes_down=None,
    )


def every(
    imsi: str, cell: int, start: datetime, end: datetime, minutes: int = 20
) -> list[dict[str, Any]]:
    """An observation every ``minutes`` from start (included) to end (excluded)."""
    out = []
    t = start
    while t < end:
        out.append(seen(imsi, cell, t))
        t += timedelta(minutes=minutes)
    return out


def ingest_scenario(scenario: Scenario, root: Path) -> Settings:
    settings = Settings(home=root / "home", duckdb_memory_limit="2GB")
    ingest_directory(settings, scenario.write(root / "in"), now=datetime(2027, 1, 1, tzinfo=UTC))
    return settings


def run_exact(
    settings: Settings,
    period: Period,
    engine: str | EngineSession = "duckdb",
    objectors: Sequence[str] = (),
    key: PeriodKey | None = None,
    presence_slot_minutes: int = 30,
    regions: Sequence[str] = REGIONS,
    buckets: int = 1,
) -> ExactResult:
    """Stages 1-4 on the store of ``settings``."""
    with Store(settings) as store:
        files = {t: store.part_files(t) for t in ("events", "cells", "subscribers", "zones")}
    session = engine if isinstance(engine, EngineSession) else open_engine(engine, settings)
    try:
        inputs = Inputs(
            *(session.read_parquet(files[t]) for t in ("events", "cells", "subscribers", "zones")),
            session.table(pa.table({"subscriber_id": pa.array(list(objectors), pa.string())})),
        )
        return exact_statistics(
            session,
            inputs,
            period,
            key or PeriodKey("test", b"k" * 32),
            DeviceRules(),
            presence_slot_minutes,
            regions,
            buckets=buckets,
        )
    finally:
        if not isinstance(engine, EngineSession):
            session.close()


def rows(table: pa.Table, **where: Any) -> list[dict[str, Any]]:
    """Rows of an aggregate matching ``where`` (for readable assertions)."""
    return [r for r in table.to_pylist() if all(r[k] == v for k, v in where.items())]
