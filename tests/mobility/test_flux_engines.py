"""One definition, two engines: DuckDB and Spark give identical aggregates for one input."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from flux_support import run_exact
from services import require_spark
from trustflux.config import Settings
from trustflux.engine.session import ENGINES, EngineSession, open_engine
from trustflux.mobility.calendar import Period
from trustflux.mobility.exact import ExactResult
from trustflux.mobility.keys import PeriodKey

PERIOD = Period(date(2026, 3, 2), 2)
KEY = PeriodKey("engines", b"\x07" * 32)


@pytest.fixture(scope="module")
def results(small_world: tuple[Settings, Path]) -> dict[str, ExactResult]:
    settings, _ = small_world
    out: dict[str, Any] = {}
    for name in ENGINES:
        if name == "spark":
            require_spark()
        session: EngineSession = open_engine(name, settings)
        try:
            out[name] = run_exact(settings, PERIOD, session, key=KEY)
        finally:
            session.close()
    return out


def test_every_indicator_is_identical_on_both_engines(results: dict[str, ExactResult]) -> None:
    duck, spark = results["duckdb"], results["spark"]
    assert duck.aggregates.keys() == spark.aggregates.keys()
    for name, table in duck.aggregates.items():
        assert table.num_rows > 0, name
        assert table.equals(spark.aggregates[name]), f"{name} differs between engines"
    assert duck.counts == spark.counts


def test_pseudonymous_device_tables_are_identical(results: dict[str, ExactResult]) -> None:
    duck, spark = results["duckdb"].devices, results["spark"].devices
    assert duck is not None and spark is not None
    assert duck.sort_by("pid").equals(spark.sort_by("pid"))
    assert "imsi" not in duck.column_names


def _release_on(engine: str, small_world: tuple[Settings, Path], root: Path) -> Path:
    from trustflux.mobility.noise import SeededNoise
    from trustflux.mobility.pipeline import run_statistics

    settings, _ = small_world
    home = root / engine
    shutil.copytree(settings.home, home, ignore=shutil.ignore_patterns("tmp"))
    local = settings.model_copy(update={"home": home})
    keys = local.keys_dir
    keys.mkdir(parents=True)
    (keys / f"period-{DAY.label}.key").write_bytes(KEY.secret)  # same key on both engines
    result = run_statistics(
        local,
        DAY,
        engine=engine,
        noise=SeededNoise(b"parity-seed"),
        release_id="parity",
        created_at=datetime(2026, 3, 5, tzinfo=UTC),
    )
    return result.release_dir


DAY = Period(date(2026, 3, 3), 1)


def test_whole_release_is_byte_identical_on_both_engines(
    small_world: tuple[Settings, Path], tmp_path: Path, results: dict[str, ExactResult]
) -> None:
    """Same input, key and noise seed: the same release, file for file."""
    folders = {name: _release_on(name, small_world, tmp_path) for name in ENGINES}
    duck = sorted(p.name for p in folders["duckdb"].iterdir())
    assert duck == sorted(p.name for p in folders["spark"].iterdir())
    for name in duck:
        a = (folders["duckdb"] / name).read_bytes()
        assert a == (folders["spark"] / name).read_bytes(), f"{name} differs between engines"
