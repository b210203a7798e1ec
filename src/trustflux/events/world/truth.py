"""Ground truth, kept apart from the input: presence, trips, nights, fraud, gateway faults.

Presence is accumulated per day from per-block partial counts; trips and device-days are
appended block by block; fraud and faults come from the plans made before simulation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from trustflux.events.world.block import BlockResult, World
from trustflux.events.world.params import OWN_REGION, ROAMING_COUNTRIES
from trustflux.events.world.population import CATEGORIES, RESIDENT
from trustflux.events.world.tables import (
    EPOCH,
    TRUTH_SCHEMAS,
    digits,
    gateway_ids,
    labels,
    timestamps,
    truth_table,
)
from trustflux.events.world.telemetry import FAULTS
from trustflux.events.world.timegrid import DayGrid, day_bounds
from trustflux.events.world.writer import Sink


class Truth:
    """Collects the truth of a run and streams it to ``truth_dir`` through ``sink``."""

    def __init__(self, world: World, sink: Sink, truth_dir: Path) -> None:
        self.world = world
        self.sink = sink
        self.dir = truth_dir
        geo = world.geo
        self._origins = [OWN_REGION, *geo.regions, *(c.iso for c in ROAMING_COUNTRIES)]
        self._people = np.zeros(0, dtype=np.int64)
        self._devices = np.zeros(0, dtype=np.int64)
        self._roamers = np.zeros(0, dtype=np.int64)

    def start_day(self, grid: DayGrid) -> None:
        size = self.world.geo.zones.n_study * grid.n_slots
        self._people = np.zeros(size, dtype=np.int64)
        self._devices = np.zeros(size, dtype=np.int64)
        self._roamers = np.zeros(size, dtype=np.int64)

    def add_block(self, grid: DayGrid, block: BlockResult) -> None:
        self._people += block.people
        self._devices += block.devices
        self._roamers += block.roamers
        self._device_days(grid, block)
        self._trips(block)

    def end_day(self, grid: DayGrid) -> None:
        n_study = self.world.geo.zones.n_study
        zone = np.repeat(np.arange(n_study, dtype=np.int64), grid.n_slots)
        slot = np.tile(grid.slot_start_ms(), n_study)
        ids = self.world.geo.zones.ids
        people, devices, roamers = self._people, self._devices, self._roamers

        def build() -> pa.Table:
            return truth_table(
                "presence",
                {
                    "zone_id": labels(zone, ids),
                    "slot_start": timestamps(slot),
                    "devices": pa.array(devices),
                    "roamers": pa.array(roamers),
                    "people": pa.array(people),
                },
            )

        self.sink.stream(
            "presence", self.dir / "presence.parquet", TRUTH_SCHEMAS["presence"], build
        )

    def _device_days(self, grid: DayGrid, block: BlockResult) -> None:
        world = self.world
        devs = block.device_ids
        person = world.devices.person[devs]
        has_person = person >= 0
        p = np.where(has_person, person, 0)
        category = np.where(has_person, world.persons.category[p], RESIDENT)
        foreign = has_person & (world.persons.foreign[p] == 1)
        visitor = has_person & (category != RESIDENT)
        n_regions = len(world.geo.regions)
        origin = np.zeros(devs.shape[0], dtype=np.int64)
        origin_code = world.persons.origin[p]
        origin = np.where(visitor & ~foreign, 1 + origin_code, origin)
        origin = np.where(foreign, 1 + n_regions + origin_code, origin)
        home = np.where(category == RESIDENT, world.persons.home[p], -1)
        home = np.where(has_person, home, world.devices.static_zone[devs])
        night = block.device_zones[:, grid.night_slot]
        slots = (block.device_zones >= 0).sum(axis=1)
        day = (grid.day - EPOCH).days
        ids, origins, imsi = world.geo.zones.ids, self._origins, block.imsi

        def build() -> pa.Table:
            return truth_table(
                "device_days",
                {
                    "imsi": imsi,
                    "person_id": pa.array(person, mask=~has_person),
                    "date": pa.array(np.full(devs.shape[0], day, dtype=np.int32)),
                    "category": labels(category, CATEGORIES),
                    "origin_type": labels(foreign.astype(np.int64), ("domestic", "foreign")),
                    "origin": labels(origin, origins),
                    "home_zone_id": labels(home, ids),
                    "night_zone_id": labels(night, ids),
                    "slots_present": pa.array(slots),
                },
            )

        path = self.dir / "device_days.parquet"
        self.sink.stream("device_days", path, TRUTH_SCHEMAS["device_days"], build)

    def _trips(self, block: BlockResult) -> None:
        imsi_values = np.where(
            block.trip_device >= 0, self.world.devices.imsi[np.maximum(block.trip_device, 0)], -1
        )
        ids = self.world.geo.zones.ids

        def build() -> pa.Table:
            return truth_table(
                "trips",
                {
                    "person_id": pa.array(block.trip_person),
                    "imsi": digits(imsi_values),
                    "depart": timestamps(block.trip_depart_ms),
                    "arrive": timestamps(block.trip_arrive_ms),
                    "origin_zone_id": labels(block.trip_origin, ids),
                    "dest_zone_id": labels(block.trip_dest, ids),
                },
            )

        self.sink.stream("trips", self.dir / "trips.parquet", TRUTH_SCHEMAS["trips"], build)

    def finish(self, start: date) -> None:
        """Write the planned fraud cases and gateway faults."""
        self.sink.table("fraud", self.dir / "fraud", self._fraud_table(start))
        gw = self.world.gateways
        faulty = np.flatnonzero(gw.fault >= 0)

        def faults() -> pa.Table:
            return truth_table(
                "gateway_faults",
                {
                    "gateway_id": gateway_ids(gw).take(pa.array(faulty)),
                    "fault": labels(gw.fault[faulty], FAULTS),
                    "start": timestamps(gw.fault_start_ms[faulty]),
                    "end": timestamps(gw.fault_end_ms[faulty]),
                },
            )

        self.sink.table("gateway_faults", self.dir / "gateway_faults", faults)

    def _fraud_table(self, start: date) -> Callable[[], pa.Table]:
        world = self.world
        sims, plan = world.sims, world.wangiri
        rows = world.n_own_ordinary + np.arange(len(sims), dtype=np.int64)
        first = np.array([day_bounds(start, int(d))[0] for d in sims.first_day], dtype=np.int64)
        last = np.array([day_bounds(start, int(d))[1] for d in sims.last_day], dtype=np.int64)
        w_start = (
            np.array([day_bounds(start, int(d))[0] for d in plan.burst_day], dtype=np.int64)
            + plan.burst_start_s * 1_000
        )
        n_w = int(plan.burst_case.shape[0])
        none = np.full(n_w, -1, dtype=np.int64)
        case_names = [*sims.case_ids, *plan.case_ids]
        n_sim_cases = len(sims.case_ids)
        kind = np.concatenate([sims.kind - 1, np.full(n_w, 2, dtype=np.int64)])

        def build() -> pa.Table:
            return truth_table(
                "fraud",
                {
                    "case_id": labels(
                        np.concatenate([sims.case, n_sim_cases + plan.burst_case]), case_names
                    ),
                    "kind": labels(kind, ("sim_box", "irsf", "wangiri")),
                    "imsi": digits(np.concatenate([world.devices.imsi[rows], none])),
                    "msisdn": digits(np.concatenate([world.devices.msisdn[rows], none])),
                    "external_number": digits(
                        np.concatenate([np.full(len(sims), -1), plan.numbers[plan.burst_case]])
                    ),
                    "start": timestamps(np.concatenate([first, w_start])),
                    "end": timestamps(np.concatenate([last, w_start + plan.burst_len_s * 1_000])),
                },
            )

        return build
