"""Settings: the only place trustflux reads its environment (prefix ``TRUSTFLUX_``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from trustflux.errors import ConfigError


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

    environment: Literal["local", "test", "production"] = Field(
        default="local",
        description="Where trustflux runs; outside 'local'/'test' unsafe defaults are refused.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the relational store (ledger, accounts, requests); "
        "default: SQLite file in the home. PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs session cookies and CSRF tokens. Required in production; "
        "locally a random key is created once in the home.",
    )
    serve_host: str = Field(default="127.0.0.1", description="Address `trustflux serve` binds.")
    serve_port: int = Field(default=8000, description="Port `trustflux serve` listens on.")
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public URL of the web service, used in the banner snippet and links.",
    )

    # -- engines ---------------------------------------------------------------------------
    engine: Literal["duckdb", "spark"] = Field(
        default="duckdb", description="Engine that runs the statistics pipeline."
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master URL: local[N] on one machine, spark://host:7077 or yarn on a "
        "cluster (the store must then be on storage every executor can read).",
    )
    spark_shuffle_partitions: int = Field(default=8, ge=1)
    spark_driver_memory: str = Field(default="2g")

    # -- statistics zone ---------------------------------------------------------------------
    key_dir: Path | None = Field(
        default=None,
        description="Where period keys for pseudonyms live (default <home>/keys, a folder of "
        "its own, never inside the store or the statistics zone). Keys are destroyed when "
        "their period closes.",
    )
    key_rotation_days: int = Field(
        default=1, ge=1, le=30, description="Length of a pseudonymisation period in days."
    )
    slot_minutes: int = Field(default=30, ge=5, le=120, description="Device-level time slot.")
    presence_slot_minutes: int = Field(
        default=60, ge=5, le=1440, description="Slot of the published present-population table."
    )
    min_stay_minutes: int = Field(default=30, ge=1, description="Shortest stay in a zone.")
    max_fill_minutes: int = Field(
        default=120,
        ge=0,
        description="After its last sighting in a zone (before a sighting elsewhere, or at the "
        "end of its data), a device is assumed to stay there this long.",
    )
    max_bridge_minutes: int = Field(
        default=720,
        ge=0,
        description="Two sightings in the same zone at most this far apart: the device is "
        "assumed to have stayed there in between (e.g. a phone quiet at home overnight).",
    )
    stats_retention_hours: int = Field(
        default=24, ge=0, description="Pseudonymised rows are deleted this long after release."
    )
    events_per_bucket: int = Field(
        default=25_000_000,
        ge=100_000,
        description="The statistics job handles devices in buckets of about this many events, "
        "so each bucket's work fits in memory (results are exactly those of one pass).",
    )
    max_zones_per_day: int = Field(default=4, ge=1, description="Contribution bound (zones).")
    max_trips_per_day: int = Field(default=6, ge=1, description="Contribution bound (trips).")
    k_threshold: int = Field(default=20, ge=0, description="Noisy counts below k are suppressed.")
    epsilon_per_device_day: float = Field(default=1.0, gt=0, le=10)
    delta: float = Field(default=1e-8, gt=0, lt=1e-3)
    roamer_capture_rate: float = Field(
        default=0.3, gt=0, le=1, description="Share of foreign visitors roaming on our network."
    )

    # -- operations (billing, fraud, network, offers, gateway diagnostics) --------------------
    operations_dir: Path | None = Field(
        default=None,
        description="Outputs of the operations jobs and their run records "
        "(default <home>/operations).",
    )
    home_plmn: str = Field(
        default="20801",
        pattern=r"^\d{5,6}$",
        description="MCC+MNC of the operator: IMSIs starting with it are own subscribers, the "
        "others inbound roamers; cells with another MCC are visited networks (roaming).",
    )
    home_country_code: str = Field(
        default="33",
        pattern=r"^\d{1,3}$",
        description="E.164 country code of the home country (national vs international calls).",
    )
    local_timezone: str = Field(
        default="Europe/Paris", description="Time zone of billing months and local days."
    )
    tariff_file: Path | None = Field(
        default=None, description="Tariff table (CSV); default: the one shipped in the package."
    )
    offer_catalogue: Path | None = Field(
        default=None, description="Offer catalogue (YAML); default: the one shipped."
    )
    network_epsilon: float = Field(
        default=1.0,
        gt=0,
        le=10,
        description="Epsilon per device-day of one network-optimisation run (distinct devices).",
    )
    network_epsilon_allowance: float = Field(
        default=3.0,
        gt=0,
        le=20,
        description="Total epsilon per device-day that network runs over the same day may spend.",
    )
    network_max_cell_hours: int = Field(
        default=24,
        ge=1,
        le=240,
        description="Contribution bound: (cell, hour) pairs one device-day may count in.",
    )
    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1883", description="Broker the telemetry subscriber reads."
    )
    mqtt_topic_prefix: str = Field(
        default="trustflux/gateways",
        description="Telemetry topics are <prefix>/<gateway_id>/telemetry.",
    )
    mqtt_qos: int = Field(default=1, ge=0, le=2, description="QoS of the telemetry subscription.")
    telemetry_batch_rows: int = Field(
        default=200_000, ge=1, description="Telemetry values buffered before a Parquet part."
    )

    # -- data-subject rights and governance ---------------------------------------------------
    rights_directory: Path | None = Field(
        default=None,
        description="Exports answering access and portability requests, and the outbox of "
        "one-time codes (default <home>/rights).",
    )
    otp_sender: Literal["file", "console"] = Field(
        default="file",
        description="How one-time codes reach the contact on file: 'file' appends to "
        "<rights>/outbox.jsonl (a stand-in for an SMS gateway), 'console' shows them on the "
        "terminal that runs the command.",
    )
    otp_ttl_minutes: int = Field(default=15, ge=1, le=1440, description="Life of a one-time code.")
    otp_max_attempts: int = Field(
        default=5, ge=1, le=20, description="Wrong codes allowed before a challenge is spent."
    )
    governance_refresh_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How often a long-lived gate re-reads the DPO's DPIA decisions and the "
        "restrictions of processing (0: on every decision).",
    )

    @property
    def rights_dir(self) -> Path:
        """Where rights exports and the one-time-code outbox live (see ``rights_directory``)."""
        return self.rights_directory if self.rights_directory is not None else self.home / "rights"

    @property
    def ops_dir(self) -> Path:
        """Where the operations jobs write (see ``operations_dir``)."""
        return self.operations_dir if self.operations_dir is not None else self.home / "operations"

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key is None or len(self.secret_key.get_secret_value()) < 32:
                raise ConfigError(
                    "TRUSTFLUX_SECRET_KEY must be set to at least 32 characters in production"
                )
            if self.database_url is None or self.database_url.startswith("sqlite"):
                raise ConfigError("TRUSTFLUX_DATABASE_URL must point at PostgreSQL in production")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The relational store's URL (SQLite in the home unless configured)."""
        return self.database_url or f"sqlite:///{(self.home / 'trustflux.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        """Folder of period keys (see ``key_dir``)."""
        return self.key_dir if self.key_dir is not None else self.home / "keys"

    @property
    def statistics_dir(self) -> Path:
        """The statistics zone: pseudonymised rows, kept for hours."""
        return self.home / "statistics"

    @property
    def releases_dir(self) -> Path:
        """Published releases (protected aggregates only)."""
        return self.home / "releases"

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
