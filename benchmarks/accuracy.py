"""Benchmark: accuracy of the mobility statistics against the synthetic world's ground truth.

Usage: python benchmarks/accuracy.py [--subscribers 400000] [--days 1] [--seed 11]
       [--reps 10] [--epsilons 0.3,1,3] [--work benchmarks/.work] [--reuse] [--keep]

Generates a world, ingests it, runs stages 1-4 once on DuckDB (the exact aggregates), then
for each epsilon per device-day (delta 1e-8, default budget split, k = 20, threshold
max(k, 2.33 std)) runs the protect stage several times with OpenDP's noise, the mechanism of
a real release. Every figure is
compared cell by cell with the truth the generator wrote (``<world>/truth``), recast in the
published definitions (see ``truth_tables``). Prints Markdown tables only; asserts nothing.

Reported, by indicator and by the true size of a cell (~100: 50-200 devices, ~1,000:
500-2,000, ~10,000: 5,000-20,000):

* noiseless error: exact aggregates against the truth (what the method itself costs);
* published error: the released count against the truth, over the cells that are shown; a
  withheld cell is "not published" and counted in its own column, never as a 100 % error;
* the DP error against its theory: std of (noisy - exact) over every cell of the grid, before
  clamping and suppression, divided by the noise std in the accounting (should be ~1).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import secrets
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from trustflux.config import Settings
from trustflux.console import NullReporter
from trustflux.engine.session import open_engine
from trustflux.events.ingest import ingest_directory
from trustflux.events.world import generate_world
from trustflux.mobility.budget import DEFAULT_DELTA, rho_for_epsilon
from trustflux.mobility.calendar import LOCAL_TZ, Period, time_band
from trustflux.mobility.grid import IntArray, grid_table, to_grid
from trustflux.mobility.keys import PeriodKey
from trustflux.mobility.noise import NoiseDescription, NoiseSource, OpenDPNoise
from trustflux.mobility.pipeline import _exact, _store_files, public_keys
from trustflux.mobility.protect import ProtectionConfig, protect
from trustflux.mobility.public import INDICATORS, ContributionBounds, PublicKeys

FloatArray = npt.NDArray[np.float64]

CLASSES: tuple[tuple[str, int, int], ...] = (
    ("~100", 50, 200),
    ("~1,000", 500, 2_000),
    ("~10,000", 5_000, 20_000),
)
"""Size classes of a cell by its true count (bounds included)."""

COMPARED = (
    "presence",
    "visitors_by_category",
    "visitors_by_origin",
    "area_visitors_by_origin",
    "overnight_by_origin",
    "od_matrix",
    "od_by_band",
)
"""Indicators that have a ground truth in the generator's output."""

WORLD_START = date(2026, 3, 2)


# --------------------------------------------------------------------------------------------
# Ground truth in the published definitions


