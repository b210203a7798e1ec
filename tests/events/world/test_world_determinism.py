"""The same seed and parameters give the same world; another seed gives another."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trustflux.events.world import WorldParams, build_world, generate_world


def _tables(out: Path) -> dict[str, pa.Table]:
    return {str(p.relative_to(out)): pq.read_table(p) for p in sorted(out.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("determinism")
    outs = {"a": base / "a", "b": base / "b", "c": base / "c"}
    for key, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate_world(outs[key], subscribers=400, days=1, seed=seed)
    return outs


def test_same_seed_same_tables(seeds: dict[str, Path]) -> None:
    first, second = _tables(seeds["a"]), _tables(seeds["b"])
    assert first.keys() == second.keys()
    for name, table in first.items():
        assert table.equals(second[name]), name
    manifest_a = (seeds["a"] / "world.json").read_text(encoding="utf-8")
    assert manifest_a == (seeds["b"] / "world.json").read_text(encoding="utf-8")


def test_other_seed_other_tables(seeds: dict[str, Path]) -> None:
    first, other = _tables(seeds["a"]), _tables(seeds["c"])
    for name in (
        "input/subscribers.parquet",
        "input/events/part-00000.parquet",
        "input/zones.parquet",
        "truth/presence.parquet",
    ):
        assert not first[name].equals(other[name]), name


def test_block_size_changes_parts_not_reference_tables(
    seeds: dict[str, Path], tmp_path: Path
) -> None:
    params = WorldParams(subscribers=400, days=1, seed=5, block_devices=100)
    summary = build_world(tmp_path / "small-blocks", params)
    parts = list((summary.input_dir / "events").iterdir())
    assert len(parts) > 1
    reference = _tables(seeds["a"])
    for name in ("input/zones.parquet", "input/cells.parquet", "input/subscribers.parquet"):
        assert pq.read_table(tmp_path / "small-blocks" / name).equals(reference[name]), name
