"""Columnar events of one block as numpy arrays, and where a device is when an event fires."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trustflux.events.schemas import EVENT_TYPES
from trustflux.events.world.geography import Cells
from trustflux.events.world.numeric import IntArray, splitmix64
from trustflux.events.world.timegrid import SLOT_MS

(ATTACH, DETACH, LOCATION_UPDATE, HANDOVER, CALL_MO, CALL_MT, SMS_MO, SMS_MT, DATA_SESSION) = (
    EVENT_TYPES.index(name)
    for name in (
        "attach",
        "detach",
        "location_update",
        "handover",
        "call_mo",
        "call_mt",
        "sms_mo",
        "sms_mt",
        "data_session",
    )
)
NULL = -1


def _column(value: IntArray | int | None, n: int) -> IntArray:
    if value is None:
        return np.full(n, NULL, dtype=np.int64)
    if isinstance(value, int | np.integer):
        return np.full(n, int(value), dtype=np.int64)
    return np.asarray(value, dtype=np.int64)


@dataclass(frozen=True)
class EventBatch:
    """Events as parallel arrays; -1 stands for an empty (null) optional field."""

    dev: IntArray
    ts: IntArray
    cell: IntArray
    etype: IntArray
    counterpart: IntArray
    duration: IntArray
    bytes_up: IntArray
    bytes_down: IntArray

    def __len__(self) -> int:
        return int(self.dev.shape[0])

    @staticmethod
    def make(
        dev: IntArray,
        ts: IntArray,
        cell: IntArray,
        etype: IntArray,
        counterpart: IntArray | int | None = None,
        duration: IntArray | int | None = None,
        bytes_up: IntArray | None = None,
        bytes_down: IntArray | None = None,
    ) -> EventBatch:
        n = int(dev.shape[0])
        return EventBatch(
            dev=dev.astype(np.int64, copy=False),
            ts=ts.astype(np.int64, copy=False),
            cell=cell.astype(np.int64, copy=False),
            etype=etype.astype(np.int64, copy=False),
            counterpart=_column(counterpart, n),
            duration=_column(duration, n),
            bytes_up=_column(bytes_up, n),
            bytes_down=_column(bytes_down, n),
        )

    @staticmethod
    def empty() -> EventBatch:
        e = np.zeros(0, dtype=np.int64)
        return EventBatch.make(e, e, e, e)

    @staticmethod
    def concat(batches: list[EventBatch]) -> EventBatch:
        batches = [b for b in batches if len(b)]
        if not batches:
            return EventBatch.empty()
        if len(batches) == 1:
            return batches[0]
        return EventBatch(
            *(
                np.concatenate([getattr(b, name) for b in batches])
                for name in (
                    "dev",
                    "ts",
                    "cell",
                    "etype",
                    "counterpart",
                    "duration",
                    "bytes_up",
                    "bytes_down",
                )
            )
        )

    def take(self, index: IntArray) -> EventBatch:
        return EventBatch(
            self.dev[index],
            self.ts[index],
            self.cell[index],
            self.etype[index],
            self.counterpart[index],
            self.duration[index],
            self.bytes_up[index],
            self.bytes_down[index],
        )

    def sorted(self, day_start_ms: int) -> EventBatch:
        """Ordered by device (hence IMSI) then time, as one part file should be."""
        key = (self.dev << np.int64(32)) + (self.ts - day_start_ms + (1 << 31))
        return self.take(np.argsort(key))


@dataclass(frozen=True)
class CellLookup:
    """The block's devices in space and time: zone per slot, on-air interval, cell choice."""

    zones: IntArray
    """(devices, slots) zone index, -1 when absent."""
    on_start_ms: IntArray
    on_end_ms: IntArray
    anchor: IntArray
    static_cell: IntArray
    """A fixed cell (SIM boxes and other static devices), -1 for none."""
    day_start_ms: int
    cells: Cells

    def pick(self, dev: IntArray, zone: IntArray, ts: IntArray) -> IntArray:
        """A cell of ``zone``: mostly the device's usual one there, sometimes a neighbour."""
        count = self.cells.pool_count[zone]
        mix = splitmix64((ts // 20_000 + dev * 7_919).astype(np.uint64)).astype(np.int64) & 0xFFFF
        jitter = np.where(mix % 5 == 0, 1 + (mix >> 3) % 2, 0)
        pos = (self.anchor[dev] + zone * 7_919 + jitter) % count
        cell = self.cells.pool[self.cells.pool_start[zone] + pos]
        static = self.static_cell[dev]
        return np.where(static >= 0, static, cell)

    def batch(
        self,
        dev: IntArray,
        ts: IntArray,
        etype: int,
        counterpart: IntArray | int | None = None,
        duration: IntArray | int | None = None,
    ) -> EventBatch:
        """Events at given times, dropped where the device is away or switched off."""
        keep, zone = self.locate(dev, ts)
        dev, ts, zone = dev[keep], ts[keep], zone[keep]
        if isinstance(counterpart, np.ndarray):
            counterpart = counterpart[keep]
        if isinstance(duration, np.ndarray):
            duration = duration[keep]
        return EventBatch.make(
            dev=dev,
            ts=ts,
            cell=self.pick(dev, zone, ts),
            etype=np.full(dev.shape[0], etype, dtype=np.int64),
            counterpart=counterpart,
            duration=duration,
        )

    def locate(self, dev: IntArray, ts: IntArray) -> tuple[npt.NDArray[np.bool_], IntArray]:
        """Which (device, time) pairs are on air in the region, and the zone they are in."""
        n_slots = int(self.zones.shape[1])
        slot = (ts - self.day_start_ms) // SLOT_MS
        inside = (slot >= 0) & (slot < n_slots)
        zone = self.zones[dev, np.clip(slot, 0, n_slots - 1)]
        keep = inside & (zone >= 0) & (ts >= self.on_start_ms[dev]) & (ts < self.on_end_ms[dev])
        return keep, zone
