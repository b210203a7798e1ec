"""The period being published and its slot calendar, computed once in Python.

Engines see slots only as integers counted from the period's first local midnight; this table
maps them to UTC starts, local days and hours. Paris offsets are whole hours, so 30-minute
slots stay aligned on UTC half-hours and a day has 46, 48 or 50 of them around DST changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa

from trustflux.errors import ConfigError

LOCAL_TZ = ZoneInfo("Europe/Paris")
NIGHT_FROM_HOUR = 22
NIGHT_TO_HOUR = 6
TIME_BANDS = (
    ("night", 0, 6),
    ("morning", 6, 10),
    ("midday", 10, 14),
    ("afternoon", 14, 18),
    ("evening", 18, 24),
)


def local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


def time_band(hour: int) -> str:
    for name, start, end in TIME_BANDS:
        if start <= hour < end:
            return name
    raise ValueError(hour)


@dataclass(frozen=True)
class Period:
    """Consecutive local days published together, sharing one pseudonymisation key."""

    start: date
    days: int
    slot_minutes: int = 30

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ConfigError("a period has at least one day")
        if (60 % self.slot_minutes) and (self.slot_minutes % 60):
            raise ConfigError(f"slot_minutes={self.slot_minutes} must divide or be hours")

    @property
    def day_list(self) -> tuple[date, ...]:
        return tuple(self.start + timedelta(days=i) for i in range(self.days))

    @property
    def end(self) -> date:
        """The day after the last day."""
        return self.start + timedelta(days=self.days)

    @property
    def start_utc(self) -> datetime:
        return local_midnight_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        return local_midnight_utc(self.end)

    @property
    def slot_seconds(self) -> int:
        return self.slot_minutes * 60

    @property
    def n_slots(self) -> int:
        return int((self.end_utc - self.start_utc).total_seconds()) // self.slot_seconds

    @property
    def label(self) -> str:
        return self.start.isoformat() if self.days == 1 else f"{self.start}_{self.days}d"

    def slot_start(self, slot: int) -> datetime:
        return self.start_utc + timedelta(seconds=slot * self.slot_seconds)

    def slot_of(self, moment: datetime) -> int:
        return int((moment - self.start_utc).total_seconds()) // self.slot_seconds

    def calendar(self) -> pa.Table:
        """One row per slot: its UTC start, local day, local hour, night and time band."""
        slots: list[int] = []
        starts: list[datetime] = []
        days: list[date] = []
        hours: list[int] = []
        nights: list[date | None] = []
        bands: list[str] = []
        workdays: list[bool] = []
        for s in range(self.n_slots):
            utc = self.slot_start(s)
            local = utc.astimezone(LOCAL_TZ)
            day = local.date()
            hour = local.hour
            slots.append(s)
            starts.append(utc)
            days.append(day)
            hours.append(hour)
            if hour >= NIGHT_FROM_HOUR:
                nights.append(day)
            elif hour < NIGHT_TO_HOUR:
                nights.append(day - timedelta(days=1))
            else:
                nights.append(None)
            bands.append(time_band(hour))
            workdays.append(day.weekday() < 5)
        return pa.table(
            {
                "slot": pa.array(slots, pa.int64()),
                "slot_start": pa.array(starts, pa.timestamp("us", tz="UTC")),
                "day": pa.array(days, pa.date32()),
                "local_hour": pa.array(hours, pa.int32()),
                "night_of": pa.array(nights, pa.date32()),
                "time_band": pa.array(bands, pa.string()),
                "workday": pa.array(workdays, pa.bool_()),
            }
        )

    def windows(self, kind: str) -> pa.Table:
        """Contiguous slot ranges [start, end) per local day or per night (evening's date)."""
        cal = self.calendar().to_pylist()
        key = "day" if kind == "day" else "night_of"
        spans: dict[date, list[int]] = {}
        for row in cal:
            if row[key] is not None:
                spans.setdefault(row[key], []).append(row["slot"])
        names = [k for k in sorted(spans) if kind == "day" or k in self.day_list]
        return pa.table(
            {
                kind: pa.array(names, pa.date32()),
                "w_start": pa.array([min(spans[k]) for k in names], pa.int64()),
                "w_end": pa.array([max(spans[k]) + 1 for k in names], pa.int64()),
            }
        )
