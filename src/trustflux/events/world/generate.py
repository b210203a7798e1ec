"""Orchestration: plan the world, simulate it day by day and block by block, write it out."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np

from trustflux.console import NullReporter, Reporter, Task
from trustflux.errors import WorldError
from trustflux.events.schemas import DATA_MODEL_VERSION
from trustflux.events.world.block import World, simulate_block
from trustflux.events.world.fraud import fraud_counts, plan_fraud
from trustflux.events.world.geography import build_geography
from trustflux.events.world.mobility import ABSENT, day_status
from trustflux.events.world.numeric import IntArray, stream
from trustflux.events.world.params import WorldParams
from trustflux.events.world.population import build_devices, build_persons, sizes
from trustflux.events.world.tables import (
    cells_table,
    events_table,
    gateway_ids,
    subscribers_table,
    telemetry_table,
    zones_table,
)
from trustflux.events.world.telemetry import build_gateways
from trustflux.events.world.timegrid import day_grid, window_ms
from trustflux.events.world.truth import Truth
from trustflux.events.world.writer import Sink

GENERATOR = "trustflux.events.world"
INPUT_TABLES = ("zones", "cells", "subscribers", "events", "telemetry")
TRUTH_TABLES = ("presence", "trips", "device_days", "fraud", "gateway_faults")
# Stream keys: one independent random stream per stage (see numeric.stream).
_GEO, _FRAUD, _PERSONS, _DEVICES, _GATEWAYS, _IDS, _STATUS, _BLOCK = range(1, 9)


@dataclass(frozen=True)
class WorldSummary:
    """What a run produced and how long it took."""

    out: Path
    input_dir: Path
    truth_dir: Path
    counts: dict[str, int]
    seconds: float
    params: WorldParams
    fmt: str

    @property
    def events_per_second(self) -> float:
        return self.counts.get("events", 0) / self.seconds if self.seconds > 0 else 0.0


def generate_world(
    out: Path,
    *,
    subscribers: int,
    days: int,
    seed: int,
    start: date = date(2026, 3, 2),
    fmt: Literal["parquet", "csv"] = "parquet",
    reporter: Reporter | None = None,
) -> WorldSummary:
    """Generate a synthetic operator world in ``out`` (input/ for ingestion, truth/ apart)."""
    params = WorldParams(subscribers=subscribers, days=days, seed=seed, start=start)
    return build_world(out, params, fmt=fmt, reporter=reporter)


def build_world(
    out: Path,
    params: WorldParams,
    *,
    fmt: Literal["parquet", "csv"] = "parquet",
    reporter: Reporter | None = None,
) -> WorldSummary:
    """``generate_world`` with every parameter of ``WorldParams`` open to change."""
    params.validate()
    if fmt not in ("parquet", "csv"):
        raise WorldError(f"unknown format {fmt!r}: use 'parquet' or 'csv'")
    reporter = reporter or NullReporter()
    began = time.perf_counter()
    out = Path(out)
    _prepare(out)
    _write_manifest(out, params, fmt, "running", {})
    input_dir, truth_dir = out / "input", out / "truth"
    with reporter.task("Planning the world", total=1) as task:
        world = plan_world(params)
        task.advance(1)
    sink = Sink(fmt)
    try:
        _reference_tables(world, sink, input_dir)
        truth = Truth(world, sink, truth_dir)
        with reporter.task("Simulating days", total=params.days) as task:
            for d in range(params.days):
                _simulate_day(world, d, sink, truth, input_dir, task)
        truth.finish(params.start)
        sink.close()
    except BaseException:
        sink.abort()
        raise
    counts = {name: sink.rows.get(name, 0) for name in (*INPUT_TABLES, *TRUTH_TABLES)}
    _write_manifest(out, params, fmt, "complete", counts)
    return WorldSummary(
        out=out,
        input_dir=input_dir,
        truth_dir=truth_dir,
        counts=counts,
        seconds=time.perf_counter() - began,
        params=params,
        fmt=fmt,
    )


def plan_world(params: WorldParams) -> World:
    """Everything fixed for the window: map, people, devices, boxes and fraud schemes."""
    seed = params.seed
    counts = fraud_counts(params)
    size = sizes(params, counts)
    geo = build_geography(params, size.residents, stream(seed, _GEO))
    sims, wangiri = plan_fraud(params, counts, geo, stream(seed, _FRAUD))
    persons, own_people, roamers = build_persons(params, size, geo, stream(seed, _PERSONS))
    devices = build_devices(params, persons, own_people, roamers, sims, geo, stream(seed, _DEVICES))
    window = window_ms(params.start, params.days)
    gateways = build_gateways(devices.gateway, params, window, stream(seed, _GATEWAYS))
    return World(
        params=params,
        geo=geo,
        persons=persons,
        devices=devices,
        gateways=gateways,
        sims=sims,
        wangiri=wangiri,
        own_msisdn=devices.msisdn[: devices.n_own],
        n_own_ordinary=int(own_people.shape[0]),
    )


def _reference_tables(world: World, sink: Sink, input_dir: Path) -> None:
    geo, p = world.geo, world.params
    sink.table("zones", input_dir / "zones", partial(zones_table, geo))
    sink.table("cells", input_dir / "cells", partial(cells_table, geo.cells, geo))
    build = partial(
        subscribers_table, world.devices, world.gateways, geo, p.start, stream(p.seed, _IDS)
    )
    sink.table("subscribers", input_dir / "subscribers", build)


def _blocks(present: IntArray, has_device: IntArray, size: int) -> list[IntArray]:
    """Consecutive slices of the present persons holding about ``size`` devices each."""
    before = np.cumsum(has_device) - has_device
    block = before // size
    n_blocks = int(block[-1]) + 1 if present.size else 1
    bounds = np.searchsorted(block, np.arange(n_blocks + 1))
    return [present[bounds[b] : bounds[b + 1]] for b in range(n_blocks)]


def _simulate_day(
    world: World, d: int, sink: Sink, truth: Truth, input_dir: Path, task: Task
) -> None:
    params, dev = world.params, world.devices
    grid = day_grid(params.start, d)
    status = day_status(world.persons, params, grid, stream(params.seed, _STATUS, d))
    present = np.flatnonzero(status != ABSENT)
    has_device = (world.persons.device[present] >= 0).astype(np.int64)
    blocks = _blocks(present, has_device, params.block_devices)
    fraud_rows = np.flatnonzero((dev.fraud > 0) & (dev.first_day <= d) & (dev.last_day >= d))
    ids = gateway_ids(world.gateways)
    truth.start_day(grid)
    for b, rows in enumerate(blocks):
        fraud = fraud_rows if b == len(blocks) - 1 else fraud_rows[:0]
        rng = stream(params.seed, _BLOCK, d, b)
        result = simulate_block(world, rows, status[rows], fraud, grid, rng)
        sink.part(
            "events",
            input_dir / "events",
            partial(events_table, result.events, result.imsi, world.geo.cells),
        )
        sink.part(
            "telemetry", input_dir / "telemetry", partial(telemetry_table, result.telemetry, ids)
        )
        truth.add_block(grid, result)
        task.advance(1 / len(blocks))
    truth.end_day(grid)


def _prepare(out: Path) -> None:
    """Refuse to write over anything the generator did not make; clear its previous output."""
    if out.exists() and not out.is_dir():
        raise WorldError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        manifest = out / "world.json"
        if not _is_ours(manifest):
            raise WorldError(
                f"{out} is not empty and was not produced by the world generator "
                "(no world.json); choose a new or empty directory"
            )
        for name in ("input", "truth"):
            if (out / name).is_dir():
                shutil.rmtree(out / name)
        manifest.unlink()
    for sub in ("input/events", "input/telemetry", "truth"):
        (out / sub).mkdir(parents=True, exist_ok=True)


def _is_ours(manifest: Path) -> bool:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("generator") == GENERATOR


def _write_manifest(
    out: Path, params: WorldParams, fmt: str, status: str, counts: dict[str, int]
) -> None:
    data: dict[str, Any] = {
        "generator": GENERATOR,
        "status": status,
        "data_model_version": DATA_MODEL_VERSION,
        "seed": params.seed,
        "format": fmt,
        "parameters": params.to_json(),
        "counts": counts,
        "layout": {
            "input": "input/",
            "truth": "truth/",
            "input_tables": list(INPUT_TABLES),
            "truth_tables": list(TRUTH_TABLES),
        },
    }
    (out / "world.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
