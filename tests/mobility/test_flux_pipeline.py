"""The statistics job end to end: budget written down equals budget spent, nothing below its
threshold, keys destroyed, periods released once, errors leave no partial release."""

from __future__ import annotations

import json
import math
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from trustflux.config import Settings
from trustflux.errors import StatisticsError
from trustflux.mobility.calendar import Period
from trustflux.mobility.keys import KeyStore
from trustflux.mobility.noise import SeededNoise
from trustflux.mobility.pipeline import purge_expired, run_statistics

PERIOD = Period(date(2026, 3, 2), 1)
STAMP = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def fresh_home(small_world: tuple[Settings, Path], tmp_path: Path, **changes: Any) -> Settings:
    """A copy of the ingested small world's home, so each test can close its own period."""
    settings, _ = small_world
    home = tmp_path / "home"
    shutil.copytree(settings.home, home, ignore=shutil.ignore_patterns("tmp"))
    return settings.model_copy(update={"home": home, **changes})


@pytest.fixture(scope="module")
def released(
    small_world: tuple[Settings, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, Any]:
    settings = fresh_home(small_world, tmp_path_factory.mktemp("released"))
    result = run_statistics(settings, PERIOD, noise=SeededNoise(b"pipeline"), created_at=STAMP)
    return settings, result


def test_release_json_budget_equals_what_was_spent(released: tuple[Settings, Any]) -> None:
    _, result = released
    privacy = result.metadata["privacy"]
    spent = math.fsum(i["rho"] for i in result.metadata["indicators"].values())
    assert privacy["rho"] == pytest.approx(spent, rel=1e-12)
    assert privacy["budget"]["spent_rho"] == pytest.approx(spent, rel=1e-12)
    assert privacy["budget"]["spent_rho"] <= privacy["budget"]["rho"]
    assert privacy["epsilon"] <= 1.0 and privacy["delta"] == 1e-8
    assert set(result.metadata["indicators"]) >= {
        "presence",
        "visitors_by_category",
        "visitors_by_origin",
        "area_visitors_by_origin",
        "overnight_by_origin",
        "od_matrix",
        "od_by_band",
    }


def test_no_published_count_below_its_threshold(released: tuple[Settings, Any]) -> None:
    _, result = released
    for name, info in result.metadata["indicators"].items():
        table = pq.read_table(result.release_dir / f"{name}.parquet")
        value = "trips" if "trips" in table.column_names else "devices"
        shown = table.filter(pc.invert(table.column("suppressed")))
        assert info["threshold"] >= 20
        if shown.num_rows:
            assert pc.min(shown.column(value)).as_py() >= info["threshold"], name
        assert table.filter(table.column("suppressed")).column(value).null_count == (
            table.num_rows - shown.num_rows
        )


def test_release_holds_tables_geojson_metadata_and_an_offline_report(
    released: tuple[Settings, Any],
) -> None:
    _, result = released
    names = {p.name for p in result.release_dir.iterdir()}
    assert {"release.json", "report.html", "zones.geojson", "presence.csv"} <= names
    html = result.report.read_text().replace("http://www.w3.org/2000/svg", "")  # a name only
    assert "http://" not in html and "https://" not in html
    geo = json.loads((result.release_dir / "zones.geojson").read_text())
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) > 10


def test_key_destroyed_and_period_never_released_twice(released: tuple[Settings, Any]) -> None:
    settings, _ = released
    keys = KeyStore(settings.keys_dir)
    assert keys.is_closed(PERIOD.label) and not keys.path(PERIOD.label).exists()
    before = sorted(settings.releases_dir.iterdir())
    with pytest.raises(StatisticsError, match="is closed"):
        run_statistics(settings, PERIOD, noise=SeededNoise(b"again-seed"))
    assert sorted(settings.releases_dir.iterdir()) == before


def test_statistics_zone_keeps_pseudonyms_only_until_retention_ends(
    released: tuple[Settings, Any],
) -> None:
    settings, _ = released
    zone = settings.statistics_dir / PERIOD.label
    observations = pq.read_table(zone / "observations")
    assert "imsi" not in observations.column_names and "pid" in observations.column_names
    assert not list(zone.glob("*.key")) and not list(settings.statistics_dir.rglob("*.key"))
    info = json.loads((zone / "retention.json").read_text())
    ends = datetime.fromisoformat(info["delete_after"])
    assert purge_expired(settings, now=ends - timedelta(minutes=1)) == []
    assert purge_expired(settings, now=ends) == [PERIOD.label]
    assert not zone.exists()


def test_missing_key_with_pseudonymised_rows_stops_without_release(
    small_world: tuple[Settings, Path], tmp_path: Path
) -> None:
    settings = fresh_home(small_world, tmp_path)
    (settings.statistics_dir / PERIOD.label).mkdir(parents=True)
    with pytest.raises(StatisticsError, match="key of period 2026-03-02 is missing"):
        run_statistics(settings, PERIOD, noise=SeededNoise(b"unused-seed"))
    assert not settings.releases_dir.exists() or not any(settings.releases_dir.iterdir())


def test_period_without_data_stops_without_release(
    small_world: tuple[Settings, Path], tmp_path: Path
) -> None:
    settings = fresh_home(small_world, tmp_path)
    with pytest.raises(StatisticsError, match="no events in period 2026-05-01"):
        run_statistics(settings, Period(date(2026, 5, 1), 1), noise=SeededNoise(b"unused-seed"))
    assert not settings.releases_dir.exists() or not any(settings.releases_dir.iterdir())


def test_nothing_ingested_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StatisticsError, match="nothing ingested yet"):
        run_statistics(Settings(home=tmp_path / "empty"), PERIOD)


def test_device_buckets_give_exactly_the_single_pass_aggregates(
    small_world: tuple[Settings, Path],
) -> None:
    """Bucketing by IMSI keeps each bucket in memory and changes no count."""
    from flux_support import run_exact

    settings, _ = small_world
    period = Period(date(2026, 3, 2), 2)
    one = run_exact(settings, period, buckets=1, regions=("R01", "R02", "R03"))
    three = run_exact(settings, period, buckets=3, regions=("R01", "R02", "R03"))
    assert one.counts == three.counts
    for name, table in one.aggregates.items():
        assert table.equals(three.aggregates[name]), name
