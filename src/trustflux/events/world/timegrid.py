"""Days and 30-minute slots: local (Europe/Paris) rhythms, UTC timestamps.

A simulated day is a local calendar day, so it has 46, 48 or 50 slots around daylight-saving
changes; slots stay aligned on UTC half-hours because Paris offsets are whole hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

LOCAL_TZ = ZoneInfo("Europe/Paris")
SLOT_S = 1_800
SLOT_MS = SLOT_S * 1_000


@dataclass(frozen=True)
class DayGrid:
    """One local day of the simulation window."""

    index: int
    day: date
    start_ms: int
    end_ms: int
    local_hour: npt.NDArray[np.int64]
    """Local clock hour (0-23) at the start of each slot."""

    @property
    def n_slots(self) -> int:
        return int(self.local_hour.shape[0])

    @property
    def weekday(self) -> int:
        """Monday is 0."""
        return self.day.weekday()

    @property
    def is_workday(self) -> bool:
        return self.weekday < 5

    @property
    def night_slot(self) -> int:
        """The last slot of the day: where a device is then is where it spends the night."""
        return self.n_slots - 1

    def slot_start_ms(self) -> npt.NDArray[np.int64]:
        return self.start_ms + np.arange(self.n_slots, dtype=np.int64) * SLOT_MS


def _utc_ms(local_day: date) -> int:
    moment = datetime.combine(local_day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)
    return int(moment.timestamp() * 1_000)


def day_grid(start: date, index: int) -> DayGrid:
    """The grid of day ``index`` of a window starting on ``start``."""
    day = start + timedelta(days=index)
    start_ms = _utc_ms(day)
    end_ms = _utc_ms(day + timedelta(days=1))
    n_slots = (end_ms - start_ms) // SLOT_MS
    hours = []
    for s in range(n_slots):
        utc = datetime.fromtimestamp((start_ms + s * SLOT_MS) / 1_000, tz=UTC)
        hours.append(utc.astimezone(LOCAL_TZ).hour)
    return DayGrid(
        index=index,
        day=day,
        start_ms=start_ms,
        end_ms=end_ms,
        local_hour=np.asarray(hours, dtype=np.int64),
    )


def day_bounds(start: date, index: int) -> tuple[int, int]:
    """UTC bounds (ms) of day ``index`` of the window."""
    day = start + timedelta(days=index)
    return _utc_ms(day), _utc_ms(day + timedelta(days=1))


def window_ms(start: date, days: int) -> tuple[int, int]:
    """UTC bounds (ms) of the whole simulation window."""
    return _utc_ms(start), _utc_ms(start + timedelta(days=days))
