"""Network events of a block of devices for one day, vectorised over devices and events.

Counts per device and type are Poisson, with a personal activity level; times follow a
diurnal profile restricted to the slots where the device is present and switched on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trustflux.events.world.eventbatch import (
    ATTACH,
    CALL_MO,
    CALL_MT,
    DATA_SESSION,
    DETACH,
    HANDOVER,
    LOCATION_UPDATE,
    SMS_MO,
    SMS_MT,
    CellLookup,
    EventBatch,
)
from trustflux.events.world.fraud import KIND_IRSF, KIND_SIMBOX
from trustflux.events.world.numeric import (
    FloatArray,
    IntArray,
    row_cdf,
    sample_cdf,
    sample_rows,
    splitmix64,
)
from trustflux.events.world.params import ROAMING_COUNTRIES, WorldParams
from trustflux.events.world.timegrid import SLOT_MS, DayGrid

# Relative intensity per local hour (0-23).
_VOICE = np.array(
    [
        0.3,
        0.15,
        0.1,
        0.1,
        0.1,
        0.2,
        0.6,
        1.5,
        3.0,
        4.0,
        4.5,
        4.8,
        4.5,
        4.0,
        4.2,
        4.5,
        4.8,
        5.2,
        5.5,
        5.0,
        4.0,
        3.0,
        2.0,
        1.0,
    ]
)
_SMS = np.array(
    [
        0.6,
        0.3,
        0.15,
        0.1,
        0.1,
        0.2,
        0.8,
        2.0,
        3.0,
        3.5,
        3.8,
        4.0,
        4.3,
        4.0,
        3.8,
        4.0,
        4.4,
        4.8,
        5.2,
        5.5,
        5.5,
        5.0,
        3.5,
        1.8,
    ]
)
_DATA = np.array(
    [
        1.5,
        0.8,
        0.5,
        0.4,
        0.4,
        0.6,
        1.5,
        3.0,
        3.5,
        3.5,
        3.6,
        3.8,
        4.2,
        4.0,
        3.8,
        3.8,
        4.0,
        4.3,
        4.8,
        5.2,
        5.6,
        5.8,
        5.0,
        3.0,
    ]
)
_BUSINESS = np.where((np.arange(24) >= 8) & (np.arange(24) <= 20), 1.0, 0.02)
_CONTACT_RANKS = 30
_CONTACT_CDF = np.cumsum(1.0 / np.arange(1, _CONTACT_RANKS + 1) ** 1.1)
_CONTACT_CDF /= _CONTACT_CDF[-1]
_WIDTH = np.array(
    [10 ** (c.number_length - len(c.mobile_prefix)) for c in ROAMING_COUNTRIES], dtype=np.int64
)
_PREFIX = np.array([int(c.mobile_prefix) for c in ROAMING_COUNTRIES], dtype=np.int64) * _WIDTH


@dataclass(frozen=True)
class BlockDevices:
    """What usage needs to know about the block's devices (all arrays by local index)."""

    lookup: CellLookup
    voice: FloatArray
    data: FloatArray
    country: IntArray
    fraud: IntArray
    own_msisdn: IntArray
    """All own numbers, to draw on-net contacts from."""


def _active_slots(dev: BlockDevices, grid: DayGrid) -> FloatArray:
    lk = dev.lookup
    start = grid.slot_start_ms()
    on = (start[None, :] < lk.on_end_ms[:, None]) & (
        start[None, :] + SLOT_MS > lk.on_start_ms[:, None]
    )
    return ((lk.zones >= 0) & on).astype(np.float64)


def _timed(
    dev: BlockDevices,
    grid: DayGrid,
    active: FloatArray,
    profile: FloatArray,
    rate: FloatArray,
    etype: int,
    rng: np.random.Generator,
) -> EventBatch:
    """Poisson counts per device spread over its active slots along ``profile``."""
    weights = profile[grid.local_hour]
    share = active @ weights / weights.sum()
    counts = rng.poisson(rate * share)
    devs = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
    if devs.size == 0:
        return EventBatch.empty()
    cdf = row_cdf(active * weights[None, :])
    slot = sample_rows(cdf, devs, rng)
    ts = grid.start_ms + slot * SLOT_MS + rng.integers(0, SLOT_MS, devs.size)
    return dev.lookup.batch(devs, ts, etype)


