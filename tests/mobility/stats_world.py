"""A tiny deterministic world for the protect/extrapolate/publish tests (no randomness)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa

from trustflux.mobility.public import (
    CATEGORIES,
    REPEAT_BINS,
    STAY_BINS,
    TIME_BANDS,
    PublicKeys,
)

PARIS = ZoneInfo("Europe/Paris")
PUBLISHED = ("Z01001", "Z01002", "Z01003", "Z01004")
OTHER = ("Z02001", "Z02002")
ORIGINS = ("BE", "DE", "GB", "other", "R01", "R02", "unknown")


def make_keys(days: int = 2, start: date = date(2025, 6, 2), slot_minutes: int = 60) -> PublicKeys:
    day_list = tuple(start + timedelta(days=i) for i in range(days))
    first = datetime.combine(day_list[0], time(0), tzinfo=PARIS).astimezone(UTC)
    end = datetime.combine(day_list[-1] + timedelta(days=1), time(0), tzinfo=PARIS).astimezone(UTC)
    slots = []
    t = first
    while t < end:
        slots.append(t)
        t += timedelta(minutes=slot_minutes)
    return PublicKeys(zones=PUBLISHED, days=day_list, presence_slots=tuple(slots), origins=ORIGINS)


def _square(x: float, y: float, size: float = 0.05) -> str:
    pts = [(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)]
    return "POLYGON((" + ", ".join(f"{a:.4f} {b:.4f}" for a, b in pts) + "))"


def make_zones() -> pa.Table:
    ids = [*PUBLISHED, *OTHER]
    xs = [2.30, 2.35, 2.30, 2.35, 3.5, 3.55]
    ys = [48.80, 48.80, 48.85, 48.85, 47.0, 47.0]
    return pa.table(
        {
            "zone_id": ids,
            "name": ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"],
            "region_id": ["R01"] * 4 + ["R02"] * 2,
            "population": pa.array([12000, 8000, 0, 20000, 5000, 7000], pa.int64()),
            "lon": [x + 0.025 for x in xs],
            "lat": [y + 0.025 for y in ys],
            "geometry": [_square(x, y) for x, y in zip(xs, ys, strict=True)],
        }
    )


def make_subscribers() -> pa.Table:
    return pa.table(
        {
            "zone_id": ["Z01001", "Z01002", "Z01003", "Z01004", "Z02001", "Z02002"],
            "subscribers": pa.array([3000, 40, 500, 5000, 1000, 2000], pa.int64()),
        }
    )


def _count(*parts: object) -> int:
    """A deterministic, uneven count in [0, 400) with many zeros."""
    h = sum((i + 7) * sum(map(ord, str(p))) for i, p in enumerate(parts))
    value = (h * 2654435761) % 997
    return 0 if value % 3 == 0 else value % 400


def make_aggregates(keys: PublicKeys) -> dict[str, pa.Table]:
    """Non-zero rows only, keyed by public keys, as the aggregation stage hands them over."""

    def table(
        columns: dict[str, pa.DataType], value: str, combos: list[tuple[object, ...]]
    ) -> pa.Table:
        counted = [(c, _count(*c)) for c in combos]
        rows = [(*c, n) for c, n in counted if n > 0]
        names = [*columns, value]
        types = [*columns.values(), pa.int64()]
        return pa.table(
            {
                n: pa.array([r[i] for r in rows], t)
                for i, (n, t) in enumerate(zip(names, types, strict=True))
            }
        )

    z, d = keys.zones, keys.days
    ts = pa.timestamp("us", tz="UTC")
    out = {
        "presence": table(
            {"zone_id": pa.string(), "slot_start": ts, "origin_kind": pa.string()},
            "devices",
            [(a, s, k) for a in z for s in keys.presence_slots for k in keys.origin_kinds],
        ),
        "visitors_by_category": table(
            {"zone_id": pa.string(), "day": pa.date32(), "category": pa.string()},
            "devices",
            [(a, b, c) for a in z for b in d for c in CATEGORIES],
        ),
        "visitors_by_origin": table(
            {"zone_id": pa.string(), "day": pa.date32(), "origin": pa.string()},
            "devices",
            [(a, b, c) for a in z for b in d for c in keys.origins],
        ),
        "overnight_by_origin": table(
            {"zone_id": pa.string(), "night": pa.date32(), "origin": pa.string()},
            "devices",
            [(a, b, c) for a in z for b in d for c in keys.origins],
        ),
        "od_matrix": table(
            {"day": pa.date32(), "origin_zone": pa.string(), "dest_zone": pa.string()},
            "trips",
            [(b, o, e) for b in d for o in z for e in z if o != e],
        ),
        "od_by_band": table(
            {
                "day": pa.date32(),
                "time_band": pa.string(),
                "origin_zone": pa.string(),
                "dest_zone": pa.string(),
            },
            "trips",
            [(b, t, o, e) for b in d for t in TIME_BANDS for o in z for e in z if o != e],
        ),
    }
    if len(d) > 1:
        out["length_of_stay"] = table(
            {"zone_id": pa.string(), "stay_bin": pa.string()},
            "devices",
            [(a, s) for a in z for s in STAY_BINS],
        )
        out["repeat_visits"] = table(
            {"zone_id": pa.string(), "repeat_bin": pa.string()},
            "devices",
            [(a, s) for a in z for s in REPEAT_BINS],
        )
    return out


INPUT_COUNTS = {"events_read": 123456, "devices": 4321, "opted_out_subscribers": 12}
