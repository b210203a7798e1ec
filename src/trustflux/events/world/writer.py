"""Streaming output: Parquet or CSV parts written by one background thread.

Building Arrow tables (casts, takes) and encoding files happen in C++ and release the GIL,
so handing them to a writer thread lets the next block be simulated meanwhile. The backlog
is bounded so memory stays flat however large the world.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

Format = Literal["parquet", "csv"]
_COMPRESSION = "snappy"
_DICTIONARY: dict[str, list[str]] = {
    # Dictionary-encode only the repetitive text columns of the big tables: trying it on
    # near-unique ones (counterpart, values) costs time and saves nothing.
    "events": ["imsi", "event_type"],
    "telemetry": ["gateway_id", "path"],
}


def _csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 text with 'Z' (dates and numbers are already fine in CSV)."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_timestamp(field.type):
            column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%SZ")
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def write_table(table: pa.Table, path: Path, fmt: Format, name: str = "") -> None:
    """Write one whole table (``path`` without extension gets one)."""
    target = path.with_suffix(f".{fmt}")
    if fmt == "parquet":
        dictionary: bool | list[str] = _DICTIONARY.get(name, True)
        pq.write_table(table, target, compression=_COMPRESSION, use_dictionary=dictionary)
    else:
        options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
        pacsv.write_csv(_csv_ready(table), target, write_options=options)


class Sink:
    """Ordered background writes of input parts and streamed truth files."""

    def __init__(self, fmt: Format, backlog: int = 2) -> None:
        self.fmt = fmt
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="world-writer")
        self._pending: deque[Future[None]] = deque()
        self._backlog = backlog
        self._parts: dict[Path, int] = {}
        self._streams: dict[Path, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def _submit(self, job: Callable[[], None]) -> None:
        while len(self._pending) >= self._backlog:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(job))

    def table(self, name: str, path: Path, build: Callable[[], pa.Table]) -> None:
        """Write a whole table built (in the background) by ``build``."""

        def job() -> None:
            table = build()
            self.rows[name] = self.rows.get(name, 0) + table.num_rows
            write_table(table, path, self.fmt, name)

        self._submit(job)

    def part(self, name: str, directory: Path, build: Callable[[], pa.Table]) -> None:
        """Append the next ``part-NNNNN`` file of a partitioned input table."""
        number = self._parts.get(directory, 0)
        self._parts[directory] = number + 1
        self.table(name, directory / f"part-{number:05d}", build)

    def stream(
        self, name: str, path: Path, schema: pa.Schema, build: Callable[[], pa.Table]
    ) -> None:
        """Append row groups to one Parquet file (truth is always Parquet)."""

        def job() -> None:
            table = build()
            self.rows[name] = self.rows.get(name, 0) + table.num_rows
            writer = self._streams.get(path)
            if writer is None:
                writer = pq.ParquetWriter(path, schema, compression=_COMPRESSION)
                self._streams[path] = writer
            if table.num_rows:
                writer.write_table(table)

        self._submit(job)

    def close(self) -> None:
        """Wait for every write and close streamed files (raises the first write error)."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            for writer in self._streams.values():
                writer.close()
            self._streams.clear()
            self._pool.shutdown(wait=True)

    def abort(self) -> None:
        """Stop after a failure elsewhere: drop queued work, close what is open."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True)
        for writer in self._streams.values():
            writer.close()
        self._streams.clear()
