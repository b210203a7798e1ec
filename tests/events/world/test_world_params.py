"""Bad parameters and unsafe output folders are refused with a WorldError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trustflux.errors import WorldError
from trustflux.events.world import GENERATOR, WorldParams, build_world, generate_world


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"subscribers": 0}, "subscribers"),
        ({"subscribers": -5}, "subscribers"),
        ({"days": 0}, "days"),
        ({"days": 32}, "days"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_parameters_are_refused(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"subscribers": 10, "days": 1, "seed": 1, **kwargs}
    with pytest.raises(WorldError, match=message):
        generate_world(tmp_path / "out", **args)
    assert not (tmp_path / "out").exists()


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WorldError, match="format"):
        generate_world(tmp_path / "out", subscribers=10, days=1, seed=1, fmt="xlsx")  # type: ignore[arg-type]


def test_bad_tuning_parameter_is_named(tmp_path: Path) -> None:
    params = WorldParams(subscribers=10, days=1, seed=1, market_share=1.5)
    with pytest.raises(WorldError, match="market_share"):
        build_world(tmp_path / "out", params)


def test_foreign_non_empty_directory_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(WorldError, match="not produced by the world generator"):
        generate_world(tmp_path, subscribers=10, days=1, seed=1)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_foreign_manifest_is_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "world.json").write_text(json.dumps({"generator": "other"}), encoding="utf-8")
    with pytest.raises(WorldError):
        generate_world(tmp_path, subscribers=10, days=1, seed=1)


def test_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(WorldError, match="not a directory"):
        generate_world(target, subscribers=10, days=1, seed=1)


def test_previous_output_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate_world(out, subscribers=30, days=2, seed=1)
    stale = out / "input" / "events" / "part-99999.parquet"
    stale.write_bytes(b"stale")
    summary = generate_world(out, subscribers=20, days=1, seed=2)
    assert not stale.exists()
    manifest = json.loads((out / "world.json").read_text(encoding="utf-8"))
    assert manifest["generator"] == GENERATOR
    assert manifest["parameters"]["subscribers"] == 20
    assert summary.counts["subscribers"] == 20


def test_tiny_world_still_complete(tmp_path: Path) -> None:
    summary = generate_world(tmp_path / "out", subscribers=1, days=1, seed=3)
    assert summary.counts["subscribers"] == 1
    assert summary.counts["zones"] > 0 and summary.counts["cells"] > 0
    assert summary.counts["fraud"] == 0
