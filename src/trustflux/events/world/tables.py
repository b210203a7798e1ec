"""Arrow tables with the exact input schemas (``schemas.TABLES``) and the truth schemas.

Numbers stay numpy until here; identifiers become text only when a table is built, with
Arrow kernels, so the cost is paid once per block in C++.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trustflux.events.schemas import AGE_BRACKETS, EVENT_TYPES, RADIOS, TABLES, TIMESTAMP
from trustflux.events.world.eventbatch import EventBatch
from trustflux.events.world.geography import Cells, Geography
from trustflux.events.world.numeric import IntArray
from trustflux.events.world.params import OWN_MCC, OWN_MNC
from trustflux.events.world.population import CONVERGENT_PLANS, PLANS, Devices
from trustflux.events.world.telemetry import PATHS, Gateways, TelemetryBatch

EPOCH = date(1970, 1, 1)
_NULL_END = -1_000_000

TRUTH_SCHEMAS: dict[str, pa.Schema] = {
    "presence": pa.schema(
        [
            pa.field("zone_id", pa.string(), nullable=False),
            pa.field("slot_start", TIMESTAMP, nullable=False),
            pa.field("devices", pa.int64(), nullable=False),
            pa.field("roamers", pa.int64(), nullable=False),
            pa.field("people", pa.int64(), nullable=False),
        ]
    ),
    "trips": pa.schema(
        [
            pa.field("person_id", pa.int64(), nullable=False),
            pa.field("imsi", pa.string()),
            pa.field("depart", TIMESTAMP, nullable=False),
            pa.field("arrive", TIMESTAMP, nullable=False),
            pa.field("origin_zone_id", pa.string()),
            pa.field("dest_zone_id", pa.string()),
        ]
    ),
    "device_days": pa.schema(
        [
            pa.field("imsi", pa.string(), nullable=False),
            pa.field("person_id", pa.int64()),
            pa.field("date", pa.date32(), nullable=False),
            pa.field("category", pa.string(), nullable=False),
            pa.field("origin_type", pa.string(), nullable=False),
            pa.field("origin", pa.string(), nullable=False),
            pa.field("home_zone_id", pa.string()),
            pa.field("night_zone_id", pa.string()),
            pa.field("slots_present", pa.int32(), nullable=False),
        ]
    ),
    "fraud": pa.schema(
        [
            pa.field("case_id", pa.string(), nullable=False),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("imsi", pa.string()),
            pa.field("msisdn", pa.string()),
            pa.field("external_number", pa.string()),
            pa.field("start", TIMESTAMP, nullable=False),
            pa.field("end", TIMESTAMP, nullable=False),
        ]
    ),
    "gateway_faults": pa.schema(
        [
            pa.field("gateway_id", pa.string(), nullable=False),
            pa.field("fault", pa.string(), nullable=False),
            pa.field("start", TIMESTAMP, nullable=False),
            pa.field("end", TIMESTAMP, nullable=False),
        ]
    ),
}


def digits(values: IntArray, null: IntArray | None = None) -> pa.Array:
    """Decimal text of non-negative integers; entries < 0 (or flagged) become null."""
    mask = values < 0 if null is None else null
    return pc.cast(pa.array(values, type=pa.int64(), mask=mask), pa.string())


def labels(codes: IntArray, names: tuple[str, ...] | list[str]) -> pa.Array:
    """Text labels by code; codes < 0 become null."""
    dictionary = pa.array(list(names), type=pa.string())
    return dictionary.take(pa.array(codes, type=pa.int64(), mask=codes < 0))


def timestamps(ms: IntArray) -> pa.Array:
    return pa.array(ms, type=TIMESTAMP)


def _prefixed(prefix: str, values: IntArray, width: int) -> pa.Array:
    padded = pc.utf8_lpad(pc.cast(pa.array(values, type=pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, padded, "")


def gateway_ids(gw: Gateways) -> pa.Array:
    return _prefixed("GW", gw.serial, 10)


def _table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    schema = TABLES[name].arrow_schema if name in TABLES else TRUTH_SCHEMAS[name]
    arrays = [pc.cast(columns[f.name], f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def truth_table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A truth table with its declared schema."""
    return _table(name, columns)


