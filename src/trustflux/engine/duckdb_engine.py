"""The default engine: an embedded DuckDB database, reached through Ibis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis

from trustflux.config import Settings
from trustflux.errors import StoreError


def connect_duckdb(settings: Settings, database: Path | None = None) -> Any:
    """Open the catalog (or an in-memory database) with the memory and spill settings applied.

    Times are handled in UTC everywhere: the session time zone decides how a TIMESTAMPTZ is
    cut into days, so it is pinned here rather than inherited from the machine.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    spill = settings.home / "tmp"
    spill.mkdir(parents=True, exist_ok=True)
    target = ":memory:" if database is None else str(database)
    try:
        con = ibis.duckdb.connect(target)
    except Exception as exc:  # duckdb raises IOException for a locked or corrupt file
        raise StoreError(f"cannot open the DuckDB catalog {target}: {exc}") from exc
    raw = con.con
    raw.execute("SET TimeZone = 'UTC'")
    raw.execute(f"SET memory_limit = '{settings.duckdb_memory_limit}'")
    raw.execute(f"SET temp_directory = '{spill}'")
    raw.execute("SET preserve_insertion_order = false")
    if settings.duckdb_threads:
        raw.execute(f"SET threads = {int(settings.duckdb_threads)}")
    return con
