"""Where each person is in each 30-minute slot of a day, and the trips between stays.

A day is a short chain of stays: the base (home, accommodation, or outside the region),
then up to four activities, then back to base (or out of the region). Activity places
follow an exploration-and-preferential-return rule: with ``explore_probability`` a new
place drawn by a gravity kernel from where the person is, otherwise one of a few personal
favourite places, the first favourites much more often (Zipf weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trustflux.events.world.geography import Geography
from trustflux.events.world.numeric import IntArray, sample_cdf, sample_rows
from trustflux.events.world.params import WorldParams
from trustflux.events.world.population import (
    COMMUTER,
    EXCURSIONIST,
    FAVOURITES,
    RESIDENT,
    TOURIST,
    TRANSIT,
    Persons,
)
from trustflux.events.world.timegrid import SLOT_MS, DayGrid

ABSENT, AT_BASE, ARRIVE, DEPART, VISIT, PASS = range(6)
MAX_ACTIVITIES = 4
_ZIPF = np.cumsum(1.0 / np.arange(1, FAVOURITES + 1)) / np.sum(1.0 / np.arange(1, FAVOURITES + 1))


def day_status(
    persons: Persons, params: WorldParams, grid: DayGrid, rng: np.random.Generator
) -> IntArray:
    """Whether and how each person is in the region on this day."""
    cat = persons.category
    n = len(persons)
    u = rng.random(n)
    status = np.full(n, ABSENT, dtype=np.int64)
    status[cat == RESIDENT] = AT_BASE
    commute = 0.9 if grid.is_workday else 0.05
    status[(cat == COMMUTER) & (u < commute)] = VISIT
    q = params.excursion_day_probability * (1.0 if grid.is_workday else 2.0)
    status[(cat == EXCURSIONIST) & (u < min(q, 1.0))] = VISIT
    status[(cat == TRANSIT) & (u < params.transit_day_probability)] = PASS
    k = (grid.index + persons.offset) % persons.period
    tourist = cat == TOURIST
    status[tourist & (k == 0)] = ARRIVE
    status[tourist & (k >= 1) & (k < persons.nights)] = AT_BASE
    status[tourist & (k == persons.nights)] = DEPART
    return status


@dataclass(frozen=True)
class Presence:
    """Zone per person and slot (-1: outside the region) and the day's trips."""

    zones: IntArray
    trip_row: IntArray
    trip_slot: IntArray
    """Slot in which the person arrives (the stay after the trip starts then)."""
    trip_origin: IntArray
    trip_dest: IntArray
    trip_depart_ms: IntArray
    trip_arrive_ms: IntArray


def _activities(
    persons: Persons,
    rows: IntArray,
    begin: IntArray,
    resident: IntArray,
    geo: Geography,
    params: WorldParams,
    rng: np.random.Generator,
) -> IntArray:
    """Places of up to four activities per person (exploration or preferential return)."""
    n = int(rows.shape[0])
    places = np.empty((n, MAX_ACTIVITIES), dtype=np.int64)
    favourites = persons.favourites[rows]
    prev = begin
    for k in range(MAX_ACTIVITIES):
        rank = sample_cdf(_ZIPF, n, rng)
        chosen = favourites[np.arange(n), rank]
        explore = rng.random(n) < params.explore_probability
        if explore.any():
            idx = np.flatnonzero(explore)
            local = resident[idx].astype(bool) & (prev[idx] >= 0)
            new = sample_cdf(geo.visitor_cdf, idx.shape[0], rng)
            if local.any():
                new[local] = sample_rows(geo.leisure_cdf, prev[idx][local], rng)
            chosen[idx] = new
        places[:, k] = chosen
        prev = chosen
    return places