def truth_tables(world: Path, period: Period, keys: PublicKeys) -> dict[str, pa.Table]:
    """The generator's truth recast as the published indicators, keyed like them.

    * presence: ``truth/presence.parquet`` at the 30-minute slot the pipeline samples (the
      second half of each published hour: published slot HH:00 UTC is read at HH:30, so it is
      compared with the truth slot starting at HH:30), split into domestic (devices - roamers)
      and foreign (roamers), as published.
    * per device and zone-day: each device's zone in every 30-minute slot, rebuilt from
      ``trips.parquet`` (a device is where its last trip arrived, before its first trip where
      that trip left from, and without trips in its night or home zone), on the days it is
      present (``device_days.parquet``). Checked against the presence truth. A zone-day's
      category applies the published definitions to the truth: resident in the home zone;
      tourist where the device spent the night before or after (its zone in the first or last
      slot of the local day); usual visitor for a resident or commuter of the generator with
      4 h or more there on a working day; in transit for the generator's ``transit`` people;
      excursionist otherwise.
    * visitors by origin: those zone-days except residents', by the generator's origin (region
      id, or ISO country of a roamer).
    * overnight stays: ``night_zone_id`` of a device-day (where the night from that date to the
      next is spent) when it is not the device's home zone; the night is named by that date.
    * trips: ``trips.parquet`` of devices of the network between two zones of the region, once
      per device, local day (of arrival) and pair; by the band of the hour at which the pair's
      first trip arrives (the pipeline dates a trip by the slot in which the device is first
      seen at its destination; departure bands differ, see docs/statistics.md).
    """
    truth = world / "truth"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""
        CREATE TABLE presence AS SELECT * FROM read_parquet('{truth / "presence.parquet"}');
        CREATE TABLE dd AS SELECT * FROM read_parquet('{truth / "device_days.parquet"}');
        CREATE TABLE tr AS
            SELECT imsi, arrive, origin_zone_id AS o, dest_zone_id AS d
            FROM read_parquet('{truth / "trips.parquet"}') WHERE imsi IS NOT NULL;
        CREATE TABLE slots AS
            SELECT slot_start,
                   CAST(timezone('Europe/Paris', slot_start) AS DATE) AS day
            FROM (SELECT DISTINCT slot_start FROM presence);
        CREATE TABLE day_ends AS
            SELECT day, min(slot_start) AS first_slot, max(slot_start) AS last_slot
            FROM slots GROUP BY day;
        CREATE TABLE first_trip AS
            SELECT imsi, arg_min_null(o, arrive) AS first_origin FROM tr GROUP BY imsi;
        CREATE TABLE still AS
            SELECT imsi, any_value(coalesce(night_zone_id, home_zone_id)) AS zone_id
            FROM dd GROUP BY imsi;
        CREATE TABLE grid AS
            SELECT imsi, slot_start, day FROM (SELECT DISTINCT imsi FROM dd) CROSS JOIN slots;
        CREATE TABLE pos AS
            SELECT g.imsi, g.slot_start, g.day,
                   CASE WHEN t.arrive IS NOT NULL THEN t.d
                        WHEN f.imsi IS NOT NULL THEN f.first_origin
                        ELSE s.zone_id END AS zone_id
            FROM grid g
            ASOF LEFT JOIN tr t ON g.imsi = t.imsi AND g.slot_start >= t.arrive
            LEFT JOIN first_trip f ON g.imsi = f.imsi
            LEFT JOIN still s ON g.imsi = s.imsi;
        DELETE FROM pos WHERE zone_id IS NULL
            OR NOT EXISTS (SELECT 1 FROM dd WHERE dd.imsi = pos.imsi AND dd."date" = pos.day);
        """
    )
    mismatch = con.sql(
        """
        SELECT count(*) AS cells, count(*) FILTER (WHERE p.devices <> coalesce(r.n, 0)) AS bad
        FROM presence p
        LEFT JOIN (SELECT zone_id, slot_start, count(*) AS n FROM pos GROUP BY ALL) r
          USING (zone_id, slot_start)
        """
    ).fetchone()
    assert mismatch is not None
    print(
        f"truth check: per-device zones rebuilt from trips reproduce presence.parquet in "
        f"{mismatch[0] - mismatch[1]:,} of {mismatch[0]:,} zone-slots"
    )
    con.execute(
        """
        CREATE TABLE zd AS
            SELECT p.imsi, p.day, p.zone_id, 30 * count(*) AS minutes,
                   bool_or(p.slot_start = e.first_slot OR p.slot_start = e.last_slot) AS slept
            FROM pos p JOIN day_ends e USING (day) GROUP BY ALL;
        CREATE TABLE zdc AS
            SELECT z.zone_id, z.day, d.origin,
                   CASE WHEN d.home_zone_id = z.zone_id THEN 'resident'
                        WHEN z.slept THEN 'tourist'
                        WHEN d.category IN ('resident', 'commuter')
                             AND isodow(z.day) <= 5 AND z.minutes >= 240 THEN 'usual_visitor'
                        WHEN d.category = 'transit' THEN 'in_transit'
                        ELSE 'excursionist' END AS category
            FROM zd z JOIN dd d ON d.imsi = z.imsi AND d.date = z.day;
        CREATE TABLE od AS
            SELECT imsi, CAST(timezone('Europe/Paris', arrive) AS DATE) AS day, o, d,
                   hour(timezone('Europe/Paris', min(arrive))) AS hour
            FROM tr WHERE o IS NOT NULL AND d IS NOT NULL AND o <> d GROUP BY imsi, day, o, d;
        """
    )
    days = set(period.day_list)
    published = set(keys.presence_slots)
    out: dict[str, pa.Table] = {}
    pres = con.sql(
        """
        SELECT zone_id, slot_start, 'domestic' AS origin_kind, devices - roamers AS devices
        FROM presence
        UNION ALL SELECT zone_id, slot_start, 'foreign', roamers FROM presence
        """
    ).to_arrow_table()
    # The published slot P is read at the truth slot P + 30 min (its middle).
    starts = [s - timedelta(minutes=30) for s in pres.column("slot_start").to_pylist()]
    keep = [s in published for s in starts]
    pres = pa.table(
        {
            "zone_id": pres.column("zone_id"),
            "slot_start": pa.array(starts, pa.timestamp("us", tz="UTC")),
            "origin_kind": pres.column("origin_kind"),
            "devices": pres.column("devices"),
        }
    ).filter(pa.array(keep, pa.bool_()))
    out["presence"] = pres
    out["visitors_by_category"] = con.sql(
        "SELECT zone_id, day, category, count(*) AS devices FROM zdc GROUP BY ALL"
    ).to_arrow_table()
    out["visitors_by_origin"] = con.sql(
        "SELECT zone_id, day, origin, count(*) AS devices FROM zdc "
        "WHERE category <> 'resident' GROUP BY ALL"
    ).to_arrow_table()
    out["area_visitors_by_origin"] = con.sql(
        'SELECT "date" AS day, origin, count(*) AS devices FROM dd '
        "WHERE home_zone_id IS NULL GROUP BY ALL"
    ).to_arrow_table()
    out["overnight_by_origin"] = con.sql(
        'SELECT night_zone_id AS zone_id, "date" AS night, origin, count(*) AS devices FROM dd '
        "WHERE night_zone_id IS NOT NULL "
        "AND (home_zone_id IS NULL OR home_zone_id <> night_zone_id) GROUP BY ALL"
    ).to_arrow_table()
    out["od_matrix"] = con.sql(
        "SELECT day, o AS origin_zone, d AS dest_zone, count(*) AS trips FROM od GROUP BY ALL"
    ).to_arrow_table()
    out["od_by_band"] = con.sql(
        """
        SELECT day, CASE WHEN hour < 6 THEN 'night' WHEN hour < 10 THEN 'morning'
                         WHEN hour < 14 THEN 'midday' WHEN hour < 18 THEN 'afternoon'
                         ELSE 'evening' END AS time_band,
               o AS origin_zone, d AS dest_zone, count(*) AS trips
        FROM od GROUP BY ALL
        """
    ).to_arrow_table()
    con.close()
    day_keys = {"visitors_by_category": "day", "visitors_by_origin": "day"}
    day_keys |= {"area_visitors_by_origin": "day", "overnight_by_origin": "night"}
    day_keys |= {"od_matrix": "day", "od_by_band": "day"}
    for name, column in day_keys.items():
        table = out[name]
        inside = [d in days for d in table.column(column).to_pylist()]
        out[name] = table.filter(pa.array(inside, pa.bool_()))
    return out


# --------------------------------------------------------------------------------------------
# Measuring


class CapturingNoise:
    """OpenDP's noise, keeping each raw noisy vector (before clamping and suppression)."""

    def __init__(self, inner: NoiseSource) -> None:
        self.inner = inner
        self.raw: dict[str, IntArray] = {}

    @property
    def description(self) -> NoiseDescription:
        return self.inner.description

    def discrete_gaussian(self, counts: IntArray, scale: float, stream: str) -> IntArray:
        noisy = self.inner.discrete_gaussian(counts, scale, stream)
        self.raw[stream.rsplit("/", 1)[-1]] = noisy.copy()
        return noisy


