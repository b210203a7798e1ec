"""Output layout and schemas: ingestion reads these paths and types, so they are contract."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from trustflux.events.schemas import DATA_MODEL_VERSION, TABLES
from trustflux.events.world import GENERATOR, TRUTH_SCHEMAS, TRUTH_TABLES, WorldSummary


def test_input_files_are_where_ingestion_looks(world: WorldSummary) -> None:
    assert world.input_dir == world.out / "input"
    assert world.truth_dir == world.out / "truth"
    for name in ("zones", "cells", "subscribers"):
        assert (world.input_dir / f"{name}.parquet").is_file()
    for name in ("events", "telemetry"):
        parts = sorted((world.input_dir / name).iterdir())
        assert parts, name
        assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(len(parts))]


def test_input_schemas_match_the_data_model_exactly(world: WorldSummary) -> None:
    for name in ("zones", "cells", "subscribers"):
        schema = pq.read_schema(world.input_dir / f"{name}.parquet")
        assert schema.remove_metadata() == TABLES[name].arrow_schema, name
    for name in ("events", "telemetry"):
        for part in (world.input_dir / name).iterdir():
            schema = pq.read_schema(part)
            assert schema.remove_metadata() == TABLES[name].arrow_schema, part


def test_truth_is_separate_and_typed(world: WorldSummary) -> None:
    inputs = {p.name for p in world.input_dir.rglob("*")}
    for name in TRUTH_TABLES:
        path = world.truth_dir / f"{name}.parquet"
        assert path.is_file(), name
        assert pq.read_schema(path).remove_metadata() == TRUTH_SCHEMAS[name]
        assert path.name not in inputs
    assert not any("truth" in str(p.relative_to(world.out)) for p in world.input_dir.rglob("*"))


def test_manifest_records_parameters_and_counts(world: WorldSummary) -> None:
    data = json.loads((world.out / "world.json").read_text(encoding="utf-8"))
    assert data["generator"] == GENERATOR
    assert data["status"] == "complete"
    assert data["data_model_version"] == DATA_MODEL_VERSION
    assert data["seed"] == world.params.seed
    assert data["parameters"]["subscribers"] == world.params.subscribers
    assert data["counts"] == world.counts
    rows = pq.read_metadata(world.input_dir / "subscribers.parquet").num_rows
    assert world.counts["subscribers"] == rows == world.params.subscribers
    events = sum(pq.read_metadata(p).num_rows for p in (world.input_dir / "events").iterdir())
    assert world.counts["events"] == events
    assert world.seconds > 0
    assert world.events_per_second > 0
