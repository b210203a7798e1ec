"""The identified zone on disk: Parquet tables (day-partitioned where they have a day column)
plus a DuckDB catalog holding the ingestion log, the file manifest and the quarantine.

Parquet keeps the store readable by every engine (DuckDB here, Spark later); the catalog keeps
the bookkeeping transactional.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trustflux.config import Settings
from trustflux.engine.duckdb_engine import connect_duckdb
from trustflux.errors import StoreError
from trustflux.events.schemas import TABLES, TableSpec
from trustflux.events.types import ibis_type

CATALOG_DDL = (
    """
    CREATE TABLE IF NOT EXISTS ingest_log (
        ingest_id VARCHAR, table_name VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
        files INTEGER, read BIGINT, accepted BIGINT, quarantined BIGINT, duplicates BIGINT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS ingested_files (
        table_name VARCHAR, sha256 VARCHAR, path VARCHAR, rows BIGINT, ingest_id VARCHAR,
        PRIMARY KEY (table_name, sha256)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS quarantine (
        ingest_id VARCHAR, table_name VARCHAR, source_file VARCHAR, source_row BIGINT,
        field VARCHAR, reason VARCHAR, record VARCHAR, quarantined_at TIMESTAMPTZ
    )
    """,
)


@dataclass(frozen=True)
class FileRecord:
    """A file already ingested, recognised by its content hash."""

    path: str
    rows: int
    ingest_id: str


class Store:
    """Paths, catalog and publication of Parquet parts for the identified zone."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.store_dir
        self.root.mkdir(parents=True, exist_ok=True)
        self.con: Any = connect_duckdb(settings, settings.catalog_path)
        self.raw: Any = self.con.con
        for ddl in CATALOG_DDL:
            self.raw.execute(ddl)

    def close(self) -> None:
        self.con.disconnect()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- layout ---------------------------------------------------------------------------
    def table_dir(self, name: str) -> Path:
        return self.root / name

    def part_files(self, name: str) -> list[Path]:
        return sorted(self.table_dir(name).rglob("*.parquet"))

    def read(self, name: str, days: Sequence[date] | None = None) -> Any | None:
        """The stored table as an Ibis expression, or None when nothing is stored yet.

        ``days`` restricts a day-partitioned table to those partitions (only their files are
        opened), so checks against the store cost what the days touched cost.
        """
        spec = TABLES[name]
        if spec.day_column is None:
            files = self.part_files(name)
        else:
            wanted = None if days is None else {f"day={d.isoformat()}" for d in days}
            files = [p for p in self.part_files(name) if wanted is None or p.parent.name in wanted]
        if not files:
            return None
        table = self.con.read_parquet([str(p) for p in files], hive_partitioning=False)
        return table.select(*[table[c.name].cast(ibis_type(c)).name(c.name) for c in spec.columns])

    def publish(self, expr: Any, spec: TableSpec, ingest_id: str) -> int:
        """Write ``expr`` as new Parquet parts of ``spec``'s table; returns rows written.

        Parts are written to a staging folder first and moved in only once complete, so a
        failure midway leaves the store as it was.
        """
        staging = self.settings.home / "tmp" / f"staging-{ingest_id}-{spec.name}"
        if staging.exists():
            shutil.rmtree(staging)
        sql = self.con.compile(expr)
        pattern = f"part-{ingest_id}-{{i}}"
        try:
            if spec.day_column is not None:
                sql = f"SELECT *, CAST({spec.day_column} AS DATE) AS day FROM ({sql})"
                self.raw.execute(
                    f"COPY ({sql}) TO '{staging}' (FORMAT parquet, PARTITION_BY (day), "
                    f"FILENAME_PATTERN '{pattern}', WRITE_PARTITION_COLUMNS false)"
                )
            else:
                staging.mkdir(parents=True)
                self.raw.execute(
                    f"COPY ({sql}) TO '{staging / (pattern.format(i=0) + '.parquet')}' "
                    "(FORMAT parquet)"
                )
            written = 0
            for part in sorted(staging.rglob("*.parquet")):
                rows = pq.read_metadata(part).num_rows
                if rows == 0:
                    continue
                target = self.table_dir(spec.name) / part.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                part.replace(target)
                written += rows
            return int(written)
        except OSError as exc:
            raise StoreError(f"cannot write {spec.name} parts under {self.root}: {exc}") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # -- catalog --------------------------------------------------------------------------
    def known_file(self, table: str, sha256: str) -> FileRecord | None:
        row = self.raw.execute(
            "SELECT path, rows, ingest_id FROM ingested_files WHERE table_name = ? AND sha256 = ?",
            [table, sha256],
        ).fetchone()
        return None if row is None else FileRecord(row[0], int(row[1]), row[2])

    def remember_files(
        self, table: str, files: Sequence[tuple[str, str, int]], ingest_id: str
    ) -> None:
        """Record (path, sha256, rows) of files fully ingested into ``table``."""
        for path, digest, rows in files:
            self.raw.execute(
                "INSERT OR IGNORE INTO ingested_files VALUES (?, ?, ?, ?, ?)",
                [table, digest, path, rows, ingest_id],
            )

    def quarantine(self, expr: Any) -> int:
        """Append rows (ingest_id, table_name, source_file, source_row, field, reason, record)."""
        sql = self.con.compile(expr)
        before = self.quarantine_count()
        self.raw.execute(f"INSERT INTO quarantine SELECT *, now() FROM ({sql})")
        return self.quarantine_count() - before

    def quarantine_arrow(self, rows: pa.Table) -> int:
        """Append quarantine rows held in memory (e.g. malformed CSV lines)."""
        self.raw.register("_quarantine_in", rows)
        try:
            self.raw.execute("INSERT INTO quarantine SELECT *, now() FROM _quarantine_in")
        finally:
            self.raw.unregister("_quarantine_in")
        return int(rows.num_rows)

    def quarantine_count(self, table: str | None = None) -> int:
        if table is None:
            row = self.raw.execute("SELECT count(*) FROM quarantine").fetchone()
        else:
            row = self.raw.execute(
                "SELECT count(*) FROM quarantine WHERE table_name = ?", [table]
            ).fetchone()
        return int(row[0])

    def log_ingest(
        self,
        ingest_id: str,
        table: str,
        started: Any,
        files: int,
        read: int,
        accepted: int,
        quarantined: int,
        duplicates: int,
    ) -> None:
        self.raw.execute(
            "INSERT INTO ingest_log VALUES (?, ?, ?, now(), ?, ?, ?, ?, ?)",
            [ingest_id, table, started, files, read, accepted, quarantined, duplicates],
        )


def new_ingest_id() -> str:
    """Short unique id used in part file names and the catalog."""
    return uuid.uuid4().hex[:12]