@dataclass
class Tally:
    """Cells of one indicator and size class pooled over repetitions."""

    errors: list[float] = field(default_factory=list)
    shown: int = 0
    withheld: int = 0


@dataclass
class NoiseTally:
    """Squared noise (noisy - exact) over every cell of the grid, pooled over repetitions."""

    sum_sq: float = 0.0
    cells: int = 0
    noise_std: float = 0.0
    threshold: int = 0


def size_class(truth: IntArray) -> dict[str, npt.NDArray[np.bool_]]:
    return {name: (truth >= low) & (truth <= high) for name, low, high in CLASSES}


def relative(values: FloatArray, truth: IntArray) -> FloatArray:
    return (values - truth) / truth


def pct(x: float) -> str:
    if math.isnan(x):
        return "-"
    return f"{100 * x:+.1f} %" if x < 0 else f"{100 * x:.1f} %"


def share(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.0f} %"


@contextmanager
def step(label: str, timings: dict[str, float]) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    timings[label] = time.perf_counter() - t0
    print(f"  {label}: {timings[label]:.1f} s", flush=True)


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def noiseless_rows(name: str, label: str, truth: IntArray, exact: IntArray) -> list[list[str]]:
    rows = []
    for cls, mask in size_class(truth).items():
        if not mask.any():
            rows.append([name, label, cls, "0", "-", "-", "-"])
            continue
        rel = relative(exact[mask].astype(np.float64), truth[mask])
        rows.append(
            [
                name,
                label,
                cls,
                f"{int(mask.sum()):,}",
                pct(float(np.median(np.abs(rel)))),
                pct(float(np.percentile(np.abs(rel), 90))),
                pct(float(np.median(rel))),
            ]
        )
    return rows


