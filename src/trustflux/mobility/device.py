"""Stage 3: what each pseudonymous device did, per slot, stay, trip, night and zone-day.

All of it is Ibis over integer slots (see ``calendar``), so DuckDB and Spark compute the same
thing; every ordering that picks one row has a full tie-break, so they pick the same row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis

from trustflux.mobility.calendar import Period
from trustflux.mobility.countries import UNKNOWN

USUAL_VISIT_MINUTES = 240
"""A non-resident staying this long in a zone on a working day is a usual visitor there."""


@dataclass(frozen=True)
class DeviceRules:
    """Thresholds of the device-level analysis (from settings)."""

    slot_minutes: int = 30
    min_stay_minutes: int = 30
    max_fill_minutes: int = 120
    max_bridge_minutes: int = 720
    max_zones_per_day: int = 4
    max_trips_per_day: int = 6

    @property
    def fill_slots(self) -> int:
        return self.max_fill_minutes // self.slot_minutes

    @property
    def bridge_slots(self) -> int:
        return self.max_bridge_minutes // self.slot_minutes

    @property
    def min_night_slots(self) -> int:
        return max(1, math.ceil(60 / self.slot_minutes))


def dominant_zone(obs: Any) -> Any:
    """(pid, slot, zone_id): the zone with most events in the slot (then latest, then id)."""
    w = ibis.window(
        group_by=[obs.pid, obs.slot],
        order_by=[ibis.desc(obs.n), ibis.desc(obs.last_ts), obs.zone_id],
    )
    ranked = obs.mutate(_r=ibis.row_number().over(w))
    return ranked.filter(ranked._r == 0).select("pid", "slot", "zone_id")


def runs(dominant: Any, n_slots: int, fill_slots: int, bridge_slots: int = 0) -> Any:
    """(pid, run, zone_id, start, end): maximal stretches of slots spent in one zone.

    Between two sightings in the same zone at most ``bridge_slots`` apart, the device is taken
    to have stayed there (a phone quiet at home overnight). Otherwise it is taken to stay where
    last seen for at most ``fill_slots`` slots; beyond that its whereabouts are unknown and a
    new run begins.
    """
    w = ibis.window(group_by=dominant.pid, order_by=dominant.slot)
    reach = 1 + fill_slots
    nxt = dominant.slot.lead().over(w)
    next_zone = dominant.zone_id.lead().over(w)
    prev_slot = dominant.slot.lag().over(w)
    prev_zone = dominant.zone_id.lag().over(w)
    bridged = (next_zone == dominant.zone_id) & (nxt - dominant.slot <= bridge_slots)
    end = ibis.cases(
        (bridged, nxt),
        else_=ibis.least(nxt.fill_null(n_slots), dominant.slot + reach, n_slots),
    )
    seg = dominant.mutate(
        end=end,
        _new=ibis.cases(
            (prev_zone.isnull(), 1),
            (prev_zone != dominant.zone_id, 1),
            (dominant.slot - prev_slot > ibis.greatest(reach, bridge_slots), 1),
            else_=0,
        ),
    )
    cw = ibis.cumulative_window(group_by=seg.pid, order_by=seg.slot)
    numbered = seg.mutate(run=seg._new.sum().over(cw))
    return numbered.group_by(["pid", "run"]).agg(
        zone_id=numbered.zone_id.max(), start=numbered.slot.min(), end=numbered.end.max()
    )


def backfill_first_morning(
    run_table: Any, night_table: Any, first_night: date, bridge_slots: int
) -> Any:
    """Runs where a device's first run of the period starts at slot 0 when it is first seen,
    within ``bridge_slots`` of the start, in the zone where it spends that evening's night.

    A phone quiet overnight has no sighting before the period's first morning; seen at home in
    the morning and back home at night, it was most likely home since midnight. A visitor
    arriving during the day has no night there (or not on that evening) and is not moved.
    """
    w = ibis.window(group_by=run_table.pid, order_by=run_table.start)
    ranked = run_table.mutate(_first=ibis.row_number().over(w) == 0)
    home = night_table.filter(night_table.night == first_night).select(
        "pid", "zone_id", _slept=ibis.literal(True)
    )
    joined = ranked.left_join(home.view(), ["pid", "zone_id"]).select(
        "pid", "run", "zone_id", "start", "end", "_first", "_slept"
    )
    start = ibis.cases(
        (joined._first & joined._slept.notnull() & (joined.start <= bridge_slots), 0),
        else_=joined.start,
    )
    return joined.select("pid", "run", "zone_id", "end", start=start)


def overlap_slots(run_table: Any, windows: Any, key: str) -> Any:
    """(pid, key, zone_id, slots): slots of each run falling inside each window."""
    r, w = run_table, windows
    joined = r.join(w, [r.start < w.w_end, r.end > w.w_start])
    inside = ibis.least(joined.end, joined.w_end) - ibis.greatest(joined.start, joined.w_start)
    return joined.group_by(["pid", key, "zone_id"]).agg(slots=inside.sum())


def nights(run_table: Any, night_windows: Any, obs: Any, calendar: Any, rules: DeviceRules) -> Any:
    """(pid, night, zone_id): where each device spent each night (evening's date).

    Only zones where the device was actually seen during that night count: a device last seen
    at work in the evening and silent afterwards (gone home outside the area) is not given a
    night at work by the fill rule.
    """
    per_zone = overlap_slots(run_table, night_windows, "night")
    per_zone = per_zone.filter(per_zone.slots >= rules.min_night_slots)
    seen_at_night = (
        obs.join(calendar.filter(calendar.night_of.notnull()), "slot")
        .select("pid", "zone_id", night=calendar.night_of)
        .distinct()
    )
    per_zone = per_zone.join(seen_at_night, ["pid", "night", "zone_id"]).select(
        "pid", "night", "zone_id", "slots"
    )
    w = ibis.window(
        group_by=[per_zone.pid, per_zone.night],
        order_by=[ibis.desc(per_zone.slots), per_zone.zone_id],
    )
    ranked = per_zone.mutate(_r=ibis.row_number().over(w))
    return ranked.filter(ranked._r == 0).select("pid", "night", "zone_id")


def home_zone(night_table: Any, devices: Any, zone_regions: Any) -> Any:
    """(pid, home_zone): where a device lives, for the devices that can be residents.

    The candidate is the zone of most nights over the period (then by id). It is kept only
    for domestic devices whose home region (from the billing address) is that zone's region,
    or unknown: one night somewhere does not make a visitor from elsewhere a resident there,
    which matters most for one-day periods. Foreign devices are never residents.
    """
    counted = night_table.group_by(["pid", "zone_id"]).agg(n=night_table.count())
    w = ibis.window(group_by=counted.pid, order_by=[ibis.desc(counted.n), counted.zone_id])
    ranked = counted.mutate(_r=ibis.row_number().over(w))
    best = ranked.filter(ranked._r == 0).select("pid", "zone_id")
    best = best.join(zone_regions, "zone_id").join(
        devices.select("pid", "origin_kind", "origin"), "pid"
    )
    lives_there = (best.origin_kind == "domestic") & (
        (best.origin == best.region_id) | (best.origin == UNKNOWN)
    )
    return best.filter(lives_there).select("pid", home_zone=best.zone_id)


def zone_days(
    obs: Any,
    run_table: Any,
    night_table: Any,
    homes: Any,
    devices: Any,
    calendar: Any,
    day_windows: Any,
    rules: DeviceRules,
) -> Any:
    """(pid, day, zone_id, minutes, category, origin_kind, origin, rank): one row per zone a
    device was seen in or stayed in on a day, with its visitor category.

    ``rank`` orders a device-day's zones by time spent; contribution bounds keep the first L.
    """
    sightings = obs.join(calendar.select("slot", "day"), "slot")
    seen = sightings.group_by(["pid", "day", "zone_id"]).agg(
        span_s=sightings.last_s.max() - sightings.first_s.min()
    )
    stayed = overlap_slots(run_table, day_windows, "day").view()
    both = seen.outer_join(stayed, ["pid", "day", "zone_id"])
    both = both.select(
        pid=ibis.coalesce(both.pid, both.pid_right),
        day=ibis.coalesce(both.day, both.day_right),
        zone_id=ibis.coalesce(both.zone_id, both.zone_id_right),
        minutes=both.slots.fill_null(0) * rules.slot_minutes,
        span_s=both.span_s.fill_null(0),
    ).view()  # Ibis 12 cannot extend a join chain whose projection coalesces both sides
    slept = night_table.select("pid", "zone_id", night_day=night_table.night)
    # A night counts for the day before it (evening) and the day after it (morning).
    slept_days = slept.mutate(day=slept.night_day).union(
        slept.mutate(day=slept.night_day + ibis.interval(days=1))
    )
    slept_flag = slept_days.select("pid", "day", "zone_id").distinct().mutate(slept=True)
    workdays = calendar.select("day", "workday").distinct()
    cols = ["pid", "day", "zone_id", "minutes", "span_s"]
    # Tables derived from the same runs are joined through views (Ibis self-join rule).
    t = both.left_join(slept_flag.view(), ["pid", "day", "zone_id"]).select(*cols, "slept")
    t = t.left_join(homes.view(), "pid").select(*cols, "slept", "home_zone")
    t = t.join(devices.select("pid", "origin_kind", "origin"), "pid").join(workdays, "day")
    resident = t.home_zone.notnull() & (t.home_zone == t.zone_id)
    tourist = t.slept.fill_null(False)
    usual = (
        t.workday
        & (t.minutes >= USUAL_VISIT_MINUTES)
        & (t.origin_kind == "domestic")
        & (t.home_zone.notnull() | (t.origin != UNKNOWN))
    )
    # One slot filled from a single sighting is not a stay: a stay needs more than one slot,
    # or sightings in the zone at least min_stay apart.
    stayed = (t.minutes > rules.slot_minutes) | (
        (t.minutes >= rules.min_stay_minutes) & (t.span_s >= rules.min_stay_minutes * 60)
    )
    category = ibis.cases(
        (resident, "resident"),
        (tourist, "tourist"),
        (usual, "usual_visitor"),
        (stayed, "excursionist"),
        else_="in_transit",
    )
    t = t.mutate(category=category)
    w = ibis.window(group_by=[t.pid, t.day], order_by=[ibis.desc(t.minutes), t.zone_id])
    return t.mutate(rank=ibis.row_number().over(w)).select(
        "pid", "day", "zone_id", "minutes", "category", "origin_kind", "origin", "rank"
    )


def trips(run_table: Any, calendar: Any, rules: DeviceRules) -> Any:
    """(pid, day, time_band, origin_zone, dest_zone, slot): moves between consecutive stays,
    each device counted once per (day, origin, destination) and for at most L pairs a day."""
    w = ibis.window(group_by=run_table.pid, order_by=run_table.start)
    moved = run_table.mutate(origin_zone=run_table.zone_id.lag().over(w))
    moved = moved.filter(moved.origin_zone.notnull() & (moved.origin_zone != moved.zone_id))
    moved = moved.join(
        calendar.select("slot", "day", "time_band"), moved.start == calendar.slot
    ).select("pid", "day", "time_band", "origin_zone", dest_zone=moved.zone_id, slot=moved.start)
    wp = ibis.window(
        group_by=[moved.pid, moved.day, moved.origin_zone, moved.dest_zone], order_by=moved.slot
    )
    first = moved.mutate(_r=ibis.row_number().over(wp))
    first = first.filter(first._r == 0).drop("_r")
    wd = ibis.window(
        group_by=[first.pid, first.day],
        order_by=[first.slot, first.origin_zone, first.dest_zone],
    )
    ranked = first.mutate(_n=ibis.row_number().over(wd))
    return ranked.filter(ranked._n < rules.max_trips_per_day).drop("_n")


def presence_samples(period: Period, presence_slot_minutes: int) -> list[int]:
    """Device slots at which presence is read: the middle of each published slot."""
    ratio = max(1, presence_slot_minutes // period.slot_minutes)
    return [s for s in range(period.n_slots) if s % ratio == ratio // 2]
