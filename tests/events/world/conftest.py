"""Small worlds built once per test session and shared by the world tests."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from trustflux.events.world import WorldSummary, generate_world

SUBSCRIBERS = 1_500
DAYS = 2
SEED = 11


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    """A 1,500-subscriber, two-day world (large enough to carry every kind of fraud)."""
    out = tmp_path_factory.mktemp("world") / "out"
    return generate_world(out, subscribers=SUBSCRIBERS, days=DAYS, seed=SEED)


@pytest.fixture(scope="session")
def db(world: WorldSummary) -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB views over every input and truth table of the shared world."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Paris'")
    for name in ("zones", "cells", "subscribers"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM '{world.input_dir / name}.parquet'")
    for name in ("events", "telemetry"):
        parts = world.input_dir / name / "part-*.parquet"
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM '{parts}'")
    for name in ("presence", "trips", "device_days", "fraud", "gateway_faults"):
        path = world.truth_dir / f"{name}.parquet"
        con.execute(f"CREATE VIEW truth_{name} AS SELECT * FROM '{path}'")
    yield con
    con.close()
