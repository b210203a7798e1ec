"""One block of one day: a slice of the people present, their devices, events and truth.

A block never looks outside itself, so a day is a sequence of independent blocks and
memory is bounded by the block size, not by the world.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from trustflux.events.world.eventbatch import CellLookup, EventBatch
from trustflux.events.world.fraud import (
    KIND_IRSF,
    FraudSims,
    WangiriPlan,
    irsf_calls,
    wangiri_calls,
)
from trustflux.events.world.geography import Geography
from trustflux.events.world.mobility import locate
from trustflux.events.world.numeric import IntArray
from trustflux.events.world.params import WorldParams
from trustflux.events.world.population import Devices, Persons
from trustflux.events.world.tables import digits
from trustflux.events.world.telemetry import Gateways, TelemetryBatch, day_samples
from trustflux.events.world.timegrid import SLOT_MS, DayGrid
from trustflux.events.world.usage import BlockDevices, day_events


@dataclass(frozen=True)
class World:
    """Everything fixed for the whole window."""

    params: WorldParams
    geo: Geography
    persons: Persons
    devices: Devices
    gateways: Gateways
    sims: FraudSims
    wangiri: WangiriPlan
    own_msisdn: IntArray
    n_own_ordinary: int
    """Own devices that are not fraud SIMs (potential wangiri victims)."""


@dataclass(frozen=True)
class BlockResult:
    """What a block hands to the writers and truth accumulators."""

    imsi: pa.Array
    """Text IMSI per local device index (sorted by IMSI)."""
    events: EventBatch
    telemetry: TelemetryBatch
    people: IntArray
    devices: IntArray
    roamers: IntArray
    """Counts per (zone, slot), flattened zone-major."""
    device_ids: IntArray
    device_zones: IntArray
    trip_person: IntArray
    trip_device: IntArray
    """Global device index per trip, -1 when the person has no active device."""
    trip_origin: IntArray
    trip_dest: IntArray
    trip_depart_ms: IntArray
    trip_arrive_ms: IntArray


def _on_air(
    world: World, devs: IntArray, grid: DayGrid, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Devices switched off at night attach in the morning and detach late in the evening."""
    n = int(devs.shape[0])
    hours = grid.local_hour
    six = int(np.argmax(hours >= 6))
    ten_pm = int(np.argmax(hours >= 22))
    off = (world.devices.night_off[devs] == 1) & (rng.random(n) < 0.8)
    off &= world.devices.fraud[devs] == 0
    on_start = grid.start_ms + six * SLOT_MS + rng.integers(0, 5 * SLOT_MS, n)
    on_end = grid.start_ms + (ten_pm + 1) * SLOT_MS + rng.integers(0, 85 * 60_000, n)
    start = np.where(off, on_start, grid.start_ms)
    end = np.where(off, np.minimum(on_end, grid.end_ms - 60_000), grid.end_ms + 1)
    return start, end


def simulate_block(
    world: World,
    rows: IntArray,
    status: IntArray,
    fraud_devs: IntArray,
    grid: DayGrid,
    rng: np.random.Generator,
) -> BlockResult:
    """Simulate persons ``rows`` (with their ``status`` today) plus the fraud SIMs given."""
    params, geo, dev = world.params, world.geo, world.devices
    n_study, n_slots = geo.zones.n_study, grid.n_slots
    presence = locate(world.persons, rows, status, grid, geo, params, rng)
    zones = presence.zones
    slot_idx = np.arange(n_slots, dtype=np.int64)

    def counts(z: IntArray) -> IntArray:
        flat = (z * n_slots + slot_idx[None, :])[z >= 0]
        return np.bincount(flat, minlength=n_study * n_slots).astype(np.int64)

    pdev = world.persons.device[rows]
    day = grid.index
    has = pdev >= 0
    has[has] = (dev.first_day[pdev[has]] <= day) & (dev.last_day[pdev[has]] >= day)
    dev_rows = np.flatnonzero(has)
    devs = np.concatenate([pdev[dev_rows], fraud_devs])
    dev_zones = np.concatenate(
        [zones[dev_rows], np.repeat(dev.static_zone[fraud_devs][:, None], n_slots, axis=1)]
    )
    order = np.argsort(dev.imsi[devs], kind="stable")
    devs, dev_zones = devs[order], dev_zones[order]
    local = np.full(rows.shape[0], -1, dtype=np.int64)
    local[dev_rows] = np.argsort(order)[: dev_rows.shape[0]]

    on_start, on_end = _on_air(world, devs, grid, rng)
    lookup = CellLookup(
        zones=dev_zones,
        on_start_ms=on_start,
        on_end_ms=on_end,
        anchor=dev.anchor[devs],
        static_cell=dev.static_cell[devs],
        day_start_ms=grid.start_ms,
        cells=geo.cells,
    )
    block_devices = BlockDevices(
        lookup=lookup,
        voice=dev.voice[devs] / 1_000.0,
        data=dev.data[devs] / 1_000.0,
        country=dev.country[devs],
        fraud=dev.fraud[devs],
        own_msisdn=world.own_msisdn,
    )
    t_local = local[presence.trip_row]
    t_keep = t_local >= 0
    trips = (
        t_local[t_keep],
        presence.trip_origin[t_keep],
        presence.trip_dest[t_keep],
        presence.trip_depart_ms[t_keep],
        presence.trip_arrive_ms[t_keep],
    )
    batches = [day_events(block_devices, grid, trips, params, rng)]
    irsf = np.flatnonzero(dev.fraud[devs] == KIND_IRSF)
    if irsf.size:
        batches.append(irsf_calls(irsf, grid, dev.static_cell[devs[irsf]], rng))
    victims = np.flatnonzero((devs < world.n_own_ordinary) & (dev.fraud[devs] == 0))
    share = params.wangiri_victim_share
    batches.append(wangiri_calls(world.wangiri, grid, victims, lookup, share, rng))
    events = EventBatch.concat(batches).sorted(grid.start_ms)

    gw_rows = dev.gateway[devs]
    gw_rows = np.sort(gw_rows[gw_rows >= 0])
    telemetry = day_samples(world.gateways, gw_rows, (grid.start_ms, grid.end_ms), params, rng)
    roaming = dev.country[devs] >= 0
    trip_dev = np.full(rows.shape[0], -1, dtype=np.int64)
    trip_dev[dev_rows] = pdev[dev_rows]
    return BlockResult(
        imsi=digits(dev.imsi[devs]),
        events=events,
        telemetry=telemetry,
        people=counts(zones),
        devices=counts(dev_zones),
        roamers=counts(dev_zones[roaming]),
        device_ids=devs,
        device_zones=dev_zones,
        trip_person=rows[presence.trip_row],
        trip_device=trip_dev[presence.trip_row],
        trip_origin=presence.trip_origin,
        trip_dest=presence.trip_dest,
        trip_depart_ms=presence.trip_depart_ms,
        trip_arrive_ms=presence.trip_arrive_ms,
    )
