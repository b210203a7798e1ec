"""Operations fixtures: a private copy of the small world's home, and a tiny hand-made operator.

The small world (2 days, 1,500 subscribers) is generated once per session by the root
conftest; each module here copies its home so that outputs and quarantine rows of the
operations jobs never leak into other tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from ops_support import ROOT, WORLD_WINDOW_START, copy_home, tiny_tables

from input_support import write_inputs
from trustflux.config import Settings
from trustflux.events.ingest import ingest_directory
from trustflux.operations.common import Window


@pytest.fixture(scope="module")
def world_home(
    small_world: tuple[Settings, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, Path]:
    """(settings on a private copy of the small world's home, world folder with its truth)."""
    return copy_home(small_world, tmp_path_factory.mktemp("ops-world")), small_world[1]


@pytest.fixture(scope="module")
def world_window() -> Window:
    return Window.local_days(WORLD_WINDOW_START, 2, "Europe/Paris")


@pytest.fixture
def tiny(tmp_path: Path) -> Settings:
    """The tiny operator, ingested into a fresh home."""
    settings = Settings(
        home=tmp_path / "home", register_dir=ROOT / "register", duckdb_memory_limit="1GB"
    )
    report = ingest_directory(
        settings, write_inputs(tiny_tables(), tmp_path / "in"), now=datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert report.total("quarantined") == 0
    return settings
