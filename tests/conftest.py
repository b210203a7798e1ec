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
