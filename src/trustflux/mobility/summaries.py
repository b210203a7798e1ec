"""Readable totals from the published tables (zone figures, flows, daily curve, origins).

Computed from published cells only: a withheld cell counts as zero. With noise on every
cell, sums over many cells are indicative, not exact; the report says so.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from trustflux.mobility.calendar import LOCAL_TZ
from trustflux.mobility.extrapolate import ExtrapolatedRelease


@dataclass(frozen=True)
class ZoneFigures:
    """What zones.geojson and the map say about one zone (people, per day or in total)."""

    zone_id: str
    footfall_per_day: float | None
    visitors_per_day: dict[str, float] | None
    overnight_stays: int | None


@dataclass(frozen=True)
class Flow:
    origin_zone: str
    dest_zone: str
    trips: int


def _rows(table: pa.Table, *columns: str) -> list[tuple[Any, ...]]:
    data = [table.column(c).to_pylist() for c in columns]
    return list(zip(*data, strict=True))


def zone_figures(release: ExtrapolatedRelease) -> dict[str, ZoneFigures]:
    """Footfall (all visitors a day, residents included), visitors by category, nights."""
    zones = release.protected.keys.zones
    n_days = len(release.protected.keys.days)
    by_cat: dict[str, dict[str, float]] | None = None
    if "visitors_by_category" in release.tables:
        by_cat = {z: defaultdict(float) for z in zones}
        table = release.tables["visitors_by_category"]
        for zone, category, people in _rows(table, "zone_id", "category", "people"):
            by_cat[str(zone)][str(category)] += float(people or 0) / n_days
    nights: dict[str, int] | None = None
    if "overnight_by_origin" in release.tables:
        nights = dict.fromkeys(zones, 0)
        for zone, people in _rows(release.tables["overnight_by_origin"], "zone_id", "people"):
            nights[str(zone)] += int(people or 0)
    out = {}
    for z in zones:
        categories = dict(by_cat[z]) if by_cat is not None else None
        out[z] = ZoneFigures(
            zone_id=z,
            footfall_per_day=round(sum(categories.values()), 1) if categories is not None else None,
            visitors_per_day={c: round(v, 1) for c, v in categories.items()}
            if categories is not None
            else None,
            overnight_stays=nights[z] if nights is not None else None,
        )
    return out


def top_flows(release: ExtrapolatedRelease, n: int) -> list[Flow]:
    """The ``n`` largest flows between two different zones, summed over the period."""
    if "od_matrix" not in release.tables:
        return []
    totals: dict[tuple[str, str], int] = defaultdict(int)
    table = release.tables["od_matrix"]
    for origin, dest, people in _rows(table, "origin_zone", "dest_zone", "people"):
        if origin != dest and people:
            totals[(str(origin), str(dest))] += int(people)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [Flow(o, d, t) for (o, d), t in ranked]


def presence_curve(release: ExtrapolatedRelease) -> dict[str, list[float | None]]:
    """Average people present over all published zones, per local hour, by origin kind."""
    if "presence" not in release.tables:
        return {}
    table = release.tables["presence"]
    sums: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    slots_per_hour: dict[int, set[object]] = defaultdict(set)
    for slot, kind, people in _rows(table, "slot_start", "origin_kind", "people"):
        hour = slot.astimezone(LOCAL_TZ).hour
        sums[str(kind)][hour] += float(people or 0)
        slots_per_hour[hour].add(slot)
    curve: dict[str, list[float | None]] = {}
    for kind in release.protected.keys.origin_kinds:
        curve[kind] = [
            round(sums[kind][h] / len(slots_per_hour[h]), 1) if slots_per_hour[h] else None
            for h in range(24)
        ]
    return curve


def origin_breakdown(release: ExtrapolatedRelease, n: int) -> list[tuple[str, int]]:
    """Visitor-days by origin: the ``n`` largest, then the rest.

    Taken from the area-wide table when the release has it (one cell per device-day, so
    little noise and no sum of many thresholded cells); otherwise summed over zones.
    """
    if "area_visitors_by_origin" in release.tables:
        area: Counter[str] = Counter()
        rows = _rows(release.tables["area_visitors_by_origin"], "origin", "people")
        for origin, people in rows:
            area[str(origin)] += int(people or 0)
        ranked = [(o, v) for o, v in area.most_common() if v > 0]
        head, rest = ranked[:n], sum(v for _, v in ranked[n:])
        return [*head, ("all other origins", rest)] if rest else head
    if "visitors_by_origin" not in release.tables:
        return []
    totals: dict[str, int] = defaultdict(int)
    for origin, people in _rows(release.tables["visitors_by_origin"], "origin", "people"):
        totals[str(origin)] += int(people or 0)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    head = [(o, v) for o, v in ranked[:n] if v > 0]
    rest = sum(v for _, v in ranked[n:])
    return [*head, ("all other origins", rest)] if rest else head