def zones_table(geo: Geography) -> pa.Table:
    z = geo.zones
    return _table(
        "zones",
        {
            "zone_id": pa.array(z.ids),
            "name": pa.array(z.names),
            "region_id": pa.array(z.region),
            "population": pa.array(z.population),
            "lon": pa.array(np.round(z.lon, 6)),
            "lat": pa.array(np.round(z.lat, 6)),
            "geometry": pa.array(z.geometry),
        },
    )


def cells_table(cells: Cells, geo: Geography) -> pa.Table:
    n = len(cells)
    return _table(
        "cells",
        {
            "radio": labels(cells.radio, RADIOS),
            "mcc": pa.array([OWN_MCC] * n),
            "mnc": pa.array([OWN_MNC] * n),
            "area_code": pa.array(cells.area_code),
            "cell_id": pa.array(cells.cell_id),
            "lon": pa.array(cells.lon),
            "lat": pa.array(cells.lat),
            "azimuth": pa.array(cells.azimuth, mask=cells.azimuth < 0),
            "range_m": pa.array(cells.range_m),
            "zone_id": labels(cells.zone, geo.zones.ids),
        },
    )


def subscribers_table(
    dev: Devices, gw: Gateways, geo: Geography, start: date, rng: np.random.Generator
) -> pa.Table:
    """Contracts of own SIMs, ordered by subscriber id (which says nothing about the SIM)."""
    n = dev.n_own
    ids = rng.permutation(n) + 1
    order = np.argsort(ids)
    base_day = (start - EPOCH).days
    gw_row = dev.gateway[:n]
    has_gw = gw_row >= 0
    plan_names = [*PLANS, *CONVERGENT_PLANS]
    plan = dev.plan[:n].copy()
    fibre = np.zeros(n, dtype=np.int64)
    fibre[has_gw] = gw.fibre[gw_row[has_gw]]
    plan[has_gw] = len(PLANS) + (1 - fibre[has_gw])
    end = dev.contract_end_day[:n]
    all_gw = gateway_ids(gw) if len(gw) else pa.array([], pa.string())
    gateway = all_gw.take(pa.array(gw_row, mask=~has_gw)) if n else pa.array([], pa.string())
    columns = {
        "subscriber_id": _prefixed("S", ids, 9),
        "msisdn": digits(dev.msisdn[:n]),
        "imsi": digits(dev.imsi[:n]),
        "imei": digits(dev.imei[:n]),
        "contract_start": pa.array(base_day + dev.contract_start_day[:n], pa.int32()),
        "contract_end": pa.array(base_day + end, pa.int32(), mask=end == _NULL_END),
        "billing_zone_id": labels(dev.billing_zone[:n], geo.zones.ids),
        "billing_region_id": labels(dev.billing_zone[:n], geo.zones.region),
        "plan": labels(plan, plan_names),
        "gateway_id": gateway,
        "age_bracket": labels(dev.age[:n], AGE_BRACKETS),
    }
    columns["contract_start"] = pc.cast(columns["contract_start"], pa.date32())
    columns["contract_end"] = pc.cast(columns["contract_end"], pa.date32())
    return _table("subscribers", columns).take(pa.array(order))


def events_table(batch: EventBatch, imsi: pa.Array, cells: Cells) -> pa.Table:
    """Events of one block; ``imsi`` holds the text IMSI of each local device index."""
    return _table(
        "events",
        {
            "imsi": imsi.take(pa.array(batch.dev)),
            "ts": timestamps(batch.ts),
            "area_code": pa.array(cells.area_code[batch.cell]),
            "cell_id": pa.array(cells.cell_id[batch.cell]),
            "event_type": labels(batch.etype, EVENT_TYPES),
            "counterpart": digits(batch.counterpart),
            "duration_s": pa.array(batch.duration, mask=batch.duration < 0),
            "bytes_up": pa.array(batch.bytes_up, mask=batch.bytes_up < 0),
            "bytes_down": pa.array(batch.bytes_down, mask=batch.bytes_down < 0),
        },
    )


def telemetry_table(batch: TelemetryBatch, ids: pa.Array) -> pa.Table:
    return _table(
        "telemetry",
        {
            "gateway_id": ids.take(pa.array(batch.gateway)),
            "ts": timestamps(batch.ts),
            "path": labels(batch.path, PATHS),
            "value": pc.cast(pa.array(batch.value), pa.string()),
        },
    )
