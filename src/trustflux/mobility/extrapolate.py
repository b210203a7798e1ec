"""Stage 6, extrapolate: noisy device counts -> estimated people (post-processing only).

Our devices are a sample of the people present. Domestic devices are scaled by the inverse of
our market share where they live, estimated as census population / own subscribers billed in
the area (the subscriber counts are themselves noisy, under their own budget). Inbound roamers
are scaled by 1 / capture rate (the share of foreign visitors whose phone roams on our
network). Nothing here reads exact data, so it cannot weaken the privacy guarantee.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from trustflux.errors import StatisticsError
from trustflux.mobility.countries import UNKNOWN
from trustflux.mobility.protect import ProtectedRelease, ProtectedSubscribers

FloatArray = npt.NDArray[np.float64]

METHOD = (
    "people = noisy devices x weight, rounded; suppressed cells stay null. Domestic devices "
    "(origin_kind 'domestic', or an origin that is a home region) use the inverse market "
    "share of their area: census population / noisy own subscribers billed there, from the "
    "zone itself (presence, 'unknown' origin), its home region (origin = region id), or the "
    "zone (tables without origin: visitors by category, length of stay, repeat visits; for "
    "trips, the origin zone). A zone with fewer than min_subscribers noisy subscribers or no "
    "census population takes its region's weight, and a region without enough the overall "
    "one; every weight is then held between weight_floor and weight_cap. Foreign devices "
    "(origin_kind 'foreign', or an origin that is a country code) use 1 / capture_rate. "
    "Tables without origin apply the zone weight to foreign devices too, which undercounts "
    "foreign visitors there; use the origin tables for them."
)


@dataclass(frozen=True)
class ExtrapolationConfig:
    """Knobs of the weighting, all published in the release metadata."""

    capture_rate: float = 0.3
    weight_floor: float = 1.0
    weight_cap: float = 20.0
    min_subscribers: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.capture_rate <= 1:
            raise StatisticsError(f"capture rate must lie in (0, 1], got {self.capture_rate}")
        if not 0 < self.weight_floor <= self.weight_cap:
            raise StatisticsError(
                f"need 0 < weight_floor <= weight_cap, got {self.weight_floor}, {self.weight_cap}"
            )
        if self.min_subscribers < 1:
            raise StatisticsError("min_subscribers must be at least 1")


@dataclass(frozen=True)
class Weights:
    """Weights per zone (with the level they came from), per region, and for roamers."""

    zone: Mapping[str, float]
    zone_method: Mapping[str, str]
    region: Mapping[str, float]
    overall: float
    foreign: float

    def to_table(self) -> pa.Table:
        ids = sorted(self.zone)
        return pa.table(
            {
                "zone_id": pa.array(ids, pa.string()),
                "weight": pa.array([self.zone[z] for z in ids], pa.float64()),
                "method": pa.array([self.zone_method[z] for z in ids], pa.string()),
            }
        )


@dataclass(frozen=True)
class ExtrapolatedRelease:
    """The protected release with a ``people`` column per table, and how it was computed."""

    protected: ProtectedRelease
    tables: Mapping[str, pa.Table]
    weights: Weights
    config: ExtrapolationConfig
    subscribers: ProtectedSubscribers


def compute_weights(
    subscribers: ProtectedSubscribers, zones: pa.Table, config: ExtrapolationConfig
) -> Weights:
    """Inverse market share per zone and region, floored, capped, with fallbacks."""
    noisy = dict(
        zip(
            subscribers.table.column("zone_id").to_pylist(),
            subscribers.table.column("subscribers").to_pylist(),
            strict=True,
        )
    )
    ids = zones.column("zone_id").to_pylist()
    regions = zones.column("region_id").to_pylist()
    population = zones.column("population").to_pylist()
    missing = [z for z in ids if z not in noisy]
    if missing:
        raise StatisticsError(f"no subscriber count for zones {missing[:5]}")

    def bounded(value: float) -> float:
        return min(config.weight_cap, max(config.weight_floor, value))

    total_pop = math.fsum(population)
    total_subs = sum(noisy[z] for z in ids)
    if total_subs < config.min_subscribers or total_pop <= 0:
        raise StatisticsError(
            f"too few subscribers ({total_subs}) or no population to estimate a market share"
        )
    overall = bounded(total_pop / total_subs)
    region_pop: dict[str, float] = {}
    region_subs: dict[str, int] = {}
    for z, r, p in zip(ids, regions, population, strict=True):
        region_pop[r] = region_pop.get(r, 0.0) + p
        region_subs[r] = region_subs.get(r, 0) + noisy[z]
    region = {
        r: bounded(region_pop[r] / region_subs[r])
        if region_subs[r] >= config.min_subscribers and region_pop[r] > 0
        else overall
        for r in region_pop
    }
    zone: dict[str, float] = {}
    method: dict[str, str] = {}
    for z, r, p in zip(ids, regions, population, strict=True):
        if noisy[z] >= config.min_subscribers and p > 0:
            zone[z], method[z] = bounded(p / noisy[z]), "zone"
        elif region_subs[r] >= config.min_subscribers and region_pop[r] > 0:
            zone[z], method[z] = region[r], "region"
        else:
            zone[z], method[z] = overall, "overall"
    return Weights(zone, method, region, overall, 1.0 / config.capture_rate)


def extrapolate(
    protected: ProtectedRelease,
    subscribers: ProtectedSubscribers,
    zones: pa.Table,
    config: ExtrapolationConfig,
) -> ExtrapolatedRelease:
    """Add ``people`` (estimated people, or trips by people for OD) to every table."""
    weights = compute_weights(subscribers, zones, config)
    unpublished = [z for z in protected.keys.zones if z not in weights.zone]
    if unpublished:
        raise StatisticsError(f"published zones missing from the zones table: {unpublished[:5]}")
    tables = {}
    for name, item in protected.indicators.items():
        table = item.table
        factor = _factors(table, weights)
        devices = table.column(item.indicator.value).to_numpy(zero_copy_only=False)
        people = np.rint(devices.astype(np.float64) * factor)
        mask = table.column("suppressed").to_numpy(zero_copy_only=False)
        values = pa.array(np.where(mask, 0, people).astype(np.int64), pa.int64(), mask=mask)
        tables[name] = table.append_column("people", values)
    return ExtrapolatedRelease(protected, tables, weights, config, subscribers)


def _factors(table: pa.Table, weights: Weights) -> FloatArray:
    """The weight of each row, from the columns the table has (see ``METHOD``)."""
    columns = table.column_names
    if "zone_id" in columns or "origin_zone" in columns:
        place = "zone_id" if "zone_id" in columns else "origin_zone"
        zone_w = _lookup(table.column(place).to_pylist(), weights.zone)
    else:  # area-wide tables: the overall market share
        zone_w = np.full(table.num_rows, weights.overall, dtype=np.float64)
    if "origin_kind" in columns:
        foreign = np.array([k == "foreign" for k in table.column("origin_kind").to_pylist()])
        return np.where(foreign, weights.foreign, zone_w)
    if "origin" in columns:
        out = zone_w.copy()
        for i, origin in enumerate(table.column("origin").to_pylist()):
            if origin in weights.region:
                out[i] = weights.region[origin]
            elif origin != UNKNOWN:
                out[i] = weights.foreign
        return out
    return zone_w


def _lookup(ids: list[str], mapping: Mapping[str, float]) -> FloatArray:
    return np.array([mapping[z] for z in ids], dtype=np.float64)
