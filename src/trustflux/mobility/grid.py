"""Exact aggregates onto the full public grid, and the grid back into an Arrow table.

The grid is the cross product of an indicator's public key lists in declared order (last key
fastest); cell i of every vector is the same key combination, whatever rows the data had.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from trustflux.errors import StatisticsError
from trustflux.mobility.public import Indicator, PublicKeys

IntArray = npt.NDArray[np.int64]


def key_arrays(indicator: Indicator, keys: PublicKeys) -> list[pa.Array]:
    """The public values of each key column, typed as published."""
    return [pa.array(list(k.values(keys)), type=k.type) for k in indicator.keys]


def grid_size(indicator: Indicator, keys: PublicKeys) -> int:
    return math.prod(len(k.values(keys)) for k in indicator.keys)


def to_grid(indicator: Indicator, table: pa.Table, keys: PublicKeys) -> IntArray:
    """Counts of ``table`` laid on the public grid (zeros where the data has no row).

    Refuses a key outside the public lists, a repeated key, a negative or missing count: each
    would otherwise be published silently wrong.
    """
    name = indicator.name
    expected = [k.column for k in indicator.keys] + [indicator.value]
    missing = [c for c in expected if c not in table.column_names]
    if missing:
        raise StatisticsError(f"{name}: columns {missing} missing (has {table.column_names})")
    size = grid_size(indicator, keys)
    flat = np.zeros(table.num_rows, dtype=np.int64)
    for key, public in zip(indicator.keys, key_arrays(indicator, keys), strict=True):
        column = _cast(table.column(key.column), key.type, name)
        position = pc.index_in(column, value_set=public)
        if position.null_count:
            outside = pc.filter(column, pc.is_null(position)).unique().to_pylist()[:5]
            raise StatisticsError(
                f"{name}: {key.column} values not in the public list: {outside} "
                "(keys are never taken from the data)"
            )
        flat = flat * len(public) + position.to_numpy(zero_copy_only=False).astype(np.int64)
    values = table.column(indicator.value)
    if values.null_count:
        raise StatisticsError(f"{name}: {indicator.value} has missing values")
    counts = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.int64)
    if counts.size and counts.min() < 0:
        raise StatisticsError(f"{name}: negative {indicator.value} in exact aggregates")
    seen = np.bincount(flat, minlength=size)
    if seen.size and seen.max() > 1:
        raise StatisticsError(f"{name}: the same key appears on more than one row")
    grid = np.zeros(size, dtype=np.int64)
    grid[flat] = counts
    return grid


def grid_table(indicator: Indicator, keys: PublicKeys) -> pa.Table:
    """Every key combination of the grid, in grid order, as columns."""
    publics = key_arrays(indicator, keys)
    shape = [len(p) for p in publics]
    index = np.indices(shape, dtype=np.int64).reshape(len(shape), -1)
    return pa.table(
        {
            k.column: public.take(pa.array(index[i]))
            for i, (k, public) in enumerate(zip(indicator.keys, publics, strict=True))
        }
    )


def _cast(column: pa.ChunkedArray, target: pa.DataType, name: str) -> pa.ChunkedArray:
    if column.type == target:
        return column
    try:
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise StatisticsError(f"{name}: cannot read {column.type} as {target}: {exc}") from None
