"""Settings: the only place trustflux reads its environment (prefix ``TRUSTFLUX_``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a run can be configured with; defaults give the embedded local setup."""

    model_config = SettingsConfigDict(env_prefix="TRUSTFLUX_", extra="ignore")

    home: Path = Field(
        default=Path(".trustflux"),
        description="Embedded home: DuckDB store, partitioned data, quarantine, releases.",
    )
    register_dir: Path = Field(
        default=Path("register"),
        description="Folder of the processing register (YAML, privacy as code).",
    )
    duckdb_memory_limit: str = Field(
        default="6GB", description="DuckDB memory limit; beyond it DuckDB spills to disk."
    )
    duckdb_threads: int | None = Field(default=None, description="DuckDB threads (None: all).")
    earliest_event: datetime = Field(
        default=datetime(2000, 1, 1, tzinfo=UTC),
        description="Events stamped before this are quarantined as out of range.",
    )

    @property
    def store_dir(self) -> Path:
        """Where partitioned tables (Parquet) of the identified zone live."""
        return self.home / "store"

    @property
    def catalog_path(self) -> Path:
        """The DuckDB file: views over the store, ingestion log, quarantine."""
        return self.home / "trustflux.duckdb"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (from CLI options) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
