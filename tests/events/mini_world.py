"""A tiny, hand-checked input set for ingestion tests (independent of the generator)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from input_support import SQUARE, luhn
from trustflux.events.schemas import TABLES

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def base_rows() -> dict[str, list[dict[str, Any]]]:
    """Valid rows for every table: 2 zones, 3 cells, 3 subscribers, 2 days of events."""
    zones = [
        dict(
            zone_id="Z1",
            name="Centre",
            region_id="R1",
            population=12000,
            lon=2.05,
            lat=45.05,
            geometry=SQUARE,
        ),
        dict(
            zone_id="Z2",
            name="Nord",
            region_id="R1",
            population=3000,
            lon=2.05,
            lat=45.15,
            geometry=SQUARE,
        ),
    ]
    cells = [
        dict(
            radio="LTE",
            mcc="208",
            mnc="01",
            area_code=100,
            cell_id=1000 + i,
            lon=2.05,
            lat=45.05,
            azimuth=120 * i,
            range_m=800,
            zone_id="Z1" if i < 2 else "Z2",
        )
        for i in range(3)
    ]
    subs = [
        dict(
            subscriber_id=f"S{i:07d}",
            msisdn=f"3361234567{i}",
            imsi=f"20801000000000{i}",
            imei=luhn(f"35000000000{i:03d}"),
            contract_start=date(2024, 1, 1),
            contract_end=None,
            billing_zone_id="Z1",
            billing_region_id="R1",
            plan="MOB20",
            gateway_id=f"GW{i}" if i < 2 else None,
            age_bracket="25-34",
        )
        for i in range(3)
    ]
    events = []
    for s in subs:
        for k in range(4):
            ts = T0 + timedelta(hours=k * 7)
            events.append(
                dict(
                    imsi=s["imsi"],
                    ts=ts,
                    area_code=100,
                    cell_id=1000 + k % 3,
                    event_type="location_update",
                    counterpart=None,
                    duration_s=None,
                    bytes_up=None,
                    bytes_down=None,
                )
            )
        events.append(
            dict(
                imsi=s["imsi"],
                ts=T0 + timedelta(minutes=3),
                area_code=100,
                cell_id=1000,
                event_type="call_mo",
                counterpart="33145678901",
                duration_s=65,
                bytes_up=None,
                bytes_down=None,
            )
        )
        events.append(
            dict(
                imsi=s["imsi"],
                ts=T0 + timedelta(minutes=9),
                area_code=100,
                cell_id=1001,
                event_type="data_session",
                counterpart=None,
                duration_s=None,
                bytes_up=1200,
                bytes_down=560000,
            )
        )
    telemetry = [
        dict(gateway_id="GW0", ts=T0, path="Device.DeviceInfo.UpTime", value="3600"),
        dict(gateway_id="GW1", ts=T0, path="Device.WiFi.Radio.1.Stats.Noise", value="-92"),
    ]
    return dict(zones=zones, cells=cells, subscribers=subs, events=events, telemetry=telemetry)


def write_tables(
    root: Path, rows: dict[str, list[dict[str, Any]]], fmt: str = "parquet", typed: bool = True
) -> Path:
    """Write each table as one file; ``typed=False`` writes every column as text (CSV-like)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, items in rows.items():
        spec = TABLES[name]
        if typed:
            loose = pa.schema([f.with_nullable(True) for f in spec.arrow_schema])
            table = pa.Table.from_pylist(items, schema=loose)
        else:
            table = pa.table(
                {
                    c: pa.array([_text(r.get(c)) for r in items], pa.string())
                    for c in spec.column_names
                }
            )
        if fmt == "parquet":
            pq.write_table(table, root / f"{name}.parquet")
        else:
            pacsv.write_csv(table, root / f"{name}.csv")
    return root


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.isoformat().replace("+00:00", "Z")
    return str(v)
