"""The statistics job: identified zone -> release folder, for one period, on one engine.

Order: purge expired pseudonymised rows; open the period key; stages 1-4 on the engine;
keep the pseudonymised rows for the retention window; protect, extrapolate, publish
atomically; close the period (destroy its key). Any error before publication leaves no
release behind; a period is released once (its key is gone afterwards, and with it any way
to add to or redo its pseudonyms).
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trustflux.config import Settings
from trustflux.console import NullReporter, Reporter
from trustflux.engine.session import EngineSession, open_engine
from trustflux.engine.store import Store
from trustflux.errors import StatisticsError
from trustflux.mobility.aggregate import presence_slots
from trustflux.mobility.calendar import Period
from trustflux.mobility.countries import FOREIGN_ORIGINS, OTHER_COUNTRY, UNKNOWN
from trustflux.mobility.device import DeviceRules, presence_samples
from trustflux.mobility.exact import ExactResult, Inputs, exact_statistics
from trustflux.mobility.keys import KeyStore

INPUT_TABLES = ("events", "cells", "subscribers", "zones")


@dataclass(frozen=True)
class StatisticsResult:
    """A published release and what produced it."""

    release_dir: Path
    report: Path
    metadata: dict[str, Any]
    engine: str
    counts: dict[str, int]


def device_rules(settings: Settings) -> DeviceRules:
    return DeviceRules(
        slot_minutes=settings.slot_minutes,
        min_stay_minutes=settings.min_stay_minutes,
        max_fill_minutes=settings.max_fill_minutes,
        max_bridge_minutes=settings.max_bridge_minutes,
        max_zones_per_day=settings.max_zones_per_day,
        max_trips_per_day=settings.max_trips_per_day,
    )


def purge_expired(settings: Settings, now: datetime | None = None) -> list[str]:
    """Delete pseudonymised rows whose retention window has passed; returns their periods."""
    now = now or datetime.now(UTC)
    purged = []
    root = settings.statistics_dir
    for marker in sorted(root.glob("*/retention.json")) if root.exists() else []:
        info = json.loads(marker.read_text())
        if datetime.fromisoformat(info["delete_after"]) <= now:
            shutil.rmtree(marker.parent)
            purged.append(str(info["period"]))
    return purged


def run_statistics(
    settings: Settings,
    period: Period,
    *,
    engine: str | None = None,
    objectors: Sequence[str] = (),
    noise: Any | None = None,
    release_id: str | None = None,
    created_at: datetime | None = None,
    reporter: Reporter | None = None,
) -> StatisticsResult:
    """Publish the statistics of ``period`` from the store under ``settings.home``."""
    from trustflux.mobility.noise import OpenDPNoise

    reporter = reporter or NullReporter()
    engine_name = engine or settings.engine
    purge_expired(settings)
    files = _store_files(settings)
    keys = KeyStore(settings.keys_dir)
    zone_dir = settings.statistics_dir / period.label
    if keys.is_closed(period.label):
        raise StatisticsError(
            f"period {period.label} is closed: it was released and its key destroyed, so it "
            "cannot be released again (that would spend its privacy budget twice)"
        )
    if zone_dir.exists() and not keys.path(period.label).exists():
        raise StatisticsError(
            f"the key of period {period.label} is missing from {settings.keys_dir} while its "
            f"pseudonymised rows exist in {zone_dir}: they cannot be extended or re-derived"
        )
    key = keys.open_period(period.label)
    session = open_engine(engine_name, settings)
    try:
        exact, geography, regions = _exact(
            session, settings, files, period, key, objectors, reporter, zone_dir
        )
        zones = geography.filter(pc.field("published"))
    finally:
        session.close()
    keys_public = public_keys(settings, period, zones, regions)
    release = _protect_and_extrapolate(
        settings, keys_public, exact, geography, noise or OpenDPNoise()
    )
    from trustflux.mobility.release import publish_release

    stamp = created_at or datetime.now(UTC)
    rid = release_id or f"flux-{period.label}-{stamp:%Y%m%dT%H%M%SZ}"
    counts = {**exact.counts, "objectors": len(objectors)}
    folder = publish_release(
        settings.releases_dir,
        rid,
        release,
        zones.drop_columns(["published"]),
        counts,
        created_at=stamp,
        reporter=reporter,
    )
    _start_retention(zone_dir, period, datetime.now(UTC), settings.stats_retention_hours)
    keys.destroy(period.label)
    metadata = json.loads((folder / "release.json").read_text())
    return StatisticsResult(folder, folder / "report.html", metadata, engine_name, counts)


def _store_files(settings: Settings) -> dict[str, list[Path]]:
    with Store(settings) as store:
        files = {t: store.part_files(t) for t in INPUT_TABLES}
    missing = [t for t, f in files.items() if not f]
    if missing:
        raise StatisticsError(
            f"nothing ingested yet for {', '.join(missing)} in {settings.store_dir}: "
            "run `trustflux ingest DIR` first"
        )
    return files


def _exact(
    session: EngineSession,
    settings: Settings,
    files: dict[str, list[Path]],
    period: Period,
    key: Any,
    objectors: Sequence[str],
    reporter: Reporter,
    zone_dir: Path,
) -> tuple[ExactResult, pa.Table, list[str]]:
    tables = {t: session.read_parquet(files[t]) for t in INPUT_TABLES}
    covered = tables["cells"].select("zone_id").distinct()
    z = tables["zones"]
    zones_arrow = session.to_arrow(
        z.select(
            "zone_id",
            "name",
            "region_id",
            "population",
            "lon",
            "lat",
            "geometry",
            published=z.zone_id.isin(covered.zone_id),
        )
    ).sort_by("zone_id")
    regions = sorted(
        set(zones_arrow.column("region_id").to_pylist())
    )  # every zone, published or not
    inputs = Inputs(
        tables["events"],
        tables["cells"],
        tables["subscribers"],
        tables["zones"],
        session.table(pa.table({"subscriber_id": pa.array(list(objectors), pa.string())})),
    )
    zone_dir.mkdir(parents=True, exist_ok=True)
    (zone_dir / "PERIOD").write_text(period.label)

    def keep(engine: EngineSession, observations: Any, bucket: int) -> None:
        (zone_dir / "observations").mkdir(exist_ok=True)
        engine.write_parquet(observations, zone_dir / "observations" / f"bucket-{bucket}.parquet")

    exact = exact_statistics(
        session,
        inputs,
        period,
        key,
        device_rules(settings),
        settings.presence_slot_minutes,
        regions,
        reporter,
        buckets=_buckets(files["events"], period, settings),
        keep=keep,
    )
    if exact.devices is not None:
        pq.write_table(exact.devices, zone_dir / "devices.parquet")
    subs = tables["subscribers"]
    active = subs.filter(
        (subs.contract_start < period.end)
        & (subs.contract_end.isnull() | (subs.contract_end >= period.start))
    )
    by_zone = active.group_by(zone_id=active.billing_zone_id).agg(subscribers=active.count())
    exact.aggregates["subscribers_by_zone"] = session.to_arrow(by_zone).sort_by("zone_id")
    return exact, zones_arrow, regions


def public_keys(settings: Settings, period: Period, zones: pa.Table, regions: list[str]) -> Any:
    """Everything a release may be keyed by, declared from public knowledge only: the zones
    covered by the network, the period's calendar, published countries and regions."""
    from trustflux.mobility.public import PublicKeys

    slots = (
        presence_slots(
            period,
            presence_samples(period, settings.presence_slot_minutes),
            settings.presence_slot_minutes,
        )
        .column("slot_start")
        .to_pylist()
    )
    origins = (*FOREIGN_ORIGINS, OTHER_COUNTRY, *regions, UNKNOWN)
    return PublicKeys(
        zones=tuple(zones.column("zone_id").to_pylist()),
        days=period.day_list,
        presence_slots=tuple(slots),
        origins=tuple(origins),
    )


