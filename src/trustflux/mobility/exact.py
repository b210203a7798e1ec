"""Stages 1-4 in order, on any engine: opt-out, pseudonymise, device level, aggregate.

Returns exact (noiseless) aggregates as Arrow tables; nothing leaves this module keyed by
anything but public keys, and the only per-device output is pseudonymous.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from trustflux.console import NullReporter, Reporter
from trustflux.engine.session import EngineSession
from trustflux.errors import StatisticsError
from trustflux.mobility import aggregate as agg
from trustflux.mobility import device as dev
from trustflux.mobility.calendar import Period
from trustflux.mobility.keys import PeriodKey
from trustflux.mobility.optout import drop_objectors
from trustflux.mobility.pseudonymise import device_map, located, observations


@dataclass(frozen=True)
class Inputs:
    """Engine tables of the identified zone the statistics are made from."""

    events: Any
    cells: Any
    subscribers: Any
    zones: Any
    objectors: Any


@dataclass
class ExactResult:
    """Noiseless aggregates of one period and what went in."""

    aggregates: dict[str, pa.Table]
    counts: dict[str, int] = field(default_factory=dict)
    observations: Any = None
    devices: pa.Table | None = None


Keep = Callable[[EngineSession, Any, int], None]
"""Called with each bucket's pseudonymised observations (to keep them for the retention)."""


def exact_statistics(
    session: EngineSession,
    inputs: Inputs,
    period: Period,
    key: PeriodKey,
    rules: dev.DeviceRules,
    presence_slot_minutes: int,
    public_regions: Collection[str],
    reporter: Reporter | None = None,
    buckets: int = 1,
    keep: Keep | None = None,
) -> ExactResult:
    """Run stages 1-4 and collect the aggregates (small) as Arrow tables.

    Devices are processed in ``buckets`` disjoint groups (by IMSI number modulo the count):
    everything before aggregation is per device, and every aggregate counts each device in one
    bucket only, so summing the buckets' counts gives exactly the single-pass result while each
    bucket fits in memory.
    """
    reporter = reporter or NullReporter()
    parts: list[ExactResult] = []
    label = period.label.replace("-", "_")
    with reporter.task("one pass over the events"):
        all_rows = session.materialize(
            located(
                inputs.events,
                inputs.cells,
                period.start_utc,
                period.slot_seconds,
                period.n_slots,
                session.epoch_seconds,
            ),
            f"located_{label}",
        )
    with reporter.task(f"statistics stages 1-4 ({buckets} bucket(s))", total=buckets) as task:
        for b in range(buckets):
            rows = all_rows if buckets == 1 else all_rows.filter(all_rows.imsi % buckets == b)
            tag = f"{label}_{b}"
            part = _one_bucket(
                session,
                rows,
                inputs,
                period,
                key,
                rules,
                presence_slot_minutes,
                public_regions,
                tag,
            )
            if part is not None:
                if keep is not None:
                    keep(session, part.observations, b)
                part.observations = None
                parts.append(part)
            session.forget(tag)
            task.advance()
    session.forget(f"located_{label}")
    counts = {
        k: sum(p.counts.get(k, 0) for p in parts)
        for k in ("events_in_period", "events_kept", "devices")
    }
    if counts["events_kept"] == 0:
        raise StatisticsError(
            f"no events in period {period.label} ({period.start_utc:%Y-%m-%d %H:%M} to "
            f"{period.end_utc:%Y-%m-%d %H:%M} UTC): nothing to publish"
        )
    names = [n for n in parts[0].aggregates]
    merged = {n: _sum_parts([p.aggregates[n] for p in parts]) for n in names}
    devices = pa.concat_tables([p.devices for p in parts if p.devices is not None])
    return ExactResult(merged, counts, None, devices)


def _sum_parts(tables: list[pa.Table]) -> pa.Table:
    """Add up one indicator's counts over buckets (same keys, count column last)."""
    if len(tables) == 1:
        return tables[0]
    table = pa.concat_tables(tables)
    value = table.column_names[-1]
    keys = table.column_names[:-1]
    summed = table.group_by(keys).aggregate([(value, "sum")])
    return _canonical(summed.rename_columns([*keys, value]))


def _one_bucket(
    session: EngineSession,
    rows: Any,
    inputs: Inputs,
    period: Period,
    key: PeriodKey,
    rules: dev.DeviceRules,
    presence_slot_minutes: int,
    public_regions: Collection[str],
    tag: str,
) -> ExactResult | None:
    """Stages 1-4 for the devices of one bucket (``rows``: their located events); None when
    the bucket has no events kept."""
    counts: dict[str, int] = {}
    kept = drop_objectors(rows, inputs.subscribers, inputs.objectors)
    counts["events_in_period"] = _total(session, rows)
    counts["events_kept"] = _total(session, kept)
    if counts["events_kept"] == 0:
        return None
    devices = device_map(session, kept, inputs.subscribers, key, public_regions)
    obs = session.materialize(observations(kept, session.table(devices)), f"obs_{tag}")
    pseudo_devices = session.table(devices.drop_columns(["imsi"]))
    counts["devices"] = devices.num_rows
    calendar = session.table(period.calendar())
    first_runs = session.materialize(
        dev.runs(dev.dominant_zone(obs), period.n_slots, rules.fill_slots, rules.bridge_slots),
        f"runs0_{tag}",
    )
    night_table = session.materialize(
        dev.nights(first_runs, session.table(period.windows("night")), obs, calendar, rules),
        f"nights_{tag}",
    )
    run_table = session.materialize(
        dev.backfill_first_morning(
            first_runs, night_table, period.start, rules.bridge_slots
        ).select("pid", "run", "zone_id", "start", "end"),
        f"runs_{tag}",
    )
    homes = dev.home_zone(night_table, pseudo_devices, inputs.zones.select("zone_id", "region_id"))
    zone_days = session.materialize(
        dev.zone_days(
            obs,
            run_table,
            night_table,
            homes,
            pseudo_devices,
            calendar,
            session.table(period.windows("day")),
            rules,
        ),
        f"zonedays_{tag}",
    )
    tables = agg.DeviceTables(
        runs=run_table,
        nights=night_table,
        homes=homes,
        zone_days=zone_days,
        trips=dev.trips(run_table, calendar, rules),
        devices=pseudo_devices,
    )
    samples = session.table(
        agg.presence_slots(
            period, dev.presence_samples(period, presence_slot_minutes), presence_slot_minutes
        )
    )
    exprs = agg.all_aggregates(tables, samples, rules, multi_day=period.days > 1)
    out = {name: _canonical(session.to_arrow(expr)) for name, expr in exprs.items()}
    return ExactResult(out, counts, obs, devices.drop_columns(["imsi"]))


def _total(session: EngineSession, rows: Any) -> int:
    value = session.to_arrow(rows.aggregate(total=rows.n.sum())).column("total")[0].as_py()
    return int(value or 0)


def _canonical(table: pa.Table) -> pa.Table:
    """Sorted rows and fixed types, so two engines' results compare equal."""
    keys = [c for c in table.column_names if c not in ("devices", "trips")]
    fixed = []
    for name in table.column_names:
        col = table.column(name)
        if name in ("devices", "trips"):
            col = col.cast(pa.int64())
        elif pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp("us", tz="UTC"))
        elif pa.types.is_date(col.type):
            col = col.cast(pa.date32())
        elif pa.types.is_large_string(col.type):
            col = col.cast(pa.string())
        fixed.append(col)
    table = pa.table(dict(zip(table.column_names, fixed, strict=True)))
    return table.sort_by([(k, "ascending") for k in keys])