def slice_labels(name: str, keys: PublicKeys) -> npt.NDArray[np.str_] | None:
    """Parts of a grid worth seeing apart in the noiseless table (None: no breakdown)."""
    grid = grid_table(INDICATORS[name], keys)
    if name == "presence":
        hours = [s.astimezone(LOCAL_TZ).hour for s in grid.column("slot_start").to_pylist()]
        kinds = grid.column("origin_kind").to_pylist()
        when = ["night 0-6 h" if h < 6 else "day 6-24 h" for h in hours]
        return np.array([f"{k}, {w}" for k, w in zip(kinds, when, strict=True)])
    if name == "visitors_by_category":
        return np.array(grid.column("category").to_pylist())
    return None


def noiseless_table(
    truth: Mapping[str, IntArray], exact: Mapping[str, IntArray], keys: PublicKeys
) -> str:
    rows = []
    for name in COMPARED:
        t, e = truth[name], exact[name]
        rows += noiseless_rows(name, "all", t, e)
        labels = slice_labels(name, keys)
        if labels is None:
            continue
        for label in sorted(set(labels.tolist())):
            part = labels == label
            rows += [r for r in noiseless_rows("", label, t[part], e[part]) if r[3] != "0"]
    header = ["indicator", "part", "true size", "cells", "median abs. error", "90th pct"]
    return markdown([*header, "median bias"], rows)


SPLITS = {
    "presence": ("origin_kind", "local hours"),
    "visitors_by_category": ("category",),
    "overnight_by_origin": ("origin",),
    "od_by_band": ("time_band",),
}
"""Breakdowns shown in the totals table."""


def split_values(table: pa.Table, split: str) -> list[object]:
    """The breakdown of every row of ``table``; "local hours" is the Paris hour band of a
    presence slot (night 0-6 h, morning 6-10 h, ...)."""
    if split == "local hours":
        return [
            time_band(s.astimezone(LOCAL_TZ).hour) for s in table.column("slot_start").to_pylist()
        ]
    return table.column(split).to_pylist()


