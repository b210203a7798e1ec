"""Shared fixtures: settings pointing at a temporary home."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustflux.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh home and the repository's register."""
    root = Path(__file__).resolve().parents[1]
    return Settings(
        home=tmp_path / "home", register_dir=root / "register", duckdb_memory_limit="2GB"
    )


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """A 2-day world of 1,500 subscribers, generated and ingested once per test session."""
    from datetime import UTC, datetime

    from trustflux.events.ingest import ingest_directory
    from trustflux.events.world import generate_world

    root = tmp_path_factory.mktemp("small-world")
    world = generate_world(root / "world", subscribers=1_500, days=2, seed=5)
    home = Settings(home=root / "home", duckdb_memory_limit="2GB")
    ingest_directory(home, world.out, now=datetime(2027, 1, 1, tzinfo=UTC))
    return home, world.out
