"""Ibis types of the data model, as every engine reads and writes them."""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt

from trustflux.events.schemas import Column


def ibis_type(column: Column) -> dt.DataType:
    """The column's type in Ibis, nullable; timestamps carry UTC at the engine's precision.

    Parquet written at millisecond precision is read back by engines at their own (DuckDB:
    microseconds), so the model fixes the time zone and leaves the scale to the engine.
    """
    kind = ibis.schema({column.name: column.type})[column.name]
    if kind.is_timestamp():
        return dt.Timestamp(timezone="UTC", nullable=True)
    return kind.copy(nullable=True)
