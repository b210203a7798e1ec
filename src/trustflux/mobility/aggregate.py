"""Stage 4: exact aggregates, one table per indicator, with contribution bounds applied.

Every count here is of devices (or device trips), keyed only by public keys (zones, slots,
days, categories, origins, bins); the protect stage adds noise over the full public grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import pyarrow as pa

from trustflux.mobility.calendar import Period
from trustflux.mobility.device import DeviceRules

VISITING = ("usual_visitor", "excursionist", "tourist")


@dataclass(frozen=True)
class DeviceTables:
    """Device-level results the aggregates are computed from (all engine tables)."""

    runs: Any
    nights: Any
    homes: Any
    zone_days: Any
    trips: Any
    devices: Any


def presence_slots(period: Period, samples: list[int], presence_slot_minutes: int) -> pa.Table:
    """Sample slot -> UTC start of the published presence slot it stands for."""
    ratio = max(1, presence_slot_minutes // period.slot_minutes)
    return pa.table(
        {
            "sample_slot": pa.array(samples, pa.int64()),
            "slot_start": pa.array(
                [period.slot_start(s - ratio // 2) for s in samples], pa.timestamp("us", tz="UTC")
            ),
        }
    )


def presence(t: DeviceTables, samples: Any) -> Any:
    """Devices present per zone, published slot and origin kind (one zone per device-slot)."""
    r = t.runs
    j = r.join(samples, [r.start <= samples.sample_slot, r.end > samples.sample_slot])
    j = j.join(t.devices.select("pid", "origin_kind"), "pid")
    return j.group_by(["zone_id", "slot_start", "origin_kind"]).agg(devices=j.count())


def _bounded_visits(t: DeviceTables, rules: DeviceRules) -> Any:
    z = t.zone_days
    return z.filter(z.rank < rules.max_zones_per_day)


def visitors_by_category(t: DeviceTables, rules: DeviceRules) -> Any:
    z = _bounded_visits(t, rules)
    return z.group_by(["zone_id", "day", "category"]).agg(devices=z.count())


def visitors_by_origin(t: DeviceTables, rules: DeviceRules) -> Any:
    z = _bounded_visits(t, rules)
    z = z.filter(z.category != "resident")
    return z.group_by(["zone_id", "day", "origin"]).agg(devices=z.count())


def area_visitors_by_origin(t: DeviceTables) -> Any:
    """Devices visiting the published area per day by origin: those without a home in it."""
    z = t.zone_days.left_join(t.homes.view(), "pid").select("pid", "day", "origin", "home_zone")
    visitors = z.filter(z.home_zone.isnull()).select("pid", "day", "origin").distinct()
    return visitors.group_by(["day", "origin"]).agg(devices=visitors.count())


def _away_nights(t: DeviceTables) -> Any:
    """(pid, night, zone_id, home_zone): nights spent outside the device's home zone."""
    n = t.nights.left_join(t.homes.view(), "pid").select("pid", "night", "zone_id", "home_zone")
    return n.filter(n.home_zone.isnull() | (n.home_zone != n.zone_id))


def overnight_by_origin(t: DeviceTables) -> Any:
    """Nights spent away from home, per zone, night (evening's date) and origin."""
    n = _away_nights(t)
    n = n.join(t.devices.select("pid", "origin"), "pid")
    return n.group_by(["zone_id", "night", "origin"]).agg(devices=n.count())


def od_matrix(t: DeviceTables) -> Any:
    return t.trips.group_by(["day", "origin_zone", "dest_zone"]).agg(trips=t.trips.count())


def od_by_band(t: DeviceTables) -> Any:
    return t.trips.group_by(["day", "time_band", "origin_zone", "dest_zone"]).agg(
        trips=t.trips.count()
    )


def _top_zones(per_zone: Any, rules: DeviceRules) -> Any:
    w = ibis.window(group_by=per_zone.pid, order_by=[ibis.desc(per_zone.n), per_zone.zone_id])
    ranked = per_zone.mutate(_r=ibis.row_number().over(w))
    return ranked.filter(ranked._r < rules.max_zones_per_day)


def length_of_stay(t: DeviceTables, rules: DeviceRules) -> Any:
    """Visitors by number of nights spent in the zone over the period."""
    n = _away_nights(t)
    per_zone = _top_zones(n.group_by(["pid", "zone_id"]).agg(n=n.count()), rules)
    stay_bin = ibis.cases(
        (per_zone.n == 1, "1"),
        (per_zone.n == 2, "2"),
        (per_zone.n == 3, "3"),
        (per_zone.n <= 7, "4-7"),
        else_="8+",
    )
    binned = per_zone.mutate(stay_bin=stay_bin)
    return binned.group_by(["zone_id", "stay_bin"]).agg(devices=binned.count())


def repeat_visits(t: DeviceTables, rules: DeviceRules) -> Any:
    """Visitors by number of distinct days they came to the zone over the period."""
    z = t.zone_days
    z = z.filter(z.category.isin(list(VISITING)))
    per_zone = _top_zones(z.group_by(["pid", "zone_id"]).agg(n=z.day.nunique()), rules)
    repeat_bin = ibis.cases(
        (per_zone.n == 1, "1"),
        (per_zone.n == 2, "2"),
        (per_zone.n <= 5, "3-5"),
        else_="6+",
    )
    binned = per_zone.mutate(repeat_bin=repeat_bin)
    return binned.group_by(["zone_id", "repeat_bin"]).agg(devices=binned.count())


def all_aggregates(
    t: DeviceTables, samples: Any, rules: DeviceRules, multi_day: bool
) -> dict[str, Any]:
    """Every indicator of a release, as Ibis expressions (period-level ones need >= 2 days)."""
    out = {
        "presence": presence(t, samples),
        "visitors_by_category": visitors_by_category(t, rules),
        "visitors_by_origin": visitors_by_origin(t, rules),
        "area_visitors_by_origin": area_visitors_by_origin(t),
        "overnight_by_origin": overnight_by_origin(t),
        "od_matrix": od_matrix(t),
        "od_by_band": od_by_band(t),
    }
    if multi_day:
        out["length_of_stay"] = length_of_stay(t, rules)
        out["repeat_visits"] = repeat_visits(t, rules)
    return out