def _protect_and_extrapolate(
    settings: Settings, keys: Any, exact: ExactResult, geography: pa.Table, noise: Any
) -> Any:
    """Noise on the published grid; weights from the whole geography (every region's
    population and subscribers), so visitors from other regions get their region's weight."""
    from trustflux.mobility.budget import rho_for_epsilon
    from trustflux.mobility.extrapolate import ExtrapolationConfig, extrapolate
    from trustflux.mobility.protect import ProtectionConfig, protect, protect_subscribers
    from trustflux.mobility.public import ContributionBounds

    config = ProtectionConfig(
        rho=rho_for_epsilon(settings.epsilon_per_device_day, settings.delta),
        delta=settings.delta,
        k=settings.k_threshold,
        bounds=ContributionBounds(
            max_zones_per_day=settings.max_zones_per_day,
            max_trips_per_day=settings.max_trips_per_day,
            # a day's last sighting can reach into the next day by the longer of the two
            max_fill_minutes=max(settings.max_fill_minutes, settings.max_bridge_minutes),
        ),
    )
    indicators = {k: v for k, v in exact.aggregates.items() if k != "subscribers_by_zone"}
    protected = protect(indicators, keys, config, noise)
    by_zone = exact.aggregates["subscribers_by_zone"]
    known = pc.is_in(by_zone.column("zone_id"), value_set=geography.column("zone_id"))
    all_zones = tuple(geography.column("zone_id").to_pylist())
    subscribers = protect_subscribers(by_zone.filter(known), all_zones, keys, config, noise)
    return extrapolate(
        protected,
        subscribers,
        geography.drop_columns(["published"]),
        ExtrapolationConfig(capture_rate=settings.roamer_capture_rate),
    )


def _buckets(event_files: list[Path], period: Period, settings: Settings) -> int:
    """How many device buckets keep one bucket's work in memory (from Parquet metadata)."""
    days = {f"day={d.isoformat()}" for d in (period.start - timedelta(days=1), *period.day_list)}
    rows = sum(int(pq.read_metadata(f).num_rows) for f in event_files if f.parent.name in days)
    return max(1, math.ceil(rows / settings.events_per_bucket))


def _start_retention(zone_dir: Path, period: Period, released: datetime, hours: int) -> None:
    info = {
        "period": period.label,
        "released_at": released.isoformat(),
        "delete_after": (released + timedelta(hours=hours)).isoformat(),
    }
    (zone_dir / "retention.json").write_text(json.dumps(info, indent=2))
