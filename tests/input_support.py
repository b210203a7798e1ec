"""Hand-made input files for tests: a zone polygon, valid IMEIs, one Parquet file per table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trustflux.events.schemas import TABLES

SQUARE = "POLYGON((2.0 45.0, 2.1 45.0, 2.1 45.1, 2.0 45.1, 2.0 45.0))"


def luhn(body: str) -> str:
    """``body`` with its Luhn check digit appended (a valid IMEI from 14 digits)."""
    total = 0
    for n, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if n % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def write_inputs(tables: dict[str, list[dict[str, Any]]], folder: Path) -> Path:
    """One Parquet file per table, in the data model's types (every column nullable, so
    tests can also write the rows ingestion must refuse)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        loose = pa.schema([f.with_nullable(True) for f in TABLES[name].arrow_schema])
        pq.write_table(pa.Table.from_pylist(rows, schema=loose), folder / f"{name}.parquet")
    return folder