def _contacts(
    dev: BlockDevices, devs: IntArray, rng: np.random.Generator, p: WorldParams
) -> IntArray:
    """Counterpart numbers: a personal circle of ~30 numbers, the first ones called most."""
    rank = sample_cdf(_CONTACT_CDF, devs.size, rng)
    key = (dev.lookup.anchor[devs] * _CONTACT_RANKS + rank).astype(np.uint64)
    h = (splitmix64(key) >> np.uint64(1)).astype(np.int64)
    pick = h % 1_000
    digits = (h // 1_000) % 10**8
    mobile = 33_600_000_000 + (h // 7) % (2 * 10**8)
    fixed = 33_000_000_000 + (1 + (h // 11) % 5) * 10**8 + digits
    country = (h // 13) % len(ROAMING_COUNTRIES)
    abroad = _PREFIX[country] + (h // 19) % _WIDTH[country]
    on_net = dev.own_msisdn[(h // 17) % dev.own_msisdn.size]
    number = np.where(pick < 800, mobile, fixed)
    number = np.where(pick < 1_000 * p.on_net_share, on_net, number)
    number = np.where(pick >= 1_000 * (1 - p.international_call_share), abroad, number)
    roamer = dev.country[devs]
    home = roamer >= 0
    if home.any():
        home_number = _PREFIX[roamer[home]] + (h[home] // 19) % _WIDTH[roamer[home]]
        number[home] = np.where(pick[home] < 700, home_number, mobile[home])
    simbox = dev.fraud[devs] == KIND_SIMBOX
    if simbox.any():
        number[simbox] = 33_600_000_000 + rng.integers(0, 2 * 10**8, int(simbox.sum()))
    return number


def _durations(n: int, rng: np.random.Generator, median: float, answered: float) -> IntArray:
    seconds = np.clip(rng.lognormal(math.log(median), 1.1, n), 1, 7_200).astype(np.int64)
    return np.where(rng.random(n) < answered, seconds, 0)


def day_events(
    dev: BlockDevices,
    grid: DayGrid,
    trips: tuple[IntArray, IntArray, IntArray, IntArray, IntArray],
    params: WorldParams,
    rng: np.random.Generator,
) -> EventBatch:
    """Ordinary events of the block's devices for ``grid``'s day (unsorted).

    ``trips`` are (device, origin, dest, depart_ms, arrive_ms) for the block's devices.
    SIM-box SIMs get their calling pattern here through their rates; IRSF and wangiri
    calls are added by ``fraud``.
    """
    lk = dev.lookup
    n = int(lk.zones.shape[0])
    active = _active_slots(dev, grid)
    batches: list[EventBatch] = []

    period = int(params.lu_period_min * 60_000)
    k = np.arange(math.ceil((grid.end_ms - grid.start_ms) / period) + 1, dtype=np.int64)
    phase = rng.integers(0, period, n)
    ts = grid.start_ms + phase[:, None] + k[None, :] * period
    devs = np.repeat(np.arange(n, dtype=np.int64), k.size)
    batches.append(lk.batch(devs, ts.ravel(), LOCATION_UPDATE))

    switched = np.flatnonzero(lk.on_start_ms > grid.start_ms)
    batches.append(lk.batch(switched, lk.on_start_ms[switched], ATTACH))
    switched = np.flatnonzero(lk.on_end_ms <= grid.end_ms)
    batches.append(lk.batch(switched, lk.on_end_ms[switched] - 1, DETACH))

    t_dev, t_origin, t_dest, t_depart, t_arrive = trips
    move = (t_origin >= 0) & (t_dest >= 0)
    arrive_ts = t_arrive + rng.integers(0, 60_000, t_arrive.size)
    batches.append(lk.batch(t_dev[move], arrive_ts[move], LOCATION_UPDATE))
    entry = t_origin < 0
    roaming = dev.country[t_dev] >= 0
    batches.append(lk.batch(t_dev[entry & roaming], arrive_ts[entry & roaming], ATTACH))
    batches.append(lk.batch(t_dev[entry & ~roaming], arrive_ts[entry & ~roaming], LOCATION_UPDATE))
    n_ho = rng.poisson(params.handovers_per_trip, t_dev.size) * move
    ho_dev = np.repeat(t_dev, n_ho)
    lo = np.repeat(t_depart, n_ho)
    hi = np.repeat(t_arrive + 600_000, n_ho)
    ho_ts = lo + (rng.random(ho_dev.size) * (hi - lo)).astype(np.int64)
    keep, zone = lk.locate(ho_dev, ho_ts)
    ho_dev, ho_ts, zone = ho_dev[keep], ho_ts[keep], zone[keep]
    cell = lk.cells.pool[lk.cells.pool_start[zone] + rng.integers(0, lk.cells.pool_count[zone])]
    batches.append(EventBatch.make(ho_dev, ho_ts, cell, np.full(ho_dev.size, HANDOVER)))

    simbox = (dev.fraud == KIND_SIMBOX).astype(np.float64)
    irsf = (dev.fraud == KIND_IRSF).astype(np.float64)
    ordinary = 1.0 - simbox - irsf
    voice = dev.voice * ordinary
    plans = (
        (CALL_MO, _VOICE, voice * params.calls_mo_per_day),
        (CALL_MO, _BUSINESS, simbox * params.simbox_calls_per_day * rng.uniform(0.8, 1.2, n)),
        (CALL_MT, _VOICE, voice * params.calls_mt_per_day + 0.3 * (simbox + irsf)),
        (SMS_MO, _SMS, voice * params.sms_mo_per_day),
        (SMS_MT, _SMS, voice * params.sms_mt_per_day),
        (DATA_SESSION, _DATA, dev.data * params.data_sessions_per_day * ordinary + simbox + irsf),
    )
    for etype, profile, rate in plans:
        if rate.any():
            batch = _timed(dev, grid, active, profile, rate, etype, rng)
            batches.append(_complete(dev, batch, etype, params, rng))
    return EventBatch.concat(batches)


def _complete(
    dev: BlockDevices,
    batch: EventBatch,
    etype: int,
    params: WorldParams,
    rng: np.random.Generator,
) -> EventBatch:
    """Fill counterpart, duration or volumes according to the event type."""
    devs = batch.dev
    m = devs.size
    if m == 0:
        return batch
    if etype == DATA_SESSION:
        down = np.clip(rng.lognormal(math.log(250_000), 2.0, m), 200, 8e9).astype(np.int64)
        up = (down * rng.beta(2.0, 12.0, m)).astype(np.int64) + 300
        return EventBatch(
            batch.dev,
            batch.ts,
            batch.cell,
            batch.etype,
            batch.counterpart,
            batch.duration,
            up,
            down,
        )
    number = _contacts(dev, devs, rng, params)
    duration = batch.duration
    if etype in (CALL_MO, CALL_MT):
        box = dev.fraud[devs] == KIND_SIMBOX
        duration = np.where(box, _durations(m, rng, 100.0, 0.95), _durations(m, rng, 75.0, 0.85))
    return EventBatch(
        batch.dev,
        batch.ts,
        batch.cell,
        batch.etype,
        number,
        duration,
        batch.bytes_up,
        batch.bytes_down,
    )
