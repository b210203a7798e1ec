"""Engine sessions: the one place that knows which Ibis backend runs a pipeline.

Domain stages receive an ``EngineSession`` and only build Ibis expressions; the differences
between engines are data here (names, how to start), never branches in the stages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from trustflux.config import Settings
from trustflux.engine.duckdb_engine import connect_duckdb
from trustflux.errors import ConfigError

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")


@ibis.udf.scalar.builtin(name="epoch")  # type: ignore[untyped-decorator]
def _duckdb_epoch(ts: dt.Timestamp(timezone="UTC")) -> dt.float64:  # type: ignore[valid-type,empty-body]
    """DuckDB's own epoch(): seconds since 1970 of a UTC timestamp, without a time-zone cast."""


def _portable_epoch(ts: Any) -> Any:
    return ts.epoch_seconds()


@dataclass
class EngineSession:
    """An open Ibis backend plus the few operations stages need from it."""

    name: EngineName
    con: Any
    _spark: Any = None
    _views: int = 0
    _made: list[str] = field(default_factory=list)

    def epoch_seconds(self, ts: Any) -> Any:
        """Seconds since 1970 (integer) of a UTC timestamp column.

        Ibis compiles ``epoch_seconds`` for DuckDB through a cast to a zone-less timestamp,
        which costs a time-zone conversion per row; DuckDB's ``epoch`` reads the instant as is.
        The choice is a fact about the engine, kept here so stages stay engine-neutral.
        """
        if self.name == "duckdb":
            return _duckdb_epoch(ts).floor().cast("int64")
        return _portable_epoch(ts).cast("int64")

    def read_parquet(self, paths: Sequence[Path]) -> Any:
        """One table over several Parquet files (all with the same schema)."""
        if not paths:
            raise ConfigError("no Parquet files to read")
        if self._spark is None:
            return self.con.read_parquet([str(p) for p in paths])
        # Spark takes several paths natively; Ibis's wrapper would read them as one glob.
        self._views += 1
        name = f"tf_parquet_{self._views}"
        self._spark.read.parquet(*[str(p.resolve()) for p in paths]).createOrReplaceTempView(name)
        return self.con.table(name)

    def table(self, data: pa.Table) -> Any:
        """Small in-memory data (public keys, calendars, pseudonym maps) as an engine table."""
        return ibis.memtable(data)

    def materialize(self, expr: Any, name: str) -> Any:
        """Compute ``expr`` once and keep it for several downstream uses."""
        self._made.append(name)
        if self.name == "duckdb":
            return self.con.create_table(name, expr, temp=True)
        return self.con.create_table(name, expr, overwrite=True)

    def forget(self, suffix: str) -> None:
        """Drop the tables this session materialised whose names end with ``suffix``."""
        for name in [n for n in self._made if n.endswith(suffix)]:
            self.con.drop_table(name, force=True)
            self._made.remove(name)

    def write_parquet(self, expr: Any, path: Path) -> None:
        """Write an engine table to Parquet (a file on DuckDB, a folder of parts on Spark)."""
        self.con.to_parquet(expr, str(path))

    def to_arrow(self, expr: Any) -> pa.Table:
        return expr.to_pyarrow()

    def close(self) -> None:
        if self._spark is not None:
            self._spark.stop()
        else:
            self.con.disconnect()


def open_engine(name: str, settings: Settings) -> EngineSession:
    """Start an engine by name: DuckDB in process, or Spark (local mode unless configured)."""
    if name == "duckdb":
        return EngineSession("duckdb", connect_duckdb(settings))
    if name == "spark":
        return _open_spark(settings)
    raise ConfigError(f"unknown engine '{name}': choose one of {', '.join(ENGINES)}")


def _open_spark(settings: Settings) -> EngineSession:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError(
            "the Spark engine needs pyspark: pip install 'trustflux[spark]' (and Java 17)"
        ) from exc
    builder = (
        SparkSession.builder.master(settings.spark_master)
        .appName("trustflux")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.local.dir", str((settings.home / "tmp" / "spark").resolve()))
        .config("spark.sql.warehouse.dir", str((settings.home / "tmp" / "warehouse").resolve()))
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return EngineSession("spark", ibis.pyspark.connect(spark), spark)
