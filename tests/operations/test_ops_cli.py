"""``trustflux ops``: commands, the gate and recorder hooks the main CLI plugs in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from trustflux import cli_operations
from trustflux.cli_operations import ops_app, use
from trustflux.config import Settings
from trustflux.errors import TrustfluxError
from trustflux.operations.records import JsonlRunRecorder, MemoryRunRecorder, RunRecorder

runner = CliRunner()


class EveryoneGate:
    """A stand-in for the real gate: lets everyone through, remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, datetime]] = []

    def eligible(self, purpose: str, at: datetime, subscribers: pa.Table) -> pa.Table:
        self.asked.append((purpose, at))
        return subscribers


@pytest.fixture
def hooks() -> Iterator[tuple[EveryoneGate, MemoryRunRecorder]]:
    gate, recorder = EveryoneGate(), MemoryRunRecorder()
    saved = (cli_operations.gate_factory, cli_operations.recorder_factory)

    def recorder_for(_settings: Settings) -> RunRecorder:
        return recorder

    use(gate=lambda _s: gate, recorder=recorder_for)
    try:
        yield gate, recorder
    finally:
        cli_operations.gate_factory, cli_operations.recorder_factory = saved


def test_every_job_has_a_command() -> None:
    result = runner.invoke(ops_app, ["--help"])
    assert result.exit_code == 0
    for name in ("billing", "fraud", "network", "offers", "telemetry", "diagnostics", "ticket"):
        assert name in result.output


def test_no_gateway_is_shown_without_a_ticket() -> None:
    """One subscriber's diagnosis is shown only under an open ticket (`ops ticket diagnose`)."""
    result = runner.invoke(ops_app, ["diagnose", "GW-1"])
    assert result.exit_code == 2 and "No such command 'diagnose'" in result.output


def test_billing_asks_the_plugged_gate_and_records_the_run(
    world_home: tuple[Settings, Path], hooks: tuple[EveryoneGate, MemoryRunRecorder]
) -> None:
    settings, _ = world_home
    gate, recorder = hooks
    result = runner.invoke(
        ops_app,
        [
            "billing",
            "--month",
            "2026-03",
            "--home",
            str(settings.home),
            "--actor",
            "cli-test",
            "--register",
            str(settings.register_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert gate.asked and gate.asked[0][0] == "billing"
    [run] = recorder.runs
    assert run.actor == "cli-test" and run.job == "billing"
    assert "invoice_lines.csv" in result.output


def test_default_recorder_writes_runs_jsonl(
    world_home: tuple[Settings, Path], tmp_path: Path
) -> None:
    settings, _ = world_home
    home = settings.home
    result = runner.invoke(
        ops_app,
        [
            "fraud",
            "--start",
            "2026-03-02",
            "--days",
            "2",
            "--at",
            "2026-03-03T22:00:00Z",
            "--home",
            str(home),
            "--register",
            str(settings.register_dir),
            "--actor",
            "analyst",
        ],
    )
    assert result.exit_code == 0, result.output
    runs = JsonlRunRecorder(home / "operations" / "runs.jsonl").read()
    assert runs[-1].job == "fraud" and runs[-1].actor == "analyst"
    assert runs[-1].purpose == "fraud_detection"


def test_telemetry_needs_a_stop_condition() -> None:
    result = runner.invoke(ops_app, ["telemetry"])
    assert isinstance(result.exception, TrustfluxError)
    assert "--seconds, --messages or --idle" in str(result.exception)
