"""Public knowledge, declared in one place: the keys of every table and the contribution bounds.

Nothing published is keyed by a value read from the data: each indicator is expanded to the
cross product of the public lists below, and a data row whose key is not on them is an error.
The contribution bounds say how many cells of each indicator one privacy unit (a device-day)
can change; they are what the noise is calibrated to, and the aggregation stage enforces them.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pyarrow as pa

from trustflux.errors import StatisticsError
from trustflux.mobility.calendar import LOCAL_TZ
from trustflux.mobility.calendar import TIME_BANDS as _BAND_HOURS

CATEGORIES = ("resident", "usual_visitor", "excursionist", "tourist", "in_transit")
TIME_BANDS = tuple(name for name, _, _ in _BAND_HOURS)
STAY_BINS = ("1", "2", "3", "4-7", "8+")
REPEAT_BINS = ("1", "2", "3-5", "6+")
ORIGIN_KINDS = ("domestic", "foreign")


@dataclass(frozen=True)
class PublicKeys:
    """The public lists a release is keyed by (geography, calendar, classifications)."""

    zones: tuple[str, ...]
    days: tuple[date, ...]
    presence_slots: tuple[datetime, ...]
    origins: tuple[str, ...]
    categories: tuple[str, ...] = CATEGORIES
    time_bands: tuple[str, ...] = TIME_BANDS
    stay_bins: tuple[str, ...] = STAY_BINS
    repeat_bins: tuple[str, ...] = REPEAT_BINS
    origin_kinds: tuple[str, ...] = ORIGIN_KINDS

    def __post_init__(self) -> None:
        for name in (
            "zones",
            "days",
            "presence_slots",
            "origins",
            "categories",
            "time_bands",
            "stay_bins",
            "repeat_bins",
            "origin_kinds",
        ):
            values = getattr(self, name)
            if len(values) == 0:
                raise StatisticsError(f"public key list {name!r} is empty")
            repeated = [v for v, n in Counter(values).items() if n > 1]
            if repeated:
                raise StatisticsError(f"public key list {name!r} repeats {repeated[:5]}")
        if any(s.tzinfo is None for s in self.presence_slots):
            raise StatisticsError("presence slots must be timezone-aware (UTC) datetimes")
        if list(self.days) != sorted(self.days):
            raise StatisticsError("the days of a period must be in order")

    @property
    def nights(self) -> tuple[date, ...]:
        """Nights are named by their evening's date: one per day of the period."""
        return self.days

    @property
    def max_slots_per_local_day(self) -> int:
        """Most presence slots falling on one local (Europe/Paris) day: 23-25 at 60 min."""
        per_day = Counter(s.astimezone(LOCAL_TZ).date() for s in self.presence_slots)
        return max(per_day.values())

    @property
    def slot_minutes(self) -> int:
        """Spacing of the presence slots (the public slot width)."""
        slots = sorted(self.presence_slots)
        if len(slots) < 2:
            return 24 * 60
        gaps = {b - a for a, b in itertools.pairwise(slots)}
        if len(gaps) != 1:
            raise StatisticsError(f"presence slots are not evenly spaced: gaps {sorted(gaps)}")
        return int(gaps.pop() / timedelta(minutes=1))


@dataclass(frozen=True)
class Key:
    """One key column: its name, Arrow type and the public list it takes values from."""

    column: str
    type: pa.DataType
    values: Callable[[PublicKeys], tuple[object, ...]]


_ZONE = Key("zone_id", pa.string(), lambda k: k.zones)
_DAY = Key("day", pa.date32(), lambda k: k.days)


@dataclass(frozen=True)
class Indicator:
    """A published table: what it counts, its key columns (in order) and its count column."""

    name: str
    title: str
    keys: tuple[Key, ...]
    value: str
    period_level: bool = False


INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator(
            "presence",
            "Present population per zone and time slot",
            (
                _ZONE,
                Key("slot_start", pa.timestamp("us", tz="UTC"), lambda k: k.presence_slots),
                Key("origin_kind", pa.string(), lambda k: k.origin_kinds),
            ),
            "devices",
        ),
        Indicator(
            "visitors_by_category",
            "Unique visitors per zone and day, by category",
            (_ZONE, _DAY, Key("category", pa.string(), lambda k: k.categories)),
            "devices",
        ),
        Indicator(
            "visitors_by_origin",
            "Unique visitors per zone and day, by origin",
            (_ZONE, _DAY, Key("origin", pa.string(), lambda k: k.origins)),
            "devices",
        ),
        Indicator(
            "area_visitors_by_origin",
            "Visitors to the whole published area per day, by origin",
            (_DAY, Key("origin", pa.string(), lambda k: k.origins)),
            "devices",
        ),
        Indicator(
            "overnight_by_origin",
            "Overnight stays per zone and night, by origin",
            (
                _ZONE,
                Key("night", pa.date32(), lambda k: k.nights),
                Key("origin", pa.string(), lambda k: k.origins),
            ),
            "devices",
        ),
        Indicator(
            "od_matrix",
            "Trips between zones per day",
            (
                _DAY,
                Key("origin_zone", pa.string(), lambda k: k.zones),
                Key("dest_zone", pa.string(), lambda k: k.zones),
            ),
            "trips",
        ),
        Indicator(
            "od_by_band",
            "Trips between zones per day and time band",
            (
                _DAY,
                Key("time_band", pa.string(), lambda k: k.time_bands),
                Key("origin_zone", pa.string(), lambda k: k.zones),
                Key("dest_zone", pa.string(), lambda k: k.zones),
            ),
            "trips",
        ),
        Indicator(
            "length_of_stay",
            "Visitors per zone by nights spent in a row",
            (_ZONE, Key("stay_bin", pa.string(), lambda k: k.stay_bins)),
            "devices",
            period_level=True,
        ),
        Indicator(
            "repeat_visits",
            "Visitors per zone by distinct days visited",
            (_ZONE, Key("repeat_bin", pa.string(), lambda k: k.repeat_bins)),
            "devices",
            period_level=True,
        ),
    )
}


@dataclass(frozen=True)
class ContributionBounds:
    """What the aggregation stage guarantees per device-day (mirrors its device rules).

    ``max_fill_minutes`` is how long a device is assumed to stay where it was last seen: over a
    multi-day period, one day's last sighting can fill the first hours of the next day.
    ``overrides`` replaces the computed number of cells for an indicator (a stricter
    aggregation stage can claim less; the release states whichever number was used).
    """

    max_zones_per_day: int = 4
    max_trips_per_day: int = 6
    max_fill_minutes: int = 240
    overrides: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if self.max_zones_per_day < 1 or self.max_trips_per_day < 1 or self.max_fill_minutes < 0:
            raise StatisticsError(f"contribution bounds must be positive: {self}")
        for name, cells in self.overrides:
            if name not in INDICATORS or cells < 1:
                raise StatisticsError(f"bad contribution override {name}={cells}")


@dataclass(frozen=True)
class Contribution:
    """How many cells one device-day can change in an indicator (each by one), and why."""

    cells: int
    reason: str


def contribution(name: str, bounds: ContributionBounds, keys: PublicKeys) -> Contribution:
    """Cells of ``name`` one device-day can change, from the bounds and the period's length.

    With one day, a device-day is the device's whole presence in the period. With several,
    removing one day also changes what the period says about the device (home zone, hence
    category and whether a night is "away"; stays and trips spanning midnight), so the other
    days' cells of that device can move too; the bounds below count those moves.
    """
    overrides = dict(bounds.overrides)
    if name in overrides:
        return Contribution(overrides[name], "declared by the aggregation stage (override)")
    n_days = len(keys.days)
    zones, trips = bounds.max_zones_per_day, bounds.max_trips_per_day
    many = n_days > 1
    if name == "presence":
        slots = keys.max_slots_per_local_day
        carry = math.ceil(bounds.max_fill_minutes / keys.slot_minutes) if many else 0
        return Contribution(
            slots + 2 * carry,
            f"one zone per slot, at most {slots} slots in a local day"
            + (
                f", plus {carry} slots either side of midnight that a day's first or last "
                "sighting can fill (each may move between two zones)"
                if many
                else ""
            ),
        )
    if name in ("visitors_by_category", "visitors_by_origin"):
        if not many:
            return Contribution(zones, f"at most {zones} zones per device-day")
        return Contribution(
            zones * (2 * n_days - 1),
            f"at most {zones} zones on the day itself; on each of the {n_days - 1} other days "
            f"the device's category (home zone over the period) can change in its {zones} "
            "zones, moving it between two cells",
        )
    if name == "area_visitors_by_origin":
        if not many:
            return Contribution(1, "a device-day is one visitor of one origin, or none")
        return Contribution(
            n_days,
            f"one cell per day; the home zone depends on all {n_days} days, so removing one "
            "day can add or remove the device on each other day",
        )
    if name == "overnight_by_origin":
        if not many:
            return Contribution(1, "one night per device-day")
        return Contribution(
            2 * n_days,
            f"a night spans two days and the home zone depends on all {n_days} nights: "
            "each night's cell can move (two cells per night)",
        )
    if name in ("od_matrix", "od_by_band"):
        if not many:
            return Contribution(trips, f"at most {trips} origin-destination pairs per device-day")
        return Contribution(
            trips + 4,
            f"at most {trips} pairs on the day; on the next day the first trip's origin and "
            "the daily cap can move two more pairs (four cells)",
        )
    if name in ("length_of_stay", "repeat_visits"):
        return Contribution(
            2 * zones,
            f"one bin per zone for at most {zones} zones over the period; one day moves a "
            "zone's count to the neighbouring bin (two cells per zone)",
        )
    raise StatisticsError(f"unknown indicator {name!r}")
