"""Network optimisation: exact load, protected device counts, nothing keyed by a person."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from ops_support import copy_home, gate_answer, ids

from trustflux.config import Settings
from trustflux.errors import PrivacyBudgetError
from trustflux.mobility.budget import rho_for_epsilon
from trustflux.mobility.noise import SeededNoise
from trustflux.operations.common import Window
from trustflux.operations.network import device_privacy, run_network
from trustflux.operations.records import MemoryRunRecorder, RunRecord

NOISE = SeededNoise(b"network-tests-seed")


def run(settings: Settings, eligible: pa.Table, window: Window) -> RunRecord:
    return run_network(
        settings,
        eligible,
        window=window,
        actor="radio-planning",
        gate_at=window.end,
        noise=NOISE,
        recorder=MemoryRunRecorder(),
    )


@pytest.fixture(scope="module")
def first(world_home: tuple[Settings, Path], world_window: Window) -> tuple[pa.Table, RunRecord]:
    settings, _ = world_home
    eligible = gate_answer(settings, "network_optimisation", world_window.end)
    return eligible, run(settings, eligible, world_window)


def test_outputs_hold_no_identifier_of_a_person(first: tuple[pa.Table, RunRecord]) -> None:
    _, record = first
    for name in ("cell_hours.parquet", "cells.parquet"):
        columns = set(pq.read_table(record.outputs[name]).column_names)
        assert not columns & {"imsi", "subscriber_id", "msisdn", "imei", "pid"}, name
    text = Path(record.outputs["cell_hours.csv"]).read_text()
    assert "20801" not in text.replace("2026", "")  # no IMSI prefix anywhere in the CSV


def test_load_is_exact_and_covers_the_whole_public_grid(
    world_home: tuple[Settings, Path], world_window: Window, first: tuple[pa.Table, RunRecord]
) -> None:
    settings, _ = world_home
    _, record = first
    hours = pq.read_table(record.outputs["cell_hours.parquet"])
    cells = pq.read_table(settings.store_dir / "cells").num_rows
    assert hours.num_rows == cells * world_window.hours  # zeros included
    assert pc.sum(hours.column("events")).as_py() == record.counts["events_in_scope"]
    ranked = pq.read_table(record.outputs["cells.parquet"])
    assert ranked.column("rank").to_pylist() == list(range(1, ranked.num_rows + 1))
    top = ranked.to_pylist()[0]
    mine = hours.filter(
        pc.and_(
            pc.equal(hours.column("area_code"), top["area_code"]),
            pc.equal(hours.column("cell_id"), top["cell_id"]),
        )
    )
    assert top["busy_hour_bytes"] == pc.max(mine.column("bytes")).as_py()
    assert top["bytes"] == pc.sum(mine.column("bytes")).as_py()


def test_device_counts_are_noisy_and_small_ones_withheld(first: tuple[pa.Table, RunRecord]) -> None:
    _, record = first
    hours = pq.read_table(record.outputs["cell_hours.parquet"])
    privacy = json.loads(Path(record.outputs["privacy"]).read_text())["devices"]
    assert privacy["unit"] == "device-day"
    assert privacy["epsilon"] == pytest.approx(1.0, abs=1e-6)
    assert privacy["contribution_bound_cell_hours_per_device_day"] == 24
    assert privacy["l2_sensitivity"] == pytest.approx(math.sqrt(24))
    shown = hours.filter(pc.invert(hours.column("devices_suppressed")))
    assert pc.min(shown.column("devices")).as_py() >= privacy["threshold"] >= 20
    withheld = hours.filter(hours.column("devices_suppressed"))
    assert withheld.column("devices").null_count == withheld.num_rows
    assert record.counts["cell_hours_devices_suppressed"] == withheld.num_rows


def test_a_subscriber_left_out_by_the_gate_is_not_counted_next_run(
    world_home: tuple[Settings, Path], world_window: Window, first: tuple[pa.Table, RunRecord]
) -> None:
    settings, _ = world_home
    eligible, record = first
    leaver = eligible.column("subscriber_id")[0].as_py()
    subs = pq.read_table(settings.store_dir / "subscribers")
    imsi = subs.filter(pc.equal(subs.column("subscriber_id"), leaver)).column("imsi")[0].as_py()
    events = pq.read_table(settings.store_dir / "events")
    theirs = events.filter(
        pc.and_(
            pc.equal(events.column("imsi"), imsi),
            pc.and_(
                pc.greater_equal(events.column("ts"), pa.scalar(world_window.start)),
                pc.less(events.column("ts"), pa.scalar(world_window.end)),
            ),
        )
    ).num_rows
    assert theirs > 0
    remaining = eligible.filter(pc.invert(pc.equal(eligible.column("subscriber_id"), leaver)))
    second = run(settings, remaining, world_window)
    assert record.counts["events_in_scope"] - second.counts["events_in_scope"] == theirs
    hours = pq.read_table(second.outputs["cell_hours.parquet"])
    assert pc.sum(hours.column("events")).as_py() == second.counts["events_in_scope"]


def test_the_privacy_budget_of_a_day_is_not_overspent(
    small_world: tuple[Settings, Path], world_window: Window, tmp_path: Path
) -> None:
    settings = copy_home(small_world, tmp_path).model_copy(
        update={"network_epsilon": 1.0, "network_epsilon_allowance": 1.2}
    )
    run(settings, ids(), world_window)
    with pytest.raises(PrivacyBudgetError, match="budget exhausted for 2026-03-02, 2026-03-03"):
        run(settings, ids(), world_window)
    budget = json.loads((settings.ops_dir / "network" / "budget.json").read_text())
    assert len(budget["days"]["2026-03-02"]) == 1
    assert budget["allowance_rho"] == pytest.approx(rho_for_epsilon(1.2, settings.delta))


def test_calibration_follows_the_settings() -> None:
    loose = device_privacy(Settings(network_epsilon=2.0, network_max_cell_hours=4))
    tight = device_privacy(Settings(network_epsilon=0.5, network_max_cell_hours=24))
    assert loose.scale < tight.scale
    assert loose.accounting.epsilon == pytest.approx(2.0, abs=1e-6)
    assert tight.threshold == math.ceil(2.33 * tight.noise_std)
