"""Publication: a complete folder or nothing; release.json states exactly what was spent."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from stats_world import INPUT_COUNTS, make_aggregates, make_keys, make_subscribers, make_zones

import trustflux
from trustflux.errors import StatisticsError
from trustflux.mobility.extrapolate import ExtrapolatedRelease, ExtrapolationConfig, extrapolate
from trustflux.mobility.noise import OpenDPNoise, SeededNoise
from trustflux.mobility.protect import ProtectionConfig, protect, protect_subscribers
from trustflux.mobility.release import publish_release

KEYS = make_keys(2)
ZONES = make_zones()
CREATED = datetime(2025, 6, 5, 12, 0, tzinfo=UTC)


def _release(noise: Any) -> ExtrapolatedRelease:
    config = ProtectionConfig()
    protected = protect(make_aggregates(KEYS), KEYS, config, noise)
    zone_ids = ZONES.column("zone_id").to_pylist()
    subscribers = protect_subscribers(make_subscribers(), zone_ids, KEYS, config, noise)
    return extrapolate(protected, subscribers, ZONES, ExtrapolationConfig())


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExtrapolatedRelease]:
    release = _release(OpenDPNoise())
    out = tmp_path_factory.mktemp("releases")
    return publish_release(out, "r-2025-06-02", release, ZONES, INPUT_COUNTS), release


def test_stats_release_folder_is_complete(published: tuple[Path, ExtrapolatedRelease]) -> None:
    folder, release = published
    names = {p.name for p in folder.iterdir()}
    for name in release.tables:
        assert {f"{name}.parquet", f"{name}.csv"} <= names
        table = pq.read_table(folder / f"{name}.parquet")
        assert table.equals(release.tables[name])
        assert {"people", "suppressed"} <= set(table.column_names)
    assert {"release.json", "report.html", "zones.geojson"} <= names
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_stats_release_json_states_what_was_spent(
    published: tuple[Path, ExtrapolatedRelease],
) -> None:
    folder, release = published
    meta = json.loads((folder / "release.json").read_text())
    accounting = release.protected.accounting
    assert meta["privacy"]["rho"] == accounting.rho
    assert meta["privacy"]["epsilon"] == accounting.epsilon
    assert meta["privacy"]["delta"] == 1e-8 and meta["privacy"]["epsilon"] <= 1
    assert meta["privacy"]["budget"]["spent_rho"] == accounting.rho
    assert meta["privacy"]["k"] == 20
    assert meta["privacy"]["noise_source"]["name"] == "opendp"
    assert meta["privacy"]["noise_source"]["for_publication"] is True
    assert meta["software"]["trustflux"] == trustflux.__version__
    for charge in accounting.charges:
        entry = meta["indicators"][charge.name]
        assert entry["rho"] == charge.rho and entry["epsilon"] == charge.epsilon
        assert entry["noise_scale"] == charge.scale
        assert entry["contribution"]["cells_per_device_day"] == charge.cells
        assert 0 <= entry["suppressed_share"] <= 1
    assert sum(e["rho"] for e in meta["indicators"].values()) == pytest.approx(accounting.rho)
    assert meta["input_counts"]["devices"] == INPUT_COUNTS["devices"]
    assert meta["extrapolation"]["capture_rate"] == 0.3
    assert set(meta["extrapolation"]["zone_weights"]) == set(ZONES.column("zone_id").to_pylist())
    assert meta["privacy"]["subscribers_by_zone"]["unit"] == "subscriber"
    assert set(meta["files"]) == {p.name for p in folder.iterdir()} - {"release.json"}


def test_stats_geojson_has_published_zones(published: tuple[Path, ExtrapolatedRelease]) -> None:
    folder, _ = published
    collection = json.loads((folder / "zones.geojson").read_text())
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == list(KEYS.zones)
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert {"footfall_per_day", "visitors_per_day", "overnight_stays"} <= set(feature["properties"])


def test_stats_report_is_offline_and_has_the_four_figures(
    published: tuple[Path, ExtrapolatedRelease],
) -> None:
    folder, _ = published
    html = (folder / "report.html").read_text()
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", html)
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    for ident in ("footfall", "flows", "presence", "origins"):
        assert f"aria-labelledby='{ident}-t {ident}-d'" in html
        assert f'id="{ident}-h"' in html
    assert html.count("<table>") >= 5 and "<caption>" in html
    assert "ε = 0.994" in html and "Privacy statement" in html
    assert "Not for publication" not in html


def test_stats_seeded_release_is_flagged_and_identical(tmp_path: Path) -> None:
    first = publish_release(
        tmp_path / "a",
        "seeded",
        _release(SeededNoise(b"engine-parity")),
        ZONES,
        INPUT_COUNTS,
        created_at=CREATED,
    )
    second = publish_release(
        tmp_path / "b",
        "seeded",
        _release(SeededNoise(b"engine-parity")),
        ZONES,
        INPUT_COUNTS,
        created_at=CREATED,
    )
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name
    assert "Not for publication" in (first / "report.html").read_text()
    meta = json.loads((first / "release.json").read_text())
    assert meta["privacy"]["noise_source"]["for_publication"] is False


def _failing_render(release: ExtrapolatedRelease, zones: pa.Table, meta: Mapping[str, Any]) -> str:
    raise RuntimeError("renderer broke half way")


def test_stats_publish_is_atomic_on_error(tmp_path: Path) -> None:
    release = _release(SeededNoise(b"atomic-test-seed"))
    with pytest.raises(RuntimeError, match="half way"):
        publish_release(tmp_path, "r1", release, ZONES, INPUT_COUNTS, render_html=_failing_render)
    assert list(tmp_path.iterdir()) == []
    bad_zones = ZONES.set_column(6, "geometry", pa.array(["POINT(1 2)"] * ZONES.num_rows))
    with pytest.raises(StatisticsError, match="POLYGON"):
        publish_release(tmp_path, "r1", release, bad_zones, INPUT_COUNTS)
    assert list(tmp_path.iterdir()) == []


def test_stats_publish_refuses_existing_or_unsafe_ids(tmp_path: Path) -> None:
    release = _release(SeededNoise(b"atomic-test-seed"))
    publish_release(tmp_path, "r1", release, ZONES, INPUT_COUNTS)
    before = sorted(p.name for p in (tmp_path / "r1").iterdir())
    with pytest.raises(StatisticsError, match="already exists"):
        publish_release(tmp_path, "r1", release, ZONES, INPUT_COUNTS)
    assert sorted(p.name for p in (tmp_path / "r1").iterdir()) == before
    for bad in ("../escape", "a/b", "", ".hidden"):
        with pytest.raises(StatisticsError, match="release id"):
            publish_release(tmp_path, bad, release, ZONES, INPUT_COUNTS)
    assert [p.name for p in tmp_path.iterdir()] == ["r1"]