def totals_table(truth_tabs: Mapping[str, pa.Table], exact_tabs: Mapping[str, pa.Table]) -> str:
    """Sum of the exact counts over the sum of the true counts, per indicator and breakdown."""
    rows = []
    for name in COMPARED:
        value = INDICATORS[name].value
        exact, truth = exact_tabs[name], truth_tabs[name]
        rows.append([name, "all", _ratio(exact, truth, value, None, None)])
        for split in SPLITS.get(name, ()):
            levels = sorted({str(v) for v in split_values(truth, split)})
            for level in levels:
                rows.append(["", f"{split} = {level}", _ratio(exact, truth, value, split, level)])
    return markdown(["indicator", "part", "exact / truth (totals)"], rows)


def _ratio(exact: pa.Table, truth: pa.Table, value: str, split: str | None, level: object) -> str:
    def total(t: pa.Table) -> int:
        if split is not None:
            t = t.filter(pa.array([str(v) == level for v in split_values(t, split)], pa.bool_()))
        return int(sum(v or 0 for v in t.column(value).to_pylist()))

    num, den = total(exact), total(truth)
    return f"{num:,} / {den:,} = {num / den:.3f}" if den else f"{num:,} / 0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=400_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reps", type=int, default=10, help="noise draws per epsilon")
    parser.add_argument("--epsilons", default="0.3,1,3", help="epsilon per device-day")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/.work"))
    parser.add_argument("--reuse", action="store_true", help="reuse an ingested world in --work")
    parser.add_argument("--keep", action="store_true", help="keep the world and the home")
    args = parser.parse_args()
    epsilons = [float(e) for e in args.epsilons.split(",")]

    work = args.work / f"accuracy-{args.subscribers}-{args.days}d-s{args.seed}"
    world_dir, home = work / "world", work / "home"
    reuse = args.reuse and (work / "INGESTED").exists()
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; "
        f"{datetime.now(UTC):%Y-%m-%d}; world: {args.subscribers:,} subscribers x "
        f"{args.days} day(s), seed {args.seed}; epsilons {epsilons}, {args.reps} draws each"
    )
    timings: dict[str, float] = {}
    settings = Settings(home=home)
    if not reuse:
        with step("generate world", timings):
            summary = generate_world(
                world_dir, subscribers=args.subscribers, days=args.days, seed=args.seed
            )
        print(f"  events: {summary.counts['events']:,}")
        with step("ingest", timings):
            ingest_directory(settings, world_dir, now=datetime(2027, 1, 1, tzinfo=UTC))
        (work / "INGESTED").write_text("ok")

    period = Period(WORLD_START, args.days, settings.slot_minutes)
    with step("stages 1-4 (DuckDB)", timings):
        session = open_engine("duckdb", settings)
        try:
            exact, geography, regions = _exact(
                session,
                settings,
                _store_files(settings),
                period,
                PeriodKey("bench", secrets.token_bytes(32)),
                (),
                NullReporter(),
            )
        finally:
            session.close()
    zones = geography.filter(geography.column("published"))
    keys = public_keys(settings, period, zones, regions)
    print(f"  devices: {exact.counts['devices']:,}; published zones: {len(keys.zones)}")
    with step("ground truth", timings):
        truth_tabs = truth_tables(world_dir, period, keys)
    indicators = {k: v for k, v in exact.aggregates.items() if k != "subscribers_by_zone"}
    truth = {n: to_grid(INDICATORS[n], truth_tabs[n], keys) for n in COMPARED}
    exact_grid = {n: to_grid(INDICATORS[n], indicators[n], keys) for n in COMPARED}
    for name in COMPARED:
        t = truth[name]
        counts = ", ".join(f"{cls} {int(m.sum())}" for cls, m in size_class(t).items())
        print(f"  {name}: {t.size:,} cells, largest true cell {int(t.max()):,}; {counts}")

    bounds = ContributionBounds(
        max_zones_per_day=settings.max_zones_per_day,
        max_trips_per_day=settings.max_trips_per_day,
        max_fill_minutes=settings.max_fill_minutes,
    )
    tallies: dict[tuple[float, str, str], Tally] = {}
    noise_tallies: dict[tuple[float, str], NoiseTally] = {}
    total_eps: dict[float, float] = {}
    with step(f"protect x {len(epsilons) * args.reps} (OpenDP noise) and compare", timings):
        for eps in epsilons:
            config = ProtectionConfig(
                rho=rho_for_epsilon(eps, DEFAULT_DELTA),
                delta=DEFAULT_DELTA,
                k=settings.k_threshold,
                bounds=bounds,
            )
            for _ in range(args.reps):
                capture = CapturingNoise(OpenDPNoise())
                release = protect(indicators, keys, config, capture)
                total_eps[eps] = release.accounting.epsilon
                for name in COMPARED:
                    item = release.indicators[name]
                    value = item.table.column(INDICATORS[name].value)
                    published = np.asarray(value.to_numpy(zero_copy_only=False), dtype=np.float64)
                    withheld = item.table.column("suppressed").to_numpy(zero_copy_only=False)
                    nt = noise_tallies.setdefault((eps, name), NoiseTally())
                    diff = (capture.raw[name] - exact_grid[name]).astype(np.float64)
                    nt.sum_sq += float(np.sum(diff**2))
                    nt.cells += diff.size
                    nt.noise_std = item.charge.noise_std
                    nt.threshold = item.threshold
                    for cls, mask in size_class(truth[name]).items():
                        tally = tallies.setdefault((eps, name, cls), Tally())
                        shown = mask & ~withheld
                        tally.withheld += int((mask & withheld).sum())
                        tally.shown += int(shown.sum())
                        rel = relative(published[shown], truth[name][shown])
                        tally.errors.extend(np.abs(rel).tolist())

    eps_cols = [f"ε = {e:g}" for e in epsilons]
    print("\n### Noise per indicator (std in devices or trips; threshold = max(k, 2.33 std))\n")
    rows = []
    for name in COMPARED:
        row = [name]
        for eps in epsilons:
            nt = noise_tallies[(eps, name)]
            row.append(f"{nt.noise_std:.1f} / {nt.threshold}")
        rows.append(row)
    rows.append(["release ε (OpenDP)", *(f"{total_eps[e]:.3f}" for e in epsilons)])
    print(markdown(["indicator: std / threshold", *eps_cols], rows))

    print("\n### Noiseless: exact aggregates against the truth\n")
    print(noiseless_table(truth, exact_grid, keys))
    print("\n### Noiseless totals: sum of exact counts over sum of true counts\n")
    print(totals_table(truth_tabs, indicators))

    print(
        "\n### Published: median abs. error against the truth of the cells shown (share withheld)\n"
    )
    rows = []
    for name in COMPARED:
        for cls, _, _ in CLASSES:
            row = [name, cls]
            for eps in epsilons:
                tally = tallies[(eps, name, cls)]
                cells = tally.shown + tally.withheld
                if cells == 0:
                    row.append("-")
                    continue
                err = float(np.median(tally.errors)) if tally.errors else float("nan")
                row.append(f"{pct(err)} ({share(tally.withheld / cells)})")
            rows.append(row)
    print(markdown(["indicator", "true size", *eps_cols], rows))

    print(
        "\n### DP error against its theory: std(noisy - exact) / noise std of the "
        "accounting, every grid cell (± one standard error of the estimate)\n"
    )
    rows = []
    for name in COMPARED:
        row = [name]
        for eps in epsilons:
            nt = noise_tallies[(eps, name)]
            std = math.sqrt(nt.sum_sq / nt.cells)
            spread = 1 / math.sqrt(2 * nt.cells)  # standard error of a sample std ratio
            row.append(f"{std / nt.noise_std:.3f} ± {spread:.3f}")
        rows.append(row)
    print(markdown(["indicator", *eps_cols], rows))

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"\ntotal: {sum(timings.values()):.0f} s; peak memory (this process): {peak:.2f} GB")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
