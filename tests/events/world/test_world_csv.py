"""CSV output: same rows as Parquet, readable with the data model's column names."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from trustflux.events.schemas import TABLES
from trustflux.events.world import WorldSummary, generate_world


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[WorldSummary, WorldSummary]:
    base = tmp_path_factory.mktemp("csv")
    # Spans the spring daylight-saving change (29 March 2026 has 46 half-hour slots).
    kwargs = {"subscribers": 300, "days": 2, "seed": 4, "start": date(2026, 3, 28)}
    csv = generate_world(base / "csv", fmt="csv", **kwargs)  # type: ignore[arg-type]
    parquet = generate_world(base / "parquet", **kwargs)  # type: ignore[arg-type]
    return csv, parquet


def _read(path: Path, name: str) -> pa.Table:
    schema = TABLES[name].arrow_schema
    options = pacsv.ConvertOptions(
        column_types={f.name: f.type for f in schema}, strings_can_be_null=True
    )
    return pacsv.read_csv(path, convert_options=options)


def test_csv_has_the_data_model_header_and_types(pair: tuple[WorldSummary, WorldSummary]) -> None:
    csv, parquet = pair
    for name in ("zones", "cells", "subscribers"):
        table = _read(csv.input_dir / f"{name}.csv", name)
        assert tuple(table.column_names) == TABLES[name].column_names
        expected = pq.read_table(parquet.input_dir / f"{name}.parquet")
        assert table.num_rows == expected.num_rows
        assert table.cast(expected.schema).equals(expected), name


def test_csv_parts_match_parquet_parts(pair: tuple[WorldSummary, WorldSummary]) -> None:
    csv, parquet = pair
    assert csv.counts == parquet.counts
    for name in ("events", "telemetry"):
        part = sorted((csv.input_dir / name).iterdir())[0]
        assert part.suffix == ".csv"
        text = part.read_text(encoding="utf-8").splitlines()
        assert "Z" in text[1] and "T" in text[1]
        table = _read(part, name)
        expected = pq.read_table(parquet.input_dir / name / part.with_suffix(".parquet").name)
        assert table.cast(expected.schema).equals(expected), name


def test_daylight_saving_day_has_46_slots(pair: tuple[WorldSummary, WorldSummary]) -> None:
    _, parquet = pair
    presence = pq.read_table(parquet.truth_dir / "presence.parquet")
    slots = len(set(presence.column("slot_start").to_pylist()))
    assert slots == 48 + 46