def locate(
    persons: Persons,
    rows: IntArray,
    status: IntArray,
    grid: DayGrid,
    geo: Geography,
    params: WorldParams,
    rng: np.random.Generator,
) -> Presence:
    """Zones per slot for the persons ``rows`` (all present today) and their trips."""
    n = int(rows.shape[0])
    n_slots = grid.n_slots
    cat = persons.category[rows]
    base = persons.home[rows]
    resident = (cat == RESIDENT).astype(np.int64)
    begin = np.where((status == ARRIVE) | (status == VISIT) | (status == PASS), -1, base)
    end = np.where((status == DEPART) | (status == VISIT) | (status == PASS), -1, base)
    places = _activities(persons, rows, begin, resident, geo, params, rng)

    n_act = sample_cdf(np.array([0.2, 0.55, 0.85, 1.0]), n, rng)
    t0 = rng.integers(17, 27, n)
    dur = rng.integers(2, 9, (n, MAX_ACTIVITIES))

    work_day = grid.is_workday & (cat == RESIDENT) & (persons.work[rows] >= 0)
    work_day &= rng.random(n) < 0.92
    commute = (cat == COMMUTER) & (status == VISIT)
    to_work = work_day | commute
    places[to_work, 0] = np.where(commute[to_work], base[to_work], persons.work[rows][to_work])
    dur[to_work, 0] = rng.integers(15, 21, int(to_work.sum()))
    dur[to_work, 1] = rng.integers(1, 5, int(to_work.sum()))
    n_act[to_work] = 1 + (rng.random(int(to_work.sum())) < 0.3)
    t0[to_work] = rng.integers(14, 20, int(to_work.sum()))

    arrive = status == ARRIVE
    t0[arrive] = rng.integers(22, 35, int(arrive.sum()))
    n_act[arrive] = rng.integers(1, 3, int(arrive.sum()))
    depart = status == DEPART
    n_act[depart] = rng.integers(1, 3, int(depart.sum()))
    excursion = (cat == EXCURSIONIST) & (status == VISIT)
    t0[excursion] = rng.integers(18, 25, int(excursion.sum()))
    n_act[excursion] = rng.integers(1, 4, int(excursion.sum()))
    dur[excursion] = rng.integers(3, 7, (int(excursion.sum()), MAX_ACTIVITIES))
    passing = status == PASS
    m = int(passing.sum())
    t0[passing] = rng.integers(12, 43, m)
    n_act[passing] = rng.integers(2, 4, m)
    dur[passing] = 1
    places[passing] = rng.integers(0, geo.zones.n_study, (m, MAX_ACTIVITIES))

    leaves = end < 0
    cap = np.where(leaves, n_slots - 1, n_slots - 2)
    starts = np.full((n, MAX_ACTIVITIES + 2), n_slots, dtype=np.int64)
    stay_zone = np.full((n, MAX_ACTIVITIES + 2), -1, dtype=np.int64)
    starts[:, 0] = 0
    stay_zone[:, 0] = begin
    t = t0.copy()
    for k in range(MAX_ACTIVITIES):
        active = k < n_act
        starts[:, k + 1] = np.where(active, np.minimum(t, cap), n_slots)
        stay_zone[:, k + 1] = places[:, k]
        t = t + np.where(active, dur[:, k], 0)
    starts[:, -1] = np.minimum(t, cap)
    stay_zone[:, -1] = end

    slots = np.arange(n_slots, dtype=np.int64)
    zones = np.full((n, n_slots), -1, dtype=np.int64)
    for k in range(MAX_ACTIVITIES + 2):
        zones = np.where(slots[None, :] >= starts[:, k, None], stay_zone[:, k, None], zones)
    return _trips(zones, grid, geo, rng)


def _trips(zones: IntArray, grid: DayGrid, geo: Geography, rng: np.random.Generator) -> Presence:
    """Every change of zone between consecutive slots is a trip, timed by its distance."""
    changed = zones[:, 1:] != zones[:, :-1]
    row, col = np.nonzero(changed)
    slot = col + 1
    origin = zones[row, col]
    dest = zones[row, slot]
    both = (origin >= 0) & (dest >= 0)
    km = np.where(both, geo.dist_km[np.maximum(origin, 0), np.maximum(dest, 0)], 0.0)
    minutes = np.where(both, np.clip(5.0 + 1.5 * km, 5.0, 28.0), rng.uniform(5.0, 25.0, row.size))
    arrive = grid.start_ms + slot * SLOT_MS
    travel = (minutes * 60_000).astype(np.int64) + rng.integers(0, 60_000, row.size)
    return Presence(
        zones=zones,
        trip_row=row.astype(np.int64),
        trip_slot=slot.astype(np.int64),
        trip_origin=origin,
        trip_dest=dest,
        trip_depart_ms=arrive - travel,
        trip_arrive_ms=arrive,
    )
